"""Resizing, CenterCrop and RandomCrop against real Keras (TensorFlow backend)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

from torchbridge import layers

KERAS_ONLY_KEYS = {"dtype"}


def _np(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(x)


def _images(shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, shape).astype(dtype)


RESIZE_CASES = [
    dict(height=4, width=5),
    dict(height=9, width=7, interpolation="nearest"),
    dict(height=4, width=5, interpolation="bicubic"),
    dict(height=3, width=4, interpolation="area"),
    dict(height=5, width=3, interpolation="lanczos3", antialias=True),
    dict(height=3, width=3, antialias=True),
    dict(height=4, width=4, crop_to_aspect_ratio=True),
    dict(height=4, width=4, pad_to_aspect_ratio=True, fill_value=7),
    dict(height=4, width=5, data_format="channels_first"),
    dict(height=5, width=5, crop_to_aspect_ratio=True, data_format="channels_first"),
]


@pytest.mark.parametrize(
    "kwargs", RESIZE_CASES, ids=lambda k: "-".join(f"{a}={b}" for a, b in k.items())
)
@pytest.mark.parametrize("dtype", ["float32", "uint8"])
@pytest.mark.parametrize("batched", [True, False])
def test_resizing_matches_keras(kwargs: dict[str, Any], dtype: str, batched: bool) -> None:
    shape = (2, 6, 8, 3) if kwargs.get("data_format") != "channels_first" else (2, 3, 6, 8)
    x = _images(shape if batched else shape[1:], dtype)
    theirs = keras.layers.Resizing(**kwargs)
    ours = layers.Resizing(**kwargs)
    expected, got = _np(theirs(x)), _np(ours(x))
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_allclose(
        got.astype("float64"), expected.astype("float64"), atol=1e-3 if dtype == "float32" else 1
    )
    assert set(ours.get_config()) == set(theirs.get_config()) - KERAS_ONLY_KEYS
    assert ours.compute_output_shape(shape) == theirs.compute_output_shape(shape)


@pytest.mark.parametrize(
    "height, width, data_format",
    [
        (4, 4, "channels_last"),
        (5, 3, "channels_last"),
        (8, 10, "channels_last"),
        (3, 12, "channels_last"),
        (4, 4, "channels_first"),
        (9, 9, "channels_first"),
    ],
)
@pytest.mark.parametrize("batched", [True, False])
def test_center_crop_matches_keras(
    height: int, width: int, data_format: str, batched: bool
) -> None:
    shape = (2, 6, 8, 3) if data_format == "channels_last" else (2, 3, 6, 8)
    x = _images(shape if batched else shape[1:], "float32")
    theirs = keras.layers.CenterCrop(height, width, data_format=data_format)
    ours = layers.CenterCrop(height, width, data_format=data_format)
    for training in (None, False):
        expected, got = _np(theirs(x, training=training)), _np(ours(x, training=training))
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, atol=1e-3)
    assert ours.get_config() | {"name": None} == {
        k: v for k, v in theirs.get_config().items() if k not in KERAS_ONLY_KEYS
    } | {"name": None}


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("size, offsets", [((4, 5), (1, 2)), ((6, 8), (0, 0)), ((7, 3), (0, 2))])
def test_random_crop_fixed_window_matches_keras(
    data_format: str, size: tuple[int, int], offsets: tuple[int, int]
) -> None:
    shape = (2, 6, 8, 3) if data_format == "channels_last" else (2, 3, 6, 8)
    x = _images(shape, "float32")
    theirs = keras.layers.RandomCrop(*size, data_format=data_format)
    ours = layers.RandomCrop(*size, data_format=data_format)
    expected = _np(theirs.transform_images(x, offsets, training=True))
    got = _np(ours.transform_images(x, offsets, training=True))
    np.testing.assert_allclose(got, expected, atol=1e-3)
    # The window Keras takes when it does not draw one (input not larger than the crop).
    assert ours.get_random_transformation(x, training=False) == tuple(
        int(v) for v in theirs.get_random_transformation(x, training=False)
    )
    assert ours.compute_output_shape(shape) == theirs.compute_output_shape(shape)


def test_random_crop_draws_every_window_and_is_identity_at_inference() -> None:
    x = torch.arange(6 * 8, dtype=torch.float32).reshape(1, 6, 8, 1)
    layer = layers.RandomCrop(4, 5, seed=3)
    seen = set()
    for _ in range(200):
        out = layer(x)
        assert out.shape == (1, 4, 5, 1)
        top, left = divmod(int(out[0, 0, 0, 0]), 8)
        seen.add((top, left))
    assert seen == {(t, c) for t in range(3) for c in range(4)}  # offsets 0..2 x 0..3
    # Keras 3.15 returns the input unchanged at inference (no crop, dtype kept).
    ints = torch.ones((1, 6, 8, 1), dtype=torch.uint8)
    assert torch.equal(layer(ints, training=False), ints)
    again = layers.RandomCrop(4, 5, seed=3)
    first = layers.RandomCrop(4, 5, seed=3)
    assert torch.equal(again(x), first(x))  # same seed, same window
    config = layer.get_config()
    assert set(config) == set(keras.layers.RandomCrop(4, 5).get_config()) - KERAS_ONLY_KEYS
    assert isinstance(layers.RandomCrop(4, 5).get_config()["seed"], int)  # as Keras: drawn
