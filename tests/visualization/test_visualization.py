"""keras.visualization against real Keras: drawn pixel arrays are equal, and the gallery
figures saved to PNG decode to the same pixels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import keras
import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import torchbridge

pytest.importorskip("cv2")

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(2, 24, 32, 3)).astype("float32")
MASKS = RNG.integers(0, 4, size=(2, 24, 32, 1)).astype("int32")
BOXES = {
    "boxes": np.array(
        [[[2, 3, 20, 18], [5, 1, 30, 22]], [[0, 0, 10, 10], [12, 4, 28, 20]]], "float32"
    ),
    "labels": np.array([[0, 1], [2, -1]]),
    "confidences": np.array([[0.9, 0.456], [0.1, 0.2]], "float32"),
}
REL_YXYX = {
    "boxes": np.array([[[0.1, 0.1, 0.9, 0.5]], [[0.5, 0.25, 0.75, 0.9]]], "float32"),
    "labels": np.array([[1], [0]]),
}
CENTER = {
    "boxes": np.array([[[16, 12, 10, 8]], [[8, 6, 6, 4]]], "float32"),
    "labels": np.array([[3], [3]]),
}


def both(name, *args, **kwargs):
    ours = getattr(torchbridge.visualization, name)(*args, **kwargs)
    theirs = getattr(keras.visualization, name)(*args, **kwargs)
    return ours, theirs


MASK_CASES = [
    ("default-palette", (IMAGES, MASKS), {}),
    ("num-classes-alpha", (IMAGES, MASKS), {"num_classes": 5, "alpha": 0.35}),
    ("ignore-zero", (IMAGES, MASKS), {"ignore_index": 0}),
    (
        "color-mapping",
        (IMAGES, MASKS),
        {
            "num_classes": 4,
            "color_mapping": {0: (0, 0, 0), 1: (255, 0, 0), 2: (0, 255, 0), 3: (1, 2, 3)},
        },
    ),
    (
        "channels-first",
        (IMAGES.transpose(0, 3, 1, 2), MASKS.transpose(0, 3, 1, 2)),
        {"data_format": "channels_first"},
    ),
    ("no-blend", (IMAGES, MASKS), {"blend": False, "num_classes": 4}),
]


@pytest.mark.parametrize(
    ("args", "kwargs"), [c[1:] for c in MASK_CASES], ids=[c[0] for c in MASK_CASES]
)
def test_draw_segmentation_masks_matches_keras(args, kwargs) -> None:
    ours, theirs = both("draw_segmentation_masks", *args, **kwargs)
    expected = keras.ops.convert_to_numpy(theirs)
    got = ours.numpy() if isinstance(ours, torch.Tensor) else ours
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_draw_segmentation_masks_takes_torch_tensors() -> None:
    got = torchbridge.visualization.draw_segmentation_masks(
        torch.from_numpy(IMAGES), torch.from_numpy(MASKS)
    )
    expected = keras.visualization.draw_segmentation_masks(IMAGES, MASKS)
    np.testing.assert_array_equal(got, keras.ops.convert_to_numpy(expected))


BOX_CASES = [
    ("xyxy-labels-confidences", (IMAGES, BOXES, "xyxy"), {"class_mapping": {0: "cat", 1: "dog"}}),
    ("plain", (IMAGES, BOXES, "xyxy"), {"color": (255, 0, 0), "line_thickness": 1}),
    (
        "rel-yxyx-unit-floats",
        (IMAGES / 255.0, REL_YXYX, "rel_yxyx"),
        {"class_mapping": {0: "a", 1: "b"}, "font_scale": 0.5, "text_thickness": 2},
    ),
    (
        "center-xywh-uint8",
        (IMAGES.astype("uint8"), CENTER, "center_xywh"),
        {"class_mapping": {3: "x"}},
    ),
]


@pytest.mark.parametrize(
    ("args", "kwargs"), [c[1:] for c in BOX_CASES], ids=[c[0] for c in BOX_CASES]
)
def test_draw_bounding_boxes_matches_keras(args, kwargs) -> None:
    original = args[0].copy()
    ours, theirs = both("draw_bounding_boxes", *args, **kwargs)
    assert ours.dtype == np.uint8
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(args[0], original)  # the caller's images are untouched
    assert (ours != np.clip(original, 0, 255).astype("uint8")).any() or args[0].max() <= 1


@pytest.mark.parametrize(
    ("name", "args", "error"),
    [
        ("draw_bounding_boxes", (IMAGES[0], BOXES, "xyxy"), ValueError),
        ("draw_bounding_boxes", (IMAGES, [1, 2], "xyxy"), TypeError),
        ("draw_bounding_boxes", (IMAGES, {"boxes": BOXES["boxes"]}, "xyxy"), ValueError),
        ("draw_segmentation_masks", (IMAGES, MASKS.astype("float32")), TypeError),
    ],
    ids=["not-batched", "boxes-not-dict", "no-labels", "float-masks"],
)
def test_errors_match_keras(name, args, error) -> None:
    with pytest.raises(error) as theirs:
        getattr(keras.visualization, name)(*args)
    with pytest.raises(error) as ours:
        getattr(torchbridge.visualization, name)(*args)
    assert str(ours.value) == str(theirs.value)


GALLERY_CASES = [
    ("images", "plot_image_gallery", (IMAGES,), {}),
    (
        "images-labels-unit-range",
        "plot_image_gallery",
        (np.concatenate([IMAGES, IMAGES[:1]]) / 255.0,),
        {
            "y_true": np.array([0, 1, 0]),
            "y_pred": np.array([1, 1, 0]),
            "label_map": {0: "zero", 1: "one"},
            "value_range": (0, 1),
            "scale": 1.5,
        },
    ),
    (
        "boxes-legend",
        "plot_bounding_box_gallery",
        (IMAGES, "xyxy"),
        {"y_true": BOXES, "y_pred": BOXES, "class_mapping": {0: "cat", 1: "dog"}, "legend": True},
    ),
    (
        "masks",
        "plot_segmentation_mask_gallery",
        (IMAGES,),
        {"num_classes": 4, "y_true": MASKS, "y_pred": (MASKS + 1) % 4},
    ),
]


@pytest.mark.parametrize(
    ("name", "args", "kwargs"), [c[1:] for c in GALLERY_CASES], ids=[c[0] for c in GALLERY_CASES]
)
def test_gallery_png_matches_keras(name, args, kwargs, tmp_path) -> None:
    ours_path, theirs_path = tmp_path / "ours.png", tmp_path / "keras.png"
    assert getattr(torchbridge.visualization, name)(*args, path=str(ours_path), **kwargs) is None
    getattr(keras.visualization, name)(*args, path=str(theirs_path), **kwargs)
    ours, theirs = matplotlib.image.imread(ours_path), matplotlib.image.imread(theirs_path)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)
    assert plt.get_fignums() == []  # saved and closed


def test_gallery_without_path_or_show_leaves_the_figure_open() -> None:
    torchbridge.visualization.plot_image_gallery(IMAGES, rows=1, cols=2, show=False)
    figure = plt.gcf()
    try:
        assert len(figure.axes) == 2
        shown = figure.axes[1].images[0].get_array()
        np.testing.assert_array_equal(shown, IMAGES[1].astype("uint8"))
    finally:
        plt.close("all")


def test_gallery_argument_errors() -> None:
    with pytest.raises(ValueError, match="either `path` to be set, or `show`"):
        torchbridge.visualization.plot_image_gallery(IMAGES, path="x.png", show=True)
    with pytest.raises(ValueError, match="a `label_map` must also be provided"):
        torchbridge.visualization.plot_image_gallery(IMAGES, y_true=[0, 1], show=False)
    with pytest.raises(ValueError, match="Only pass `legend` OR `legend_handles`"):
        torchbridge.visualization.plot_bounding_box_gallery(
            IMAGES, "xyxy", legend=True, legend_handles=[object()], show=False
        )
