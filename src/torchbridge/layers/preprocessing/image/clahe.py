"""Keras's ``ContrastLimitedAdaptiveHistogramEqualization`` (CLAHE).

The image (on a 0-255 scale) is cut into ``tile_grid_size`` tiles (padded by
mirroring to a multiple of the grid); each tile's 256-bin histogram is clipped
at ``clip_limit × tile_pixels / 256`` with the excess spread evenly, and each
pixel's value maps through the four nearest tiles' normalised CDFs, blended
bilinearly. It applies in training and inference alike, and keeps the input
dtype, as in Keras.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.layers.preprocessing.image.base import BaseImagePreprocessingLayer
from torchbridge.ops._convert import to_tensor

__all__ = ["ContrastLimitedAdaptiveHistogramEqualization"]


def _symmetric_pad(x: torch.Tensor, pad: int, dim: int) -> torch.Tensor:
    """Pad the end of ``dim`` by mirroring, edge included (NumPy's ``symmetric``)."""
    while pad > 0:
        take = min(pad, x.shape[dim])
        x = torch.cat([x, x.narrow(dim, x.shape[dim] - take, take).flip(dim)], dim=dim)
        pad -= take
    return x


class ContrastLimitedAdaptiveHistogramEqualization(BaseImagePreprocessingLayer):
    """Keras's ``ContrastLimitedAdaptiveHistogramEqualization`` (see the module docstring)."""

    def __init__(
        self,
        value_range: Any = (0, 255),
        clip_limit: float = 4.0,
        tile_grid_size: Any = (8, 8),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size

    def _prepare(self, images: Any) -> torch.Tensor:
        return to_tensor(images)

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        images = to_tensor(images)
        dtype = images.dtype
        x = images if images.ndim == 4 else images[None]
        if self.data_format == "channels_first":
            x = x.permute(0, 2, 3, 1)
        x = self._transform_value_range(x, self.value_range, (0, 255), dtype="float32")
        x = self._clahe(x.float())
        x = self._transform_value_range(x, (0, 255), self.value_range, dtype="float32")
        if self.data_format == "channels_first":
            x = x.permute(0, 3, 1, 2)
        x = x if images.ndim == 4 else x[0]
        return x.to(dtype)

    def _clahe(self, images: torch.Tensor) -> torch.Tensor:
        batch, height, width, channels = images.shape
        grid_h, grid_w = (int(v) for v in self.tile_grid_size)
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
        padded = _symmetric_pad(images, tile_h * grid_h - height, 1)
        padded = _symmetric_pad(padded, tile_w * grid_w - width, 2)
        levels = padded.clamp(0, 255).to(torch.int64)
        tiles = levels.reshape(batch, grid_h, tile_h, grid_w, tile_w, channels)
        tiles = tiles.permute(0, 1, 3, 5, 2, 4).reshape(batch, grid_h, grid_w, channels, -1)
        hists = torch.zeros((*tiles.shape[:-1], 256), dtype=torch.float32, device=images.device)
        hists.scatter_add_(-1, tiles, torch.ones_like(tiles, dtype=torch.float32))
        if self.clip_limit > 0:
            limit = self.clip_limit * (tile_h * tile_w) / 256.0
            clipped = hists.clamp(0, limit)
            hists = clipped + (hists - clipped).sum(-1, keepdim=True) / 256.0
        cdf = torch.cumsum(hists, -1)
        cdf_min = cdf.amin(-1, keepdim=True)
        denominator = tile_h * tile_w - cdf_min
        denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
        table = ((cdf - cdf_min) * 255.0 / denominator).clamp(0, 255)
        # One ring of edge tiles around the grid, so every pixel has 4 neighbouring tiles.
        table = torch.cat([table[:, :1], table, table[:, -1:]], dim=1)
        table = torch.cat([table[:, :, :1], table, table[:, :, -1:]], dim=2)

        def coords(size: int, tile: int, grid: int) -> tuple[torch.Tensor, ...]:
            pos = torch.arange(size, dtype=torch.float32, device=images.device) - tile / 2.0
            pos = pos / tile + 1.0
            low = torch.floor(pos)
            weight = pos - low
            return low.clamp(0, grid + 1).long(), (low + 1).clamp(0, grid + 1).long(), weight

        y0, y1, wy = coords(tile_h * grid_h, tile_h, grid_h)
        x0, x1, wx = coords(tile_w * grid_w, tile_w, grid_w)
        b = torch.arange(batch, device=images.device)[:, None, None, None]
        c = torch.arange(channels, device=images.device)[None, None, None, :]

        def look(ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
            return table[b, ys[None, :, None, None], xs[None, None, :, None], c, levels]

        wy, wx = wy[None, :, None, None], wx[None, None, :, None]
        top = look(y0, x0) * (1.0 - wx) + look(y0, x1) * wx
        bottom = look(y1, x0) * (1.0 - wx) + look(y1, x1) * wx
        result = top * (1.0 - wy) + bottom * wy
        return result[:, :height, :width, :]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "clip_limit": self.clip_limit,
            "tile_grid_size": self.tile_grid_size,
            "data_format": self.data_format,
        }
