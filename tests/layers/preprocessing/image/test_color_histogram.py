"""Colour-adjusting and value-remapping image layers against real Keras: for a fixed draw
(Keras's own ``get_random_transformation``), deterministic layers outright, draws,
inference and config."""

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
    if hasattr(x, "shape"):
        return keras.ops.convert_to_numpy(x)
    return x


CASES = [
    ("RandomGrayscale", (), {"factor": 0.5}),
    ("RandomGrayscale", (), {"factor": 1.0, "data_format": "channels_first"}),
    ("RandomHue", (0.4,), {}),
    ("RandomHue", ((0.2, 0.9),), {"value_range": (0, 1), "data_format": "channels_first"}),
    ("RandomSaturation", (0.3,), {}),
    ("RandomSaturation", ((0.6, 0.9),), {"value_range": (0, 1)}),
    ("RandomColorDegeneration", (0.5,), {}),
    ("RandomColorDegeneration", ((0.2, 0.8),), {"data_format": "channels_first"}),
    ("RandomInvert", (), {"factor": 0.5}),
    ("RandomInvert", (), {"value_range": (0, 1)}),
    ("RandomPosterization", (4,), {}),
    ("RandomPosterization", ((2, 6),), {"value_range": (0, 1)}),
    ("RandomSharpness", (0.6,), {}),
    ("RandomSharpness", ((0.1, 0.9),), {"data_format": "channels_first"}),
    ("Solarization", (0.3, 0.6), {}),
    ("Solarization", ((0.1, 0.2), 0.9), {"value_range": (0, 1)}),
]


def _ids(case: tuple[str, tuple, dict]) -> str:
    name, args, kwargs = case
    return name + "".join(f"-{a}" for a in args) + "".join(f"-{k}={v}" for k, v in kwargs.items())


def _x(kwargs: dict[str, Any], batched: bool = True) -> np.ndarray:
    shape = (3, 3, 6, 7) if kwargs.get("data_format") == "channels_first" else (3, 6, 7, 3)
    hi = kwargs.get("value_range", (0, 255))[1]
    x = np.random.default_rng(2).uniform(0, hi, shape).astype("float32")
    return x if batched else x[0]


@pytest.mark.parametrize("case", CASES, ids=_ids)
@pytest.mark.parametrize("batched", [True, False])
def test_fixed_draw_matches_keras(case: tuple[str, tuple, dict], batched: bool) -> None:
    name, args, kwargs = case
    x = _x(kwargs, batched)
    theirs = getattr(keras.layers, name)(*args, seed=4, **kwargs)
    ours = getattr(layers, name)(*args, seed=4, **kwargs)
    batch = x if batched else x[None]
    transformation = _np(theirs.get_random_transformation(batch, training=True))
    expected = _np(theirs.transform_images(batch, transformation, training=True))
    got = _np(ours.transform_images(batch, transformation, training=True))
    tol = 2e-3 * kwargs.get("value_range", (0, 255))[1]
    np.testing.assert_allclose(got, expected, atol=tol)
    drawn = _np(ours.get_random_transformation(torch.as_tensor(batch), training=True))
    if isinstance(transformation, dict):
        assert {k: np.shape(v) for k, v in drawn.items()} == {
            k: np.shape(v) for k, v in transformation.items()
        }
    np.testing.assert_allclose(_np(ours(x, training=False)), _np(theirs(x, training=False)))
    expected_cfg = {k: v for k, v in theirs.get_config().items() if k not in KERAS_ONLY_KEYS}
    got_cfg = ours.get_config()
    assert set(got_cfg) == set(expected_cfg)
    for key in expected_cfg.keys() - {"name"}:
        assert np.all(np.asarray(got_cfg[key]) == np.asarray(expected_cfg[key])), key


DETERMINISTIC = [
    ("AutoContrast", {}),
    ("AutoContrast", {"value_range": (0, 1)}),
    ("Equalization", {}),
    ("Equalization", {"bins": 16, "data_format": "channels_first"}),
    ("Equalization", {"value_range": (0, 1), "bins": 64}),
    ("RandomSharpness", {"factor": (0.5, 0.5)}),
    ("RandomColorDegeneration", {"factor": (1.0, 1.0)}),
    ("RandomGrayscale", {"factor": 1.0}),
    ("RandomColorJitter", {"brightness_factor": (0.1, 0.1), "contrast_factor": (0.0, 0.0)}),
    ("RandomPosterization", {"factor": (3, 3)}),
]


@pytest.mark.parametrize("name, kwargs", DETERMINISTIC, ids=lambda v: str(v))
@pytest.mark.parametrize("batched", [True, False])
def test_deterministic_settings_match_keras(
    name: str, kwargs: dict[str, Any], batched: bool
) -> None:
    x = _x(kwargs, batched)
    x[..., 0, 0] = 0.0  # a channel value at the bottom of the range
    expected = _np(getattr(keras.layers, name)(**kwargs)(x))
    got = _np(getattr(layers, name)(**kwargs)(x))
    tol = 2e-3 * kwargs.get("value_range", (0, 255))[1]
    np.testing.assert_allclose(got, expected, atol=tol)


def test_color_jitter_applies_its_parts_in_keras_order_and_config() -> None:
    x = _x({})
    ours = layers.RandomColorJitter(
        brightness_factor=0.2,
        contrast_factor=0.3,
        saturation_factor=(0.3, 0.7),
        hue_factor=0.2,
        seed=3,
    )
    theirs = keras.layers.RandomColorJitter(
        brightness_factor=0.2,
        contrast_factor=0.3,
        saturation_factor=(0.3, 0.7),
        hue_factor=0.2,
        seed=3,
    )
    out = ours(x)
    assert out.shape == x.shape and not np.allclose(out.numpy(), x)
    assert float(out.min()) >= 0 and float(out.max()) <= 255
    assert set(ours.get_config()) == set(theirs.get_config()) - KERAS_ONLY_KEYS
    np.testing.assert_allclose(ours(x, training=False).numpy(), x)


def test_draw_ranges() -> None:
    x = torch.zeros((16, 4, 4, 3))
    hue = np.concatenate(
        [
            _np(layers.RandomHue((0.2, 0.6), seed=i).get_random_transformation(x)["factor"])
            for i in range(30)
        ]
    )
    assert np.all((np.abs(hue) >= 0.1 - 1e-6) & (np.abs(hue) <= 0.3 + 1e-6))
    assert 0.35 < (hue > 0).mean() < 0.65  # random sign
    bits = np.concatenate(
        [
            8
            - _np(
                layers.RandomPosterization((2, 6), seed=i).get_random_transformation(x)[
                    "shift_factor"
                ]
            ).astype(int)
            for i in range(30)
        ]
    )
    assert set(bits.tolist()) == {2, 3, 4, 5}  # Keras's randint excludes the upper bound
    gray = np.concatenate(
        [
            _np(layers.RandomGrayscale(0.25, seed=i).get_random_transformation(x)).ravel()
            for i in range(30)
        ]
    )
    assert 0.15 < gray.mean() < 0.35


def test_integer_inputs_become_float() -> None:
    ints = np.random.default_rng(0).integers(10, 200, (2, 5, 5, 3)).astype("uint8")
    assert layers.RandomHue(0.2, seed=1)(ints).dtype == torch.float32
    expected = _np(keras.layers.AutoContrast()(ints))
    got = _np(layers.AutoContrast()(ints))
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, atol=1)
