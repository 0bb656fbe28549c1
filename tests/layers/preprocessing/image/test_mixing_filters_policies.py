"""MixUp, CutMix, RandomErasing, the blur/perspective/elastic layers, RandAugment, AugMix,
CLAHE and MaxNumBoundingBoxes against real Keras: Keras's own draws replayed through
both ``transform_*`` methods, deterministic layers outright, config keys."""

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
    if isinstance(x, list):
        return [_np(v) for v in x]
    if hasattr(x, "shape") and not isinstance(x, np.ndarray):
        return keras.ops.convert_to_numpy(x)
    return x


def _x(channels_first: bool = False, n: int = 4, size: int = 10) -> np.ndarray:
    x = np.random.default_rng(3).uniform(0, 255, (n, size, size + 2, 3)).astype("float32")
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if channels_first else x


def _same_config_keys(ours: Any, theirs: Any) -> None:
    assert set(ours.get_config()) == set(theirs.get_config()) - KERAS_ONLY_KEYS


REPLAY = [
    ("MixUp", {"alpha": 0.4}),
    ("MixUp", {"data_format": "channels_first"}),
    ("CutMix", {}),
    ("CutMix", {"factor": (0.2, 0.8), "data_format": "channels_first"}),
    ("RandomErasing", {"factor": 1.0, "fill_value": 5.0}),
    ("RandomErasing", {"scale": (0.1, 0.5), "fill_value": (1, 2, 3)}),
    ("RandomErasing", {"factor": 0.5, "data_format": "channels_first"}),
    ("RandomGaussianBlur", {"kernel_size": 5, "sigma": (0.5, 1.0)}),
    ("RandomGaussianBlur", {"factor": 0.5, "data_format": "channels_first"}),
    ("RandomPerspective", {"scale": 0.5}),
    (
        "RandomPerspective",
        {"interpolation": "nearest", "fill_value": 9.0, "data_format": "channels_first"},
    ),
    ("RandAugment", {"num_ops": 3, "factor": 0.3}),
    ("AugMix", {"num_chains": 2, "chain_depth": 2, "all_ops": False}),
    ("AugMix", {}),
]


@pytest.mark.parametrize("name, kwargs", REPLAY, ids=lambda v: str(v))
def test_keras_draw_replayed_gives_keras_output(name: str, kwargs: dict[str, Any]) -> None:
    x = _x(kwargs.get("data_format") == "channels_first")
    theirs = getattr(keras.layers, name)(seed=5, **kwargs)
    ours = getattr(layers, name)(seed=5, **kwargs)
    transformation = _np(theirs.get_random_transformation(x, training=True))
    if name == "AugMix":  # Keras's per-step draws are tensors inside nested lists/dicts
        for chain in transformation["chain_transforms"]:
            for step in chain:
                step["transformation"] = _np(step["transformation"])
    if name == "RandAugment":
        transformation["transforms"] = {k: _np(v) for k, v in transformation["transforms"].items()}
    expected = _np(theirs.transform_images(x, transformation, training=True))
    got = _np(ours.transform_images(x, transformation, training=True))
    np.testing.assert_allclose(got, expected, atol=0.05, rtol=1e-4)
    labels = np.eye(4, dtype="float32")
    if name in ("MixUp", "CutMix"):
        np.testing.assert_allclose(
            _np(ours.transform_labels(labels, transformation)),
            _np(theirs.transform_labels(labels, transformation)),
            atol=1e-5,
        )
    drawn = ours.get_random_transformation(torch.as_tensor(x), training=True)
    assert set(drawn) == set(transformation)
    np.testing.assert_allclose(_np(ours(x, training=False)), x)
    _same_config_keys(ours, theirs)


def test_mixing_layers_mix_images_and_labels_together() -> None:
    x = _x()
    labels = np.eye(4, dtype="float32")
    out = layers.MixUp(alpha=0.5, seed=1)({"images": x, "labels": labels})
    np.testing.assert_allclose(out["labels"].sum(-1).numpy(), 1.0, atol=1e-6)
    assert not np.allclose(out["images"].numpy(), x)
    cut = layers.CutMix(seed=2)({"images": x, "labels": labels})
    np.testing.assert_allclose(cut["labels"].sum(-1).numpy(), 1.0, atol=1e-6)
    np.testing.assert_allclose(layers.CutMix(seed=2)(x[0]).numpy(), x[0])  # one image: unchanged


def test_random_draws_of_erasing_blur_perspective_and_elastic() -> None:
    x = torch.as_tensor(_x(n=8))
    erase = layers.RandomErasing(factor=0.5, seed=1)
    applied = np.concatenate(
        [_np(erase.get_random_transformation(x)["apply_erasing"]) for _ in range(50)]
    )
    assert 0.15 < applied.mean() < 0.35  # probability ~ U(0, 0.5): mean 0.25
    blur = layers.RandomGaussianBlur(sigma=(0.2, 0.6), seed=1)
    sigmas = np.concatenate(
        [_np(blur.get_random_transformation(x)["blur_factor"]) for _ in range(50)]
    )
    assert sigmas.min() >= 0.2 and sigmas.max() <= 0.6 + 1e-5
    persp = layers.RandomPerspective(scale=0.4, seed=1).get_random_transformation(x)
    moved = _np(persp["end_points"]) - _np(persp["start_points"])
    assert np.all(np.abs(moved) <= 0.2 * _np(persp["start_points"]) + 1e-4)
    assert layers.RandomElasticTransform(scale=0.0).get_random_transformation(x) is None
    elastic = layers.RandomElasticTransform(seed=3)
    warped = elastic(x)
    assert warped.shape == x.shape and not torch.allclose(warped, x)
    assert float(warped.min()) >= 0 and float(warped.max()) <= 255
    assert torch.equal(layers.RandomElasticTransform(seed=3)(x), warped)  # seeded
    _same_config_keys(elastic, keras.layers.RandomElasticTransform())


def test_policies_are_seeded_and_stay_in_range() -> None:
    x = _x()
    for cls in (layers.RandAugment, layers.AugMix):
        first, again = cls(seed=11)(x), cls(seed=11)(x)
        assert torch.equal(first, again)
        assert float(first.min()) >= 0 and float(first.max()) <= 255
        assert first.dtype == torch.float32 and first.shape == x.shape


CLAHE = [
    ({}, "float32"),
    ({}, "uint8"),
    ({"clip_limit": 2.0, "tile_grid_size": (3, 4)}, "float32"),
    ({"clip_limit": 2.0, "tile_grid_size": (3, 4)}, "uint8"),
    ({"clip_limit": 0.0, "tile_grid_size": (2, 2), "value_range": (0, 1)}, "float32"),
    ({"tile_grid_size": (4, 3), "data_format": "channels_first"}, "float32"),
    ({"tile_grid_size": (4, 3), "data_format": "channels_first"}, "uint8"),
]


@pytest.mark.parametrize("kwargs, dtype", CLAHE, ids=lambda v: str(v))
def test_clahe_matches_keras(kwargs: dict[str, Any], dtype: str) -> None:
    x = _x(kwargs.get("data_format") == "channels_first", n=2, size=13)
    if kwargs.get("value_range") == (0, 1):
        x = x / 255.0
    x = x.astype(dtype)
    theirs = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    ours = layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    expected, got = _np(theirs(x)), _np(ours(x))
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(
        got.astype("float64"),
        expected.astype("float64"),
        atol=1.0 if dtype == "uint8" else 1e-3 * (1 if kwargs.get("value_range") else 255),
    )
    np.testing.assert_allclose(
        _np(ours(x[0])).astype("float64"), expected[0].astype("float64"), atol=1.0
    )
    _same_config_keys(ours, theirs)


def test_max_num_bounding_boxes_matches_keras() -> None:
    images = _x(n=2)
    boxes = {
        "boxes": np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4),
        "labels": np.array([[1, 2, 3], [4, 5, 6]], dtype="float32"),
    }
    for max_number in (2, 5):
        theirs = keras.layers.MaxNumBoundingBoxes(max_number, bounding_box_format="xyxy")
        ours = layers.MaxNumBoundingBoxes(max_number, bounding_box_format="xyxy")
        expected = theirs({"images": images, "bounding_boxes": dict(boxes)})
        got = ours({"images": images, "bounding_boxes": dict(boxes)})
        for key in ("boxes", "labels"):
            np.testing.assert_allclose(
                _np(got["bounding_boxes"][key]), _np(expected["bounding_boxes"][key])
            )
        np.testing.assert_allclose(_np(got["images"]), images)
        _same_config_keys(ours, theirs)
    with pytest.raises(Exception, match="bounding box"):
        layers.RandomFlip()({"images": images, "bounding_boxes": dict(boxes)})
