"""The two bilinear samplers of ops.image's projective transforms agree: torch's fused
``grid_sample`` (float images) and the exact gathers (integer images, nearest)."""

from __future__ import annotations

import math

import pytest
import torch

from torchbridge.ops import image_transform as it


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
@pytest.mark.parametrize("fill_value", [0.0, 0.7])
def test_grid_sample_path_equals_gathers(fill_mode: str, fill_value: float) -> None:
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(3, 9, 13, 2, generator=gen)
    n, h, w, _ = images.shape
    rows = []
    for k in range(n):
        th = 0.3 * (k + 1)
        rows.append(
            [math.cos(th), -math.sin(th), 2.5 * k, math.sin(th), math.cos(th), -1.5, 0.0, 0.0]
        )
    t = torch.tensor(rows)
    ys = torch.arange(h, dtype=torch.float32).view(1, h, 1)
    xs = torch.arange(w, dtype=torch.float32).view(1, 1, w)
    a = [t[:, i].view(n, 1, 1) for i in range(8)]
    x_in = it._fold(a[0] * xs + a[1] * ys + a[2], w, fill_mode)
    y_in = it._fold(a[3] * xs + a[4] * ys + a[5], h, fill_mode)
    fused = it._bilinear_grid_sample(images, x_in, y_in, fill_value)
    exact = it._gather_sample(images, x_in, y_in, "bilinear", fill_value)
    torch.testing.assert_close(fused, exact, rtol=0, atol=1e-5)
