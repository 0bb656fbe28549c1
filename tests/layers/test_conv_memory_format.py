"""Channels-last batches keep channels-last memory through Conv2D and the 2-D poolings, even
when they arrive with NCHW-like strides (e.g. from a resampling augmentation layer): torch's
CPU kernels follow the input's memory format and their NCHW paths are much slower. Values
are the same either way."""

from __future__ import annotations

import pytest
import torch

import torchbridge as keras
from torchbridge.layers._conv_utils import to_channels_first


def nchw_strided(batch: torch.Tensor) -> torch.Tensor:
    """``batch`` (NHWC values) held in NCHW memory, as a permuted view."""
    return batch.movedim(-1, 1).contiguous().movedim(1, -1)


@pytest.mark.parametrize(
    "make",
    [
        lambda: keras.layers.Conv2D(4, 3, activation="relu"),
        lambda: keras.layers.MaxPooling2D(),
        lambda: keras.layers.AveragePooling2D(2, padding="same"),
    ],
    ids=["conv2d", "max_pool", "average_pool_same"],
)
def test_nchw_strided_input_runs_channels_last_with_equal_values(make) -> None:
    layer = make()
    batch = torch.randn(2, 9, 9, 3)
    strided = nchw_strided(batch)
    assert not strided.is_contiguous()
    want = layer(batch)
    got = layer(strided)
    assert got.is_contiguous()  # NHWC output in NHWC memory: the kernels ran channels-last
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_channels_first_view_is_free_on_the_common_path() -> None:
    batch = torch.randn(2, 5, 5, 3)
    view = to_channels_first(batch, "channels_last")
    assert view.data_ptr() == batch.data_ptr()  # no copy for contiguous NHWC input
    assert view.is_contiguous(memory_format=torch.channels_last)
    moved = to_channels_first(nchw_strided(batch), "channels_last")
    assert moved.stride(1) == 1 and torch.equal(moved, batch.movedim(-1, 1))
    single = torch.randn(2, 5, 5, 1).movedim(-1, 1).contiguous().movedim(1, -1)
    assert to_channels_first(single, "channels_last").stride(1) == 1  # one channel too
