"""keras.utils.bounding_boxes: the 9 functions against real Keras on the same boxes."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest

import torchbridge as tb

K = keras.utils.bounding_boxes
FORMATS = [
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
]
NAMES = [
    "convert_format",
    "clip_to_image_size",
    "compute_iou",
    "compute_ciou",
    "affine_transform",
    "crop",
    "pad",
    "encode_box_to_deltas",
    "decode_deltas_to_boxes",
]


def ours():
    return tb.utils.bounding_boxes


def _boxes(shape=(2, 5)) -> np.ndarray:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 60, (*shape, 2))
    wh = rng.uniform(5, 40, (*shape, 2))
    return np.concatenate([xy, xy + wh], -1).astype("float32")


def _close(a, b, **kw) -> None:
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-4, **kw)


@pytest.mark.parametrize("name", NAMES)
def test_signatures_match_keras(name: str) -> None:
    theirs = inspect.signature(getattr(K, name)).parameters.values()
    mine = inspect.signature(getattr(ours(), name)).parameters.values()
    assert [(p.name, p.default) for p in mine] == [(p.name, p.default) for p in theirs]


@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("target", ["xyxy", "center_yxhw", "rel_xywh", "rel_center_xywh"])
def test_convert_format(source: str, target: str) -> None:
    boxes = K.convert_format(_boxes(), "xyxy", source, height=80, width=100)
    expected = K.convert_format(boxes, source, target, height=80, width=100)
    got = ours().convert_format(np.asarray(boxes), source, target, height=80, width=100)
    _close(got, expected)


def test_convert_format_errors() -> None:
    with pytest.raises(ValueError, match="height"):
        ours().convert_format(_boxes(), "xyxy", "rel_xyxy")
    with pytest.raises(ValueError, match="Supported formats"):
        ours().convert_format(_boxes(), "xyxy", "xxyy")
    with pytest.raises(ValueError, match="last dimension of 4"):
        ours().convert_format(np.zeros((2, 3)), "xyxy", "yxyx")


@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy"])
def test_clip_to_image_size(fmt: str) -> None:
    boxes = _boxes() - 20.0
    if fmt == "rel_xyxy":
        boxes = boxes / 50.0
    data = {"boxes": boxes, "labels": np.arange(10).reshape(2, 5)}
    expected = K.clip_to_image_size(dict(data), height=40, width=50, bounding_box_format=fmt)
    got = ours().clip_to_image_size(dict(data), height=40, width=50, bounding_box_format=fmt)
    _close(got["boxes"], expected["boxes"])
    np.testing.assert_array_equal(np.asarray(got["labels"]), np.asarray(expected["labels"]))


@pytest.mark.parametrize("fmt", ["xyxy", "center_xywh", "yxyx"])
@pytest.mark.parametrize("batched", [False, True])
def test_compute_iou(fmt: str, batched: bool) -> None:
    a = _boxes((2, 5) if batched else (5,))
    b = _boxes((2, 3) if batched else (3,)) * 0.9 + 3.0
    if batched:
        a[0, 1] = -1.0  # a padded box
    a = np.asarray(K.convert_format(a, "xyxy", fmt))
    b = np.asarray(K.convert_format(b, "xyxy", fmt))
    for masking in (False, True):
        expected = K.compute_iou(a, b, fmt, use_masking=masking, mask_val=-2)
        got = ours().compute_iou(a, b, fmt, use_masking=masking, mask_val=-2)
        _close(got, expected)


def test_compute_ciou() -> None:
    a, b = _boxes(), _boxes() * 0.8 + 4.0
    _close(ours().compute_ciou(a, b, "xyxy"), K.compute_ciou(a, b, "xyxy"))
    with pytest.raises(ValueError, match="image_shape"):
        ours().compute_ciou(a, b, "rel_xyxy")


def test_affine_transform() -> None:
    boxes = _boxes()
    args = dict(
        angle=np.array([10.0, -30.0], "float32"),
        translate_x=np.array([0.1, -0.2], "float32"),
        translate_y=np.array([0.0, 0.05], "float32"),
        scale=np.array([1.0, 1.3], "float32"),
        shear_x=np.array([5.0, 0.0], "float32"),
        shear_y=np.array([0.0, -8.0], "float32"),
        height=80,
        width=100,
    )
    _close(ours().affine_transform(boxes, **args), K.affine_transform(boxes, **args))
    with pytest.raises(NotImplementedError):
        ours().affine_transform(boxes, **args, bounding_box_format="yxyx")


def test_crop_and_pad() -> None:
    boxes = _boxes()
    _close(ours().crop(boxes, 10, 20, 40, 50), K.crop(boxes, 10, 20, 40, 50))
    _close(ours().pad(boxes, 10, 20), K.pad(boxes, 10, 20))


@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
@pytest.mark.parametrize("encoding", ["center_yxhw", "center_xywh"])
def test_encode_decode_deltas(variance, encoding: str) -> None:
    anchors, boxes = _boxes((6,)), _boxes((6,)) * 1.1 + 2
    kwargs = dict(
        anchor_format="xyxy", box_format="rel_xyxy", variance=variance, image_shape=(80, 100, 3)
    )
    rel = np.asarray(K.convert_format(boxes, "xyxy", "rel_xyxy", height=80, width=100))
    expected = K.encode_box_to_deltas(anchors, rel, encoding_format=encoding, **kwargs)
    got = ours().encode_box_to_deltas(anchors, rel, encoding_format=encoding, **kwargs)
    _close(got, expected)
    decoded = ours().decode_deltas_to_boxes(
        {"p3": anchors}, {"p3": np.asarray(expected)}, encoded_format=encoding, **kwargs
    )
    _close(
        decoded["p3"],
        K.decode_deltas_to_boxes(anchors, expected, encoded_format=encoding, **kwargs),
    )
    _close(decoded["p3"], rel)


def test_results_stay_on_the_boxes_device() -> None:
    """Helper tensors are made on the boxes' device (checked on torch's "meta" device)."""
    import torch

    boxes = torch.rand(2, 3, 4, device="meta")
    bb = ours()
    results = [
        bb.convert_format(boxes, "xyxy", "rel_center_xywh", height=10, width=20),
        bb.clip_to_image_size({"boxes": boxes}, 10, 20)["boxes"],
        bb.compute_iou(boxes, boxes, "xyxy", use_masking=True),
        bb.compute_ciou(boxes, boxes, "xyxy"),
        bb.affine_transform(boxes, torch.zeros(2, device="meta"), 0.1, 0.1, 1.0, 0.0, 0.0, 10, 20),
        bb.crop(boxes, 1, 2, 5, 5),
        bb.pad(boxes, 1, 2),
        bb.encode_box_to_deltas(boxes, boxes, "xyxy", "xyxy", variance=[0.1, 0.1, 0.2, 0.2]),
        bb.decode_deltas_to_boxes(boxes, boxes, "xyxy", "xyxy", variance=[0.1, 0.1, 0.2, 0.2]),
    ]
    assert all(r.device.type == "meta" for r in results)
