"""Bounding boxes through the image layers against real Keras: Keras's draw replayed
through both ``transform_bounding_boxes``, and whole dict calls for deterministic layers."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

from torchbridge import layers


def _np(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if hasattr(x, "shape") and not isinstance(x, np.ndarray):
        return keras.ops.convert_to_numpy(x)
    return x


def _boxes(fmt: str) -> dict[str, np.ndarray]:
    xyxy = np.array(
        [
            [[1, 2, 6, 5], [0, 0, 0, 0], [3, 1, 11, 9]],
            [[2, 2, 4, 8], [5, 0, 12, 3], [-1, -1, -1, -1]],
        ],
        dtype="float32",
    )
    converted = keras.ops.convert_to_numpy(
        keras.utils.bounding_boxes.convert_format(xyxy, "xyxy", fmt, height=10, width=12)
    )
    return {"boxes": converted, "labels": np.array([[1, 2, 3], [4, 5, 6]], dtype="int32")}


CASES = [
    ("RandomFlip", {}),
    ("RandomFlip", {"mode": "horizontal"}),
    ("RandomFlip", {"mode": "vertical"}),
    ("RandomRotation", {"factor": 0.2}),
    ("RandomTranslation", {"height_factor": 0.3, "width_factor": 0.3}),
    ("RandomContrast", {"factor": 0.3}),
    ("RandomHue", {"factor": 0.3}),
    ("Solarization", {"addition_factor": 0.2}),
    ("Resizing", {"height": 6, "width": 7}),
    ("Resizing", {"height": 8, "width": 8, "pad_to_aspect_ratio": True}),
    ("Resizing", {"height": 8, "width": 5, "crop_to_aspect_ratio": True}),
    ("CenterCrop", {"height": 6, "width": 8}),
    ("CenterCrop", {"height": 12, "width": 9}),
]


# Keras's RandomRotation reads every format as xyxy: it is checked with xyxy only.
REPLAYS = [
    (name, kwargs, fmt)
    for name, kwargs in CASES
    for fmt in ("xyxy", "rel_xyxy", "center_xywh")
    if name != "RandomRotation" or fmt == "xyxy"
]


@pytest.mark.parametrize("name, kwargs, fmt", REPLAYS, ids=lambda v: str(v))
def test_replayed_draw_moves_boxes_as_keras(name: str, kwargs: dict[str, Any], fmt: str) -> None:
    images = np.random.default_rng(0).uniform(0, 255, (2, 10, 12, 3)).astype("float32")
    theirs = getattr(keras.layers, name)(bounding_box_format=fmt, **kwargs)
    ours = getattr(layers, name)(bounding_box_format=fmt, **kwargs)
    transformation = theirs.get_random_transformation({"images": images}, training=True)
    transformation = _np(transformation)
    expected = _np(theirs.transform_bounding_boxes(_boxes(fmt), transformation, training=True))
    got = _np(
        ours.transform_bounding_boxes(
            {k: torch.as_tensor(v) for k, v in _boxes(fmt).items()}, transformation, training=True
        )
    )
    np.testing.assert_allclose(got["boxes"], expected["boxes"], atol=1e-3)
    np.testing.assert_array_equal(got["labels"], expected["labels"])


@pytest.mark.parametrize("batched", [True, False])
def test_dict_call_with_boxes_matches_keras(batched: bool) -> None:
    images = np.random.default_rng(1).uniform(0, 255, (2, 10, 12, 3)).astype("float32")
    boxes = _boxes("xyxy")
    if not batched:
        images, boxes = images[0], {k: v[0] for k, v in boxes.items()}
    theirs = keras.layers.Resizing(6, 9, bounding_box_format="xyxy")
    ours = layers.Resizing(6, 9, bounding_box_format="xyxy")
    expected = _np(theirs({"images": images, "bounding_boxes": dict(boxes)}))
    got = _np(ours({"images": images, "bounding_boxes": dict(boxes)}))
    np.testing.assert_allclose(got["images"], expected["images"], atol=1e-3)
    np.testing.assert_allclose(
        got["bounding_boxes"]["boxes"], expected["bounding_boxes"]["boxes"], atol=1e-4
    )
    np.testing.assert_array_equal(
        got["bounding_boxes"]["labels"], expected["bounding_boxes"]["labels"]
    )
    flipped = layers.RandomFlip("horizontal", bounding_box_format="xyxy", seed=1)(
        {
            "images": images,
            "bounding_boxes": {
                "boxes": [[[1, 2, 6, 5]], [[0, 1, 2, 3], [4, 4, 8, 8]]],
                "labels": [[1], [2, 3]],
            },
        }
        if batched
        else {"images": images, "bounding_boxes": dict(boxes)}
    )
    assert flipped["bounding_boxes"]["boxes"].shape[-1] == 4  # ragged lists are padded


def test_boxes_need_a_format_and_unsupported_layers_say_so() -> None:
    data = {"images": np.zeros((1, 4, 4, 3), "float32"), "bounding_boxes": _boxes("xyxy")}
    with pytest.raises(ValueError, match="bounding_box_format"):
        layers.RandomFlip()(dict(data))
    with pytest.raises(Exception, match="not supported"):
        layers.RandomZoom(0.1, bounding_box_format="xyxy")(dict(data))
