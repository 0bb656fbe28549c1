"""keras.ops.image geometric transforms on torch.

``affine_transform``/``perspective_transform`` follow TensorFlow's
ImageProjectiveTransformV3 (what Keras's TensorFlow backend runs): output pixel
``(x, y)`` reads input ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`` with
``k = c0 x + c1 y + 1``, the coordinate first mapped by ``fill_mode`` and
then read with nearest (rounding half away from zero) or bilinear
interpolation, out-of-image reads giving ``fill_value``; arithmetic in float32.
``map_coordinates`` and ``elastic_transform`` follow Keras's own formulas
(order 0 or 1; Keras's ``mirror``/``reflect`` index folding).
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.ops._convert import to_tensor
from torchbridge.ops._nn_layout import data_format_of
from torchbridge.ops.image_color import check_image_rank
from torchbridge.ops.image_filters import gaussian_blur

__all__ = ["affine_transform", "elastic_transform", "map_coordinates", "perspective_transform"]

_INTERPOLATIONS = ("nearest", "bilinear")
_FILL_MODES = ("constant", "nearest", "wrap", "reflect")


def _check_choice(name: str, arg: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name}: invalid `{arg}`; expected one of {choices}. Received: {value!r}")


def _fold(coord: torch.Tensor, size: int, fill_mode: str) -> torch.Tensor:
    """Map out-of-range float coordinates into ``[0, size - 1]`` (TensorFlow's MapCoordinate)."""
    if fill_mode == "constant":
        return coord
    if fill_mode == "nearest" or size <= 1:
        return coord.clamp(0, size - 1) if size > 1 else torch.zeros_like(coord)
    if fill_mode == "reflect":
        sz2 = 2.0 * size
        low = coord < 0
        neg = torch.where(-coord < sz2, sz2 * torch.trunc(-coord / sz2) + coord, coord)
        neg = torch.where(neg < -size, neg + sz2, -neg - 1)
        high = coord > size - 1
        pos = coord - sz2 * torch.trunc(coord / sz2)
        pos = torch.where(pos >= size, sz2 - pos - 1, pos)
        coord = torch.where(low, neg, torch.where(high, pos, coord))
    else:  # wrap
        sz = size - 1.0
        low = coord < 0
        high = coord > size - 1
        neg = coord + size * (torch.trunc(-coord / sz) + 1)
        pos = coord - size * torch.trunc(coord / sz)
        coord = torch.where(low, neg, torch.where(high, pos, coord))
    return coord.clamp(0, size - 1)


def _projective(
    images: torch.Tensor, transforms: torch.Tensor, interpolation: str, fill_mode: str,
    fill_value: Any,
) -> torch.Tensor:  # fmt: skip
    """``images`` (N, H, W, C) resampled through ``transforms`` (N or 1, 8), float32 math."""
    n, h, w, _ = images.shape
    dev = images.device
    t = transforms.to(torch.float32).expand(n, 8)
    ys = torch.arange(h, dtype=torch.float32, device=dev).view(1, h, 1)
    xs = torch.arange(w, dtype=torch.float32, device=dev).view(1, 1, w)
    a = [t[:, i].view(n, 1, 1) for i in range(8)]
    k = a[6] * xs + a[7] * ys + 1.0
    x_in = _fold((a[0] * xs + a[1] * ys + a[2]) / k, w, fill_mode)
    y_in = _fold((a[3] * xs + a[4] * ys + a[5]) / k, h, fill_mode)
    # float images: torch's fused grid_sample (4-6x faster; coordinates differ by float
    # rounding, ~1e-5 of a pixel); integer images keep the exact gathers, so truncation
    # to integers matches TensorFlow's
    if interpolation == "bilinear" and h > 1 and w > 1 and images.dtype.is_floating_point:
        out = _bilinear_grid_sample(images, x_in, y_in, float(fill_value))
    else:
        out = _gather_sample(images, x_in, y_in, interpolation, float(fill_value))
    if images.dtype.is_floating_point:
        return out.to(images.dtype)
    return torch.trunc(out).to(images.dtype)


def _bilinear_grid_sample(
    images: torch.Tensor, x_in: torch.Tensor, y_in: torch.Tensor, fill_value: float
) -> torch.Tensor:
    """Bilinear sampling at pixel coordinates with torch's fused ``grid_sample``: each of
    the four neighbours outside the image reads ``fill_value`` (TensorFlow's rule), which is
    ``grid_sample(images - fill, zeros padding) + fill`` exactly."""
    n, h, w, _ = images.shape
    x = images.to(torch.float32).permute(0, 3, 1, 2)
    if fill_value:
        x = x - fill_value
    grid = torch.stack((x_in * (2.0 / (w - 1)) - 1.0, y_in * (2.0 / (h - 1)) - 1.0), dim=-1)
    out = F.grid_sample(
        x, grid.expand(n, h, w, 2), mode="bilinear", padding_mode="zeros", align_corners=True
    )
    if fill_value:
        out = out + fill_value
    return out.permute(0, 2, 3, 1)


def _gather_sample(
    images: torch.Tensor, x_in: torch.Tensor, y_in: torch.Tensor, interpolation: str,
    fill_value: float,
) -> torch.Tensor:  # fmt: skip
    """Nearest (TensorFlow's half-away-from-zero rounding) or bilinear sampling by gathers."""
    n, h, w, c = images.shape
    dev = images.device
    flat = images.reshape(n, h * w, c).to(torch.float32)
    fill = torch.tensor(fill_value, dtype=torch.float32, device=dev)
    batch = torch.arange(n, device=dev).view(n, 1, 1)

    def read(yi: torch.Tensor, xi: torch.Tensor) -> torch.Tensor:
        inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
        idx = (yi.clamp(0, h - 1) * w + xi.clamp(0, w - 1)).long()
        values = flat[batch.expand_as(idx), idx]
        return torch.where(inside.unsqueeze(-1), values, fill)

    if interpolation == "nearest":
        ry = torch.sign(y_in) * torch.floor(torch.abs(y_in) + 0.5)
        rx = torch.sign(x_in) * torch.floor(torch.abs(x_in) + 0.5)
        out = read(ry, rx)
    else:
        y0, x0 = torch.floor(y_in), torch.floor(x_in)
        y1, x1 = y0 + 1, x0 + 1
        wx0, wx1 = (x1 - x_in).unsqueeze(-1), (x_in - x0).unsqueeze(-1)
        top = wx0 * read(y0, x0) + wx1 * read(y0, x1)
        bottom = wx0 * read(y1, x0) + wx1 * read(y1, x1)
        out = (y1 - y_in).unsqueeze(-1) * top + (y_in - y0).unsqueeze(-1) * bottom
    return out


def _run_projective(
    name: str, images: torch.Tensor, transform: torch.Tensor, interpolation: str,
    fill_mode: str, fill_value: Any, fmt: str,
) -> torch.Tensor:  # fmt: skip
    unbatched = images.ndim == 3
    x = images.unsqueeze(0) if unbatched else images
    if fmt == "channels_first":
        x = x.movedim(1, -1)
    if transform.ndim == 1:
        transform = transform.unsqueeze(0)
    if transform.shape[-1] != 8 or transform.shape[0] not in (1, x.shape[0]):
        raise ValueError(
            f"{name}: `transform` must have shape (8,) or (batch, 8) with batch "
            f"{x.shape[0]}. Received: transform.shape={tuple(transform.shape)}"
        )
    out = _projective(x, transform, interpolation, fill_mode, fill_value)
    if fmt == "channels_first":
        out = out.movedim(-1, 1)
    return out.squeeze(0) if unbatched else out


def affine_transform(
    images: Any,
    transform: Any,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: Any = 0,
    data_format: Any = None,
) -> torch.Tensor:
    """Apply projective ``transform`` rows ``[a0, a1, a2, b0, b1, b2, c0, c1]`` to images."""
    fmt = data_format_of(data_format)
    _check_choice("affine_transform", "interpolation", interpolation, _INTERPOLATIONS)
    _check_choice("affine_transform", "fill_mode", fill_mode, _FILL_MODES)
    images = to_tensor(images)
    transform = to_tensor(transform)
    check_image_rank("affine_transform", images)
    if transform.ndim not in (1, 2):
        raise ValueError(
            "affine_transform: invalid transform rank: expected rank 1 (single transform) or "
            f"rank 2 (batch of transforms). Received: transform.shape={tuple(transform.shape)}"
        )
    return _run_projective(
        "affine_transform", images, transform, interpolation, fill_mode, fill_value, fmt
    )


def _homography(start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """The 8 projective coefficients mapping ``end`` corners onto ``start`` corners."""
    rows, target = [], []
    zero, one = torch.zeros_like(end[:, 0, 0]), torch.ones_like(end[:, 0, 0])
    for i in range(4):
        ex, ey = end[:, i, 0], end[:, i, 1]
        sx, sy = start[:, i, 0], start[:, i, 1]
        rows.append(torch.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], -1))
        rows.append(torch.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], -1))
        target += [sx, sy]
    matrix = torch.stack(rows, 1)
    return torch.linalg.solve(matrix, torch.stack(target, -1).unsqueeze(-1)).reshape(-1, 8)


def perspective_transform(
    images: Any,
    start_points: Any,
    end_points: Any,
    interpolation: str = "bilinear",
    fill_value: Any = 0,
    data_format: Any = None,
) -> torch.Tensor:
    """Warp images so that the 4 ``start_points`` (x, y) land on the ``end_points``."""
    fmt = data_format_of(data_format)
    images = to_tensor(images)
    start = to_tensor(start_points, dtype="float32", device=images.device)
    end = to_tensor(end_points, dtype="float32", device=images.device)
    _check_choice("perspective_transform", "interpolation", interpolation, _INTERPOLATIONS)
    check_image_rank("perspective_transform", images)
    for arg, pts in (("start_points", start), ("end_points", end)):
        if pts.ndim not in (2, 3) or tuple(pts.shape[-2:]) != (4, 2):
            raise ValueError(
                f"perspective_transform: invalid {arg} shape: expected (4, 2) for one image "
                f"or (N, 4, 2) for a batch. Received: {arg}.shape={tuple(pts.shape)}"
            )
    if start.shape != end.shape:
        raise ValueError(
            "perspective_transform: start_points and end_points must have the same shape. "
            f"Received: {tuple(start.shape)} and {tuple(end.shape)}"
        )
    if start.ndim == 2:
        start, end = start.unsqueeze(0), end.unsqueeze(0)
    transform = _homography(start, end)
    return _run_projective(
        "perspective_transform", images, transform, interpolation, "constant", fill_value, fmt
    )


def _fold_index(index: torch.Tensor, size: int, fill_mode: str) -> tuple[torch.Tensor, Any]:
    if fill_mode == "constant":
        return index.clamp(0, size - 1), (index >= 0) & (index < size)
    if fill_mode == "nearest":
        return index.clamp(0, size - 1), None
    if fill_mode in ("mirror", "reflect"):
        coords = index.abs()
        mod = torch.remainder(coords, 2 * size)
        folded = torch.where(mod < size, mod, 2 * size - mod)
        if fill_mode == "reflect":
            folded = torch.where(mod < size, folded, folded - 1)
        return folded.clamp(0, size - 1), None
    return torch.remainder(index, size), None  # wrap


def map_coordinates(
    inputs: Any, coordinates: Any, order: int, fill_mode: str = "constant", fill_value: Any = 0
) -> torch.Tensor:
    """Sample ``inputs`` at ``coordinates`` (shape ``(inputs.ndim, ...)``), order 0 or 1."""
    x = to_tensor(inputs)
    coords = to_tensor(coordinates, device=x.device)
    if coords.ndim < 1 or coords.shape[0] != x.ndim:
        raise ValueError(
            "map_coordinates: the first dimension of `coordinates` must equal the rank of "
            f"`inputs`. Received: inputs.shape={tuple(x.shape)}, "
            f"coordinates.shape={tuple(coords.shape)}"
        )
    if coords.ndim < 2:
        raise ValueError(
            "map_coordinates: `coordinates` must have rank >= 2. Received: "
            f"coordinates.shape={tuple(coords.shape)}"
        )
    modes = ("constant", "nearest", "wrap", "mirror", "reflect")
    _check_choice("map_coordinates", "fill_mode", fill_mode, modes)
    if order not in (0, 1):
        raise NotImplementedError(
            f"map_coordinates: only order 0 (nearest) and 1 (linear) are supported. "
            f"Received: order={order}"
        )
    wdtype = coords.dtype if coords.dtype.is_floating_point else torch.float32
    fill = to_tensor(fill_value, dtype=x.dtype, device=x.device).to(wdtype)
    axes = []
    for coord, size in zip(coords.unbind(0), x.shape):
        nodes: list[tuple[torch.Tensor, torch.Tensor | None]]
        if order == 0:
            nodes = [(coord if not coord.dtype.is_floating_point else torch.round(coord), None)]
        else:
            lower = torch.floor(coord)
            upper_w = coord - lower
            nodes = [(lower, 1 - upper_w), (lower + 1, upper_w)]
        axes.append([(*_fold_index(i.long(), size, fill_mode), wt) for i, wt in nodes])
    result = None
    for combo in itertools.product(*axes):
        values = x[tuple(idx for idx, _, _ in combo)].to(wdtype)
        if fill_mode == "constant":
            valid = combo[0][1]
            for _, v, _ in combo[1:]:
                valid = valid & v
            values = torch.where(valid, values, fill)
        for _, _, wt in combo:
            if wt is not None:
                values = values * wt
        result = values if result is None else result + values
    assert result is not None
    if not x.dtype.is_floating_point:
        result = torch.round(result)
    return result.to(x.dtype)


def elastic_transform(
    images: Any,
    alpha: float = 20.0,
    sigma: float = 5.0,
    interpolation: str = "bilinear",
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    seed: Any = None,
    data_format: Any = None,
) -> torch.Tensor:
    """Displace pixels by a Gaussian-smoothed random field scaled by ``alpha``.

    The field comes from torch's generator (seeded by an int ``seed``), so values
    differ from Keras's TensorFlow stream; with ``alpha=0`` the images come back.
    """
    fmt = data_format_of(data_format)
    _check_choice("elastic_transform", "interpolation", interpolation, _INTERPOLATIONS)
    _check_choice("elastic_transform", "fill_mode", fill_mode, _FILL_MODES)
    images = to_tensor(images)
    check_image_rank("elastic_transform", images)
    dtype = images.dtype if images.dtype.is_floating_point else torch.float32
    x = images.unsqueeze(0) if images.ndim == 3 else images
    if fmt == "channels_first":
        x = x.movedim(1, -1)
    n, h, w, c = x.shape
    k = 6 * int(sigma) | 1
    gen = None
    if isinstance(seed, int):
        gen = torch.Generator(device=x.device).manual_seed(seed)
    noise = torch.randn((2, n, h, w, 1), generator=gen, dtype=dtype, device=x.device) * sigma
    fields = [
        gaussian_blur(noise[i], (k, k), (sigma, sigma), "channels_last")[..., 0] for i in range(2)
    ]
    ys = torch.arange(h, dtype=dtype, device=x.device).view(1, h, 1)
    xs = torch.arange(w, dtype=dtype, device=x.device).view(1, 1, w)
    dist_y = (ys + alpha * fields[1]).expand(n, h, w)
    dist_x = (xs + alpha * fields[0]).expand(n, h, w)
    order = _INTERPOLATIONS.index(interpolation)
    out = torch.stack(
        [
            torch.stack(
                [
                    map_coordinates(
                        x[b, ..., ch],
                        torch.stack([dist_y[b], dist_x[b]]),
                        order,
                        fill_mode,
                        fill_value,
                    )
                    for ch in range(c)
                ],
                -1,
            )
            for b in range(n)
        ]
    )
    if fmt == "channels_first":
        out = out.movedim(-1, 1)
    out = out.squeeze(0) if images.ndim == 3 else out
    return out.to(images.dtype)
