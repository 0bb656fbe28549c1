"""load_img / img_to_array / array_to_img / save_img / smart_resize against real Keras."""

from __future__ import annotations

import io

import numpy as np
import pytest

from torchbridge.preprocessing import image as tb_image
from torchbridge.utils import image_utils

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402


@pytest.fixture
def image_files(tmp_path):
    rng = np.random.default_rng(0)
    files = {}
    for mode, shape in (("RGB", (13, 21, 3)), ("RGBA", (9, 9, 4)), ("L", (17, 11))):
        path = tmp_path / f"img_{mode}.png"
        Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode).save(path)
        files[mode] = path
    return files


@pytest.mark.parametrize("source", ["RGB", "RGBA", "L"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"color_mode": "grayscale"},
        {"color_mode": "rgba", "target_size": (8, 6)},
        {"target_size": (10, 12), "interpolation": "bilinear"},
        {"target_size": (10, 5), "interpolation": "bicubic", "keep_aspect_ratio": True},
    ],
    ids=str,
)
def test_load_img_and_img_to_array_match_keras(image_files, source, kwargs):
    import keras

    ours = image_utils.load_img(image_files[source], **kwargs)
    theirs = keras.utils.load_img(image_files[source], **kwargs)
    assert ours.mode == theirs.mode and ours.size == theirs.size
    for fmt in ("channels_last", "channels_first"):
        a = image_utils.img_to_array(ours, data_format=fmt)
        b = keras.utils.img_to_array(theirs, data_format=fmt)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_load_img_from_bytes_and_bad_arguments(image_files):
    data = image_files["RGB"].read_bytes()
    assert image_utils.load_img(io.BytesIO(data)).size == (21, 13)
    with pytest.raises(TypeError, match="path-like"):
        image_utils.load_img(3)
    with pytest.raises(ValueError, match="color_mode"):
        image_utils.load_img(image_files["RGB"], color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation"):
        image_utils.load_img(image_files["RGB"], target_size=(3, 3), interpolation="cubic")


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_array_to_img_matches_keras(channels, scale, fmt):
    import keras

    x = np.random.default_rng(1).uniform(0, 200, (6, 5, channels)).astype("float32")
    if fmt == "channels_first":
        x = x.transpose(2, 0, 1)
    a = image_utils.array_to_img(x, data_format=fmt, scale=scale)
    b = keras.utils.array_to_img(x, data_format=fmt, scale=scale)
    assert a.mode == b.mode
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    with pytest.raises(ValueError, match="rank 3"):
        image_utils.array_to_img(x[0])


@pytest.mark.parametrize("suffix", ["png", "jpg", "bmp"])
def test_save_img_round_trip_matches_keras(tmp_path, suffix):
    import keras

    x = np.random.default_rng(2).uniform(0, 255, (8, 7, 3)).astype("float32")
    ours, theirs = tmp_path / f"ours.{suffix}", tmp_path / f"keras.{suffix}"
    image_utils.save_img(ours, x)
    keras.utils.save_img(theirs, x)
    assert ours.read_bytes() == theirs.read_bytes()


def test_save_rgba_as_jpeg_warns_and_converts(tmp_path):
    x = np.zeros((4, 4, 4), "float32")
    with pytest.warns(UserWarning, match="RGBA"):
        image_utils.save_img(tmp_path / "a.jpeg", x)
    with Image.open(tmp_path / "a.jpeg") as img:
        assert img.mode == "RGB"


@pytest.mark.parametrize(
    ("shape", "size", "fmt"),
    [
        ((20, 30, 3), (10, 10), "channels_last"),
        ((2, 17, 9, 1), (8, 12), "channels_last"),
        ((3, 20, 30), (15, 7), "channels_first"),
    ],
)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_smart_resize_matches_keras(shape, size, fmt, interpolation):
    import keras

    x = np.random.default_rng(3).uniform(0, 1, shape).astype("float32")
    ours = tb_image.smart_resize(x, size, interpolation=interpolation, data_format=fmt)
    theirs = keras.preprocessing.image.smart_resize(
        x, size, interpolation=interpolation, data_format=fmt
    )
    assert isinstance(ours, np.ndarray) and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    with pytest.raises(ValueError, match="rank"):
        tb_image.smart_resize(x.reshape(-1), size)
