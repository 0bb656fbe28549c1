"""The random geometric and colour layers against real Keras: for a fixed draw (Keras's own
``get_random_transformation`` output fed to both ``transform_images``), the distribution
of draws, seeding, inference and config."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

from torchbridge import layers

KERAS_ONLY_KEYS = {"dtype"}


def _np(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if hasattr(x, "numpy") or hasattr(x, "shape"):
        return keras.ops.convert_to_numpy(x)
    return x


# (class name, positional args, keyword args)
CASES = [
    ("RandomFlip", (), {}),
    ("RandomFlip", ("horizontal",), {}),
    ("RandomFlip", ("vertical",), {"data_format": "channels_first"}),
    ("RandomRotation", (0.2,), {}),
    ("RandomRotation", ((-0.3, 0.1),), {"fill_mode": "constant", "fill_value": 3.0}),
    ("RandomRotation", (0.5,), {"interpolation": "nearest", "data_format": "channels_first"}),
    ("RandomZoom", (0.3,), {}),
    ("RandomZoom", ((-0.4, -0.1), (0.1, 0.5)), {"fill_mode": "wrap"}),
    ("RandomZoom", (0.2,), {"fill_mode": "nearest", "data_format": "channels_first"}),
    ("RandomTranslation", (0.2, 0.3), {}),
    ("RandomTranslation", ((-0.2, 0.0), 0.4), {"fill_mode": "constant"}),
    (
        "RandomTranslation",
        (0.1, 0.1),
        {"data_format": "channels_first", "interpolation": "nearest"},
    ),
    ("RandomShear", (0.3, 0.2), {}),
    ("RandomShear", (0.0, (0.1, 0.4)), {"fill_mode": "constant", "fill_value": 1.0}),
    ("RandomContrast", (0.4,), {}),
    ("RandomContrast", ((0.1, 0.5),), {"value_range": (0, 1), "data_format": "channels_first"}),
    ("RandomBrightness", (0.3,), {}),
    ("RandomBrightness", ((-0.2, 0.5),), {"value_range": (-1, 1)}),
]


def _ids(case: tuple[str, tuple, dict]) -> str:
    name, args, kwargs = case
    return name + "".join(f"-{a}" for a in args) + "".join(f"-{k}={v}" for k, v in kwargs.items())


def _x(kwargs: dict[str, Any], batched: bool = True) -> np.ndarray:
    shape = (3, 3, 7, 9) if kwargs.get("data_format") == "channels_first" else (3, 7, 9, 3)
    hi = kwargs.get("value_range", (0, 255))[1]
    x = np.random.default_rng(1).uniform(0, hi, shape).astype("float32")
    return x if batched else x[0]


@pytest.mark.parametrize("case", CASES, ids=_ids)
@pytest.mark.parametrize("batched", [True, False])
def test_fixed_draw_matches_keras(case: tuple[str, tuple, dict], batched: bool) -> None:
    name, args, kwargs = case
    x = _x(kwargs, batched)
    theirs = getattr(keras.layers, name)(*args, seed=4, **kwargs)
    ours = getattr(layers, name)(*args, seed=4, **kwargs)
    transformation = _np(theirs.get_random_transformation(x, training=True))
    if batched:
        expected = theirs.transform_images(x, transformation, training=True)
        got = ours.transform_images(x, transformation, training=True)
    else:
        expected = theirs.transform_single_image(x, transformation, training=True)
        got = ours.transform_single_image(x, transformation, training=True)
    np.testing.assert_allclose(_np(got), _np(expected), atol=2e-3, rtol=1e-4)
    # Our own draw has Keras's structure (same keys and shapes).
    drawn = _np(ours.get_random_transformation(torch.as_tensor(x), training=True))
    if isinstance(transformation, dict):
        for key, value in transformation.items():
            assert np.shape(drawn[key]) == np.shape(value), key
    expected_cfg = {k: v for k, v in theirs.get_config().items() if k not in KERAS_ONLY_KEYS}
    got_cfg = ours.get_config()
    assert set(got_cfg) == set(expected_cfg)
    for key in expected_cfg.keys() - {"name"}:
        assert np.all(np.asarray(got_cfg[key]) == np.asarray(expected_cfg[key])), key


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_inference_is_identity_and_calls_are_seeded(case: tuple[str, tuple, dict]) -> None:
    name, args, kwargs = case
    x = _x(kwargs)
    ours = getattr(layers, name)(*args, seed=7, **kwargs)
    theirs = getattr(keras.layers, name)(*args, seed=7, **kwargs)
    inference = ours(x, training=False)
    np.testing.assert_allclose(_np(inference), _np(theirs(x, training=False)), atol=1e-6)
    assert inference.dtype == torch.float32
    twin = getattr(layers, name)(*args, seed=7, **kwargs)
    first, second = ours(x), ours(x)  # a direct call trains, as in Keras
    assert torch.equal(first, twin(x))  # same seed, same draws
    if name != "RandomFlip":  # a flip draw repeats with probability 1/8 over 3 images
        assert not torch.equal(first, second)
    assert not np.allclose(_np(first), x)
    assert ours.compute_output_shape(x.shape) == x.shape


def _draws(layer: Any, key: str, x: np.ndarray, n: int = 400) -> np.ndarray:
    return np.concatenate(
        [_np(layer.get_random_transformation(torch.as_tensor(x))[key]).ravel() for _ in range(n)]
    )


def test_draw_distributions() -> None:
    x = np.zeros((8, 5, 5, 3), "float32")
    flips = _draws(layers.RandomFlip(seed=1), "flips", x)
    assert 0.45 < flips.mean() < 0.55
    angles = _draws(layers.RandomRotation((-0.1, 0.2), seed=1), "angle", x)
    assert angles.min() >= -36.0 and angles.max() <= 72.0
    assert abs(angles.mean() - 18.0) < 2.0  # uniform over [-36°, 72°]
    zooms = _draws(layers.RandomZoom((-0.2, 0.4), seed=1), "height_zoom", x)
    assert zooms.min() >= 0.8 and zooms.max() <= 1.4 and abs(zooms.mean() - 1.1) < 0.02
    shifts = _draws(layers.RandomTranslation(0.0, (0.2, 0.4), seed=1), "translations", x)
    dx = shifts.reshape(-1, 2)[:, 0] / 5
    assert dx.min() >= 0.2 - 1e-6 and dx.max() <= 0.4 + 1e-6
    contrast = _draws(layers.RandomContrast((0.2, 0.5), seed=1), "contrast_factor", x)
    assert contrast.min() >= 0.8 and contrast.max() <= 1.5
    delta = _draws(layers.RandomBrightness(0.1, value_range=(0, 1), seed=1), "rgb_delta", x)
    assert delta.min() >= -0.1 and delta.max() <= 0.1 and abs(delta.mean()) < 0.01


def test_integer_images_and_bad_arguments() -> None:
    ints = np.full((2, 4, 4, 3), 200, "uint8")
    out = layers.RandomBrightness((0.3, 0.3), seed=1)(ints)
    assert out.dtype == torch.float32 and torch.all(out == 255)  # cast, shifted, clipped
    assert layers.RandomFlip()(ints, training=False).dtype == torch.float32  # as Keras
    with pytest.raises(NotImplementedError, match="fill_mode"):
        layers.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="factor"):
        layers.RandomContrast(1.5)
    with pytest.raises(ValueError, match="height_factor"):
        layers.RandomZoom(-1.0)
    with pytest.raises(ValueError, match="rank 3"):
        layers.RandomFlip()(np.zeros((2, 2), "float32"))
