"""Differential tests of torchbridge.ops.image against keras.ops.image (TensorFlow backend)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import torchbridge.ops as tb_ops
from torchbridge.backend import config

IMAGE_NAMES = [
    "affine_transform", "crop_images", "elastic_transform", "extract_patches",
    "extract_patches_3d", "gaussian_blur", "hsv_to_rgb", "map_coordinates", "pad_images",
    "perspective_transform", "resize", "rgb_to_grayscale", "rgb_to_hsv",
    "scale_and_translate", "sobel_edges", "ssim",
]  # fmt: skip
FLOATS = ["float16", "float32", "float64"]


def _implemented(name: str) -> bool:
    return hasattr(tb_ops.image, name)


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_signature_matches_keras(ops_oracle: Any, name: str) -> None:
    if not _implemented(name):
        pytest.skip(f"{name} not implemented yet")
    ops_oracle.assert_same_signature(f"image.{name}")


def test_image_names_only_in_the_namespace() -> None:
    assert not any(hasattr(tb_ops, n) for n in IMAGE_NAMES if n not in ("image",))
    assert set(tb_ops.image.__all__) <= set(IMAGE_NAMES)


COLOR_CASES = [
    ("rgb_to_grayscale", f"{dt}[2,4,5,3]", {}) for dt in ["bool", "int32", "int64", *FLOATS]
] + [
    ("rgb_to_grayscale", "float32[3,4,5]", {"data_format": "channels_first"}),
    ("rgb_to_grayscale", "float32[4,5,1]", {}),
    ("rgb_to_grayscale", "float32[4,5,2]", {}),  # bad channel count: both raise
    ("rgb_to_grayscale", "float32[4,5]", {}),  # bad rank
    ("rgb_to_hsv", "int32[4,5,3]", {}),  # ints refused
    ("hsv_to_rgb", "float32[2,4,5]", {}),
] + [
    (fn, f"{dt}[2,4,5,3]", {}) for fn in ("rgb_to_hsv", "hsv_to_rgb") for dt in FLOATS
] + [
    (fn, "float32[2,3,4,5]", {"data_format": "channels_first"})
    for fn in ("rgb_to_hsv", "hsv_to_rgb")
]  # fmt: skip


@pytest.mark.parametrize("name,spec,kwargs", COLOR_CASES)
def test_color_conversions(ops_oracle: Any, name: str, spec: str, kwargs: dict) -> None:
    ops_oracle.compare(f"image.{name}", spec, **kwargs)


def test_hsv_round_trip_on_unit_colours(ops_oracle: Any) -> None:
    rgb = np.random.default_rng(3).random((3, 4, 3)).astype("float32")
    rgb[0, 0] = [0.5, 0.5, 0.5]  # grey: zero saturation
    rgb[0, 1] = [0.0, 0.0, 0.0]
    ops_oracle.compare("image.rgb_to_hsv", rgb)
    hsv = tb_ops.image.rgb_to_hsv(torch.from_numpy(rgb))
    np.testing.assert_allclose(tb_ops.image.hsv_to_rgb(hsv).numpy(), rgb, atol=1e-6)


RESIZE_CASES = [
    (interp, anti, shape, size)
    for interp in ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")
    for anti in (False, True)
    for shape, size in (((2, 7, 9, 3), (3, 4)), ((5, 6, 2), (11, 13)), ((1, 6, 10, 1), (6, 10)))
]


@pytest.mark.parametrize("interp,anti,shape,size", RESIZE_CASES)
def test_resize_methods(
    ops_oracle: Any, interp: str, anti: bool, shape: tuple, size: tuple
) -> None:
    spec = f"float32[{','.join(map(str, shape))}]"
    ops_oracle.compare("image.resize", spec, size, interpolation=interp, antialias=anti)


@pytest.mark.parametrize("dtype", ["int32", "int64", "float16", "float64", "bool"])
@pytest.mark.parametrize("interp", ["bilinear", "nearest", "bicubic"])
def test_resize_dtypes(ops_oracle: Any, dtype: str, interp: str) -> None:
    x = np.random.default_rng(1).uniform(-300, 300, (2, 5, 7, 2)).astype(dtype)
    ops_oracle.compare("image.resize", x, (8, 3), interpolation=interp, rtol=2e-3, atol=2e-3)


ASPECT_CASES = [
    ("float32[2,6,10,3]", (4, 4), {"crop_to_aspect_ratio": True}),
    ("float32[2,10,6,3]", (4, 4), {"crop_to_aspect_ratio": True}),
    ("float32[7,5,3]", (6, 9), {"crop_to_aspect_ratio": True}),
    ("float32[2,6,10,3]", (4, 4), {"pad_to_aspect_ratio": True}),
    ("float32[2,10,6,3]", (4, 4), {"pad_to_aspect_ratio": True, "fill_value": 2.5}),
    ("float32[7,5,3]", (6, 9), {"pad_to_aspect_ratio": True}),
    ("float32[2,3,6,10]", (4, 4), {"pad_to_aspect_ratio": True, "data_format": "channels_first"}),
    ("float32[2,3,6,10]", (5, 3), {"crop_to_aspect_ratio": True, "data_format": "channels_first"}),
    ("float32[6,10,3]", (4, 4), {"pad_to_aspect_ratio": True, "crop_to_aspect_ratio": True}),
    ("float32[6,10,3]", (4, 4), {"interpolation": "cubic"}),
    ("float32[6,10,3]", (4, 4), {"pad_to_aspect_ratio": True, "fill_mode": "reflect"}),
    ("float32[6,10,3]", (0, 4), {}),
    ("float32[6,10]", (4, 4), {}),
]


@pytest.mark.parametrize("spec,size,kwargs", ASPECT_CASES)
def test_resize_aspect_ratio_and_errors(
    ops_oracle: Any, spec: str, size: tuple, kwargs: dict
) -> None:
    ops_oracle.compare("image.resize", spec, size, **kwargs)


def test_resize_follows_image_data_format(ops_oracle: Any) -> None:
    previous = config.image_data_format()
    import keras

    try:
        config.set_image_data_format("channels_first")
        keras.config.set_image_data_format("channels_first")
        ops_oracle.compare("image.resize", "float32[2,3,5,7]", (4, 4))
    finally:
        config.set_image_data_format(previous)
        keras.config.set_image_data_format(previous)


CROP_PAD_CASES = [
    ("pad_images", "float32[2,4,5,3]", {"top_padding": 1, "left_padding": 2, "bottom_padding": 0, "right_padding": 3}),
    ("pad_images", "int32[4,5,3]", {"top_padding": 1, "left_padding": 2, "target_height": 8, "target_width": 9}),
    ("pad_images", "bool[4,5,3]", {"bottom_padding": 1, "right_padding": 2, "target_height": 8, "target_width": 9}),
    ("pad_images", "float64[2,3,4,5]", {"top_padding": 1, "left_padding": 2, "target_height": 8, "target_width": 9, "data_format": "channels_first"}),
    ("pad_images", "float32[4,5,3]", {"top_padding": 1, "left_padding": 2}),
    ("pad_images", "float32[4,5,3]", {"top_padding": 1, "left_padding": 2, "target_height": 3, "target_width": 9}),
    ("pad_images", "float32[4,5,3]", {"top_padding": -1, "left_padding": 2, "bottom_padding": 0, "right_padding": 1}),
    ("crop_images", "float32[2,6,7,3]", {"top_cropping": 1, "left_cropping": 2, "bottom_cropping": 0, "right_cropping": 3}),
    ("crop_images", "int64[6,7,3]", {"top_cropping": 1, "left_cropping": 2, "target_height": 3, "target_width": 4}),
    ("crop_images", "float16[2,3,6,7]", {"bottom_cropping": 1, "right_cropping": 2, "target_height": 3, "target_width": 4, "data_format": "channels_first"}),
    ("crop_images", "float32[6,7,3]", {"top_cropping": 1, "left_cropping": 2}),
    ("crop_images", "float32[6,7,3]", {"top_cropping": 4, "left_cropping": 2, "bottom_cropping": 3, "right_cropping": 0}),
    ("crop_images", "float32[6,7]", {"top_cropping": 1, "left_cropping": 2, "bottom_cropping": 0, "right_cropping": 0}),
]  # fmt: skip


@pytest.mark.parametrize("name,spec,kwargs", CROP_PAD_CASES)
def test_crop_and_pad(ops_oracle: Any, name: str, spec: str, kwargs: dict) -> None:
    ops_oracle.compare(f"image.{name}", spec, **kwargs)


SCALE_CASES = [
    ("float32[2,6,7,3]", (2, 9, 4, 3), [1.5, 0.6], [0.5, -1.0], [1, 2], method, anti)
    for method in ("linear", "bilinear", "cubic", "lanczos3", "lanczos5")
    for anti in (True, False)
] + [
    ("float64[5,8]", (5, 3), [0.4], [0.0], [1], "linear", True),
    ("float32[4,6]", (4, 6), [1.0], [0.0], [], "linear", True),
    ("float32[4,6]", (4, 6), [1.0], [0.0], [0], "nearest", True),
]


@pytest.mark.parametrize("spec,shape,scale,shift,dims,method,anti", SCALE_CASES)
def test_scale_and_translate(
    ops_oracle: Any, spec: str, shape: tuple, scale: list, shift: list, dims: list, method: str,
    anti: bool,
) -> None:  # fmt: skip
    scale_a, shift_a = np.array(scale, "float32"), np.array(shift, "float32")
    ops_oracle.compare("image.scale_and_translate", spec, shape, scale_a, shift_a, dims, method,
                       anti, rtol=1e-4, atol=1e-5)  # fmt: skip


def test_resize_keeps_tensor_device_and_accepts_numpy() -> None:
    out = tb_ops.image.resize(np.ones((4, 4, 1), "float32"), (2, 2))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 2, 1)
    np.testing.assert_allclose(out.numpy(), 1.0)


def test_scale_and_translate_integer_images_round_within_input_range() -> None:
    # Keras's TensorFlow backend fails on integer images (a dtype clash in its clip);
    # we compute in float32, round, and clip to the input's range (Keras's intent).
    x = torch.arange(24, dtype=torch.int32).reshape(4, 6, 1)
    out = tb_ops.image.scale_and_translate(x, (8, 3, 1), [2.0, 0.5], [0.0, 0.25], [0, 1], "cubic")
    assert out.dtype == torch.int32 and out.shape == (8, 3, 1)
    assert int(out.min()) >= 0 and int(out.max()) <= 23


PATCH_CASES = [
    ("extract_patches", "float32[2,7,9,3]", size, {"strides": st, "padding": pad})
    for size in (2, (2, 3))
    for st in (None, 1, (2, 1))
    for pad in ("valid", "same")
] + [
    ("extract_patches", "float32[2,7,9,3]", (2, 2), {"strides": 1, "dilation_rate": 2}),
    ("extract_patches", "float64[7,9,3]", (2, 2), {}),
    ("extract_patches", "float32[2,5,6,7,2]", (2, 3, 2), {}),
    ("extract_patches", "float32[2,7,9,3]", (2, 2, 2, 2), {}),
    ("extract_patches", "float32[2,7,9,3]", "2", {}),
    ("extract_patches_3d", "float32[2,5,6,7,2]", 2, {}),
    ("extract_patches_3d", "float32[5,6,7,2]", (2, 3, 2), {"strides": 1, "padding": "same"}),
    ("extract_patches_3d", "float32[2,2,5,6,7]", 2, {"data_format": "channels_first"}),
    ("extract_patches_3d", "float32[2,5,6,7,2]", 2, {"strides": (1, 2)}),
]


@pytest.mark.parametrize("name,spec,size,kwargs", PATCH_CASES)
def test_extract_patches(ops_oracle: Any, name: str, spec: str, size: Any, kwargs: dict) -> None:
    ops_oracle.compare(f"image.{name}", spec, size, **kwargs)


FILTER_CASES = [
    ("gaussian_blur", ("float32[2,7,9,3]",), {"kernel_size": ks, "sigma": sg})
    for ks, sg in (((3, 3), (1.0, 1.0)), ((5, 3), (1.5, 0.7)), ((3, 5), (2.0, 1.0)))
] + [
    ("gaussian_blur", ("float64[7,9,3]",), {}),
    ("gaussian_blur", ("float16[2,7,9,3]",), {}),
    ("gaussian_blur", ("float32[7,9]",), {}),
    ("sobel_edges", ("float32[2,7,9,3]",), {}),
    ("sobel_edges", ("float64[2,3,7,9]",), {"data_format": "channels_first"}),
    ("sobel_edges", ("float16[1,5,6,1]",), {}),
    ("ssim", ("float32[2,16,17,3]", "float32[2,16,17,3]"), {}),
    ("ssim", ("float32[16,17,3]", "float32[16,17,3]"), {}),
    ("ssim", ("float64[2,3,12,12]", "float64[2,3,12,12]"),
     {"filter_size": 5, "filter_sigma": 1.0, "max_val": 2.0, "data_format": "channels_first"}),
    ("ssim", ("int32[2,16,17,3]", "int32[2,16,17,3]"), {"max_val": 255.0}),
    ("ssim", ("float32[16,17]", "float32[16,17]"), {}),
]  # fmt: skip


@pytest.mark.parametrize("name,specs,kwargs", FILTER_CASES)
def test_filters(ops_oracle: Any, name: str, specs: tuple, kwargs: dict) -> None:
    tol = 5e-3 if "float16" in specs[0] else 1e-4
    ops_oracle.compare(f"image.{name}", *specs, rtol=tol, atol=tol, **kwargs)


def test_extract_patches_channels_first_matches_channels_last() -> None:
    # Keras's TensorFlow backend cannot run NCHW convolutions on CPU; compare layouts.
    x = torch.randn(2, 7, 9, 3, generator=torch.Generator().manual_seed(0))
    last = tb_ops.image.extract_patches(x, (2, 3), strides=1, padding="same")
    first = tb_ops.image.extract_patches(x.permute(0, 3, 1, 2), (2, 3), strides=1,
                                         padding="same", data_format="channels_first")  # fmt: skip
    torch.testing.assert_close(first.permute(0, 2, 3, 1), last)


def test_ssim_of_identical_images_is_one(ops_oracle: Any) -> None:
    a = np.random.default_rng(2).random((2, 16, 16, 3)).astype("float32")
    ops_oracle.compare("image.ssim", a, a)
    np.testing.assert_allclose(tb_ops.image.ssim(torch.from_numpy(a), a).numpy(), 1.0, rtol=1e-5)


TRANSFORMS = [
    np.array([1.2, 0.3, -2.5, -0.4, 0.9, 1.7, 0.01, -0.02], "float32"),
    np.array([[0.5, 0, 1, 0, 0.5, 1.5, 0, 0], [1, 0, -3, 0, 1, 2.5, 0, 0]], "float32"),
    np.array([2.1, 0.3, -8, 0.2, 1.9, -7, 0, 0], "float32"),
]
AFFINE_CASES = [
    ("float32[2,7,9,3]", i, interp, mode)
    for i in range(len(TRANSFORMS))
    for interp in ("nearest", "bilinear")
    for mode in ("constant", "nearest", "wrap", "reflect", "mirror")
]


@pytest.mark.parametrize("spec,which,interp,mode", AFFINE_CASES)
def test_affine_transform(ops_oracle: Any, spec: str, which: int, interp: str, mode: str) -> None:
    ops_oracle.compare("image.affine_transform", spec, TRANSFORMS[which], interpolation=interp,
                       fill_mode=mode, fill_value=0.5, rtol=1e-4, atol=1e-4)  # fmt: skip


@pytest.mark.parametrize(
    "spec,kwargs",
    [
        ("float32[7,9,3]", {}),
        ("float64[2,3,7,9]", {"data_format": "channels_first"}),
        ("float16[2,7,9,3]", {}),
        ("float32[2,7,9,3]", {"interpolation": "bicubic"}),
        ("float32[7,9]", {}),
    ],
)
def test_affine_transform_layouts_and_errors(ops_oracle: Any, spec: str, kwargs: dict) -> None:
    ops_oracle.compare("image.affine_transform", spec, TRANSFORMS[0], rtol=1e-3, atol=1e-3,
                       **kwargs)  # fmt: skip


def test_affine_transform_integer_images(ops_oracle: Any) -> None:
    x = (np.random.default_rng(4).random((2, 7, 9, 3)) * 255).astype("int32")
    ops_oracle.compare("image.affine_transform", x, TRANSFORMS[0])


START = np.array([[0, 0], [8, 0], [0, 6], [8, 6]], "float32")
END = np.array([[1, 0.5], [7, 1], [0, 6], [8, 5]], "float32")


@pytest.mark.parametrize(
    "spec,start,end,kwargs",
    [
        ("float32[2,7,9,3]", START, END, {}),
        ("float32[2,7,9,3]", START, END, {"interpolation": "nearest"}),
        ("float32[7,9,3]", START, END, {"fill_value": 1.0}),
        ("float32[2,3,7,9]", np.stack([START, START]), np.stack([END, START]),
         {"data_format": "channels_first"}),
        ("float32[2,7,9,3]", START[:3], END[:3], {}),
        ("float32[2,7,9,3]", START, np.stack([END, END]), {}),
        ("float32[2,7,9,3]", START, END, {"interpolation": "area"}),
    ],
)  # fmt: skip
def test_perspective_transform(
    ops_oracle: Any, spec: str, start: np.ndarray, end: np.ndarray, kwargs: dict
) -> None:
    ops_oracle.compare("image.perspective_transform", spec, start, end, rtol=1e-4, atol=1e-4,
                       **kwargs)  # fmt: skip


COORDS = (np.random.default_rng(5).random((2, 4, 3)) * 10 - 2.5).astype("float32")
IN_RANGE = (np.random.default_rng(6).random((2, 4, 3)) * 4).astype("float32")


@pytest.mark.parametrize(
    "spec,coords,order,mode",
    [("float32[5,6]", COORDS, order, mode) for order in (0, 1)
     for mode in ("constant", "nearest", "wrap", "reflect")]
    + [
        ("float32[5,6]", IN_RANGE, 1, "mirror"),  # Keras's mirror fails out of range
        ("float64[5,6]", COORDS.astype("float64"), 1, "constant"),
        ("int32[5,6]", COORDS, 1, "constant"),
        ("float32[5,6]", COORDS, 3, "constant"),
        ("float32[5,6]", COORDS, 1, "bogus"),
        ("float32[5,6,2]", COORDS, 1, "constant"),
        ("float32[4,5,6]", np.stack([COORDS[0]] * 3), 1, "nearest"),
    ],
)  # fmt: skip
def test_map_coordinates(
    ops_oracle: Any, spec: str, coords: np.ndarray, order: int, mode: str
) -> None:
    ops_oracle.compare("image.map_coordinates", spec, coords, order, fill_mode=mode,
                       fill_value=0.5)  # fmt: skip


@pytest.mark.parametrize("interp", ["nearest", "bilinear"])
def test_elastic_transform_with_no_displacement_is_identity(ops_oracle: Any, interp: str) -> None:
    ops_oracle.compare("image.elastic_transform", "float32[2,8,9,3]", alpha=0.0,
                       interpolation=interp, seed=1)  # fmt: skip


def test_elastic_transform_is_seeded_and_keeps_shape_and_dtype() -> None:
    x = torch.rand(2, 3, 10, 11, dtype=torch.float64)
    a = tb_ops.image.elastic_transform(x, seed=3, data_format="channels_first")
    b = tb_ops.image.elastic_transform(x, seed=3, data_format="channels_first")
    assert a.shape == x.shape and a.dtype == torch.float64
    torch.testing.assert_close(a, b)
    assert not torch.equal(a, x)
    with pytest.raises(ValueError, match="interpolation"):
        tb_ops.image.elastic_transform(x, interpolation="bicubic")
