"""image_dataset_from_directory against real Keras on small generated folders: same
files in the same order and split, same labels, same pixels (within float rounding)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from torchbridge.errors import InputError
from torchbridge.utils import image_dataset_from_directory

pytest.importorskip("PIL")
from PIL import Image


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    layout = {"cat": 7, "dog": 5, "zebra": 6}
    for cls, n in layout.items():
        for i in range(n):
            sub = root / cls / ("nested" if i % 3 == 2 else "")
            sub.mkdir(parents=True, exist_ok=True)
            h, w = rng.integers(8, 30, 2)
            pixels = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
            ext = ("png", "bmp", "PNG")[i % 3]
            Image.fromarray(pixels).save(
                sub / f"img{i}.{ext}", format="PNG" if ext != "bmp" else "BMP"
            )
    (root / "cat" / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(root / ".hidden" / "x.png")
    return root


def _keras_batches(ds):
    return [tuple(t.numpy() for t in b) if isinstance(b, tuple) else b.numpy() for b in ds]


def _our_batches(ds):
    return [tuple(t.numpy() for t in b) if isinstance(b, tuple) else b.numpy() for b in ds]


CASES = [
    {"shuffle": False},
    {"shuffle": False, "interpolation": "nearest"},
    {"shuffle": False, "crop_to_aspect_ratio": True, "label_mode": "categorical"},
    {"shuffle": False, "pad_to_aspect_ratio": True, "data_format": "channels_first"},
    {"shuffle": False, "color_mode": "rgba", "batch_size": None},
    {"shuffle": False, "labels": None},
    {"shuffle": False, "class_names": ["zebra", "cat"], "label_mode": "binary"},
    # (explicit labels: every file under the root counts, the hidden folder's too)
    {"shuffle": False, "labels": [i % 4 for i in range(19)], "image_size": 12},
    {"shuffle": False, "validation_split": 0.25, "subset": "training"},
]


@pytest.mark.parametrize("kwargs", CASES, ids=[str(c) for c in CASES])
def test_matches_keras_unshuffled(image_dir, kwargs):
    import keras

    kwargs = dict({"image_size": (16, 20), "batch_size": 4, "verbose": False}, **kwargs)
    ours = image_dataset_from_directory(image_dir, **kwargs)
    theirs = keras.utils.image_dataset_from_directory(str(image_dir), **kwargs)
    assert ours.file_paths == theirs.file_paths
    assert ours.class_names == theirs.class_names
    a, b = _our_batches(ours), _keras_batches(theirs)
    assert len(a) == len(b) == ours.cardinality()
    for x, y in zip(a, b):
        x, y = (x, y) if isinstance(x, tuple) else ((x,), (y,))
        for u, v in zip(x, y):
            assert u.dtype == v.dtype and u.shape == v.shape
            np.testing.assert_allclose(u.astype("float32"), v.astype("float32"), atol=1e-3)


@pytest.mark.parametrize("subset", ["training", "validation", "both"])
@pytest.mark.parametrize("seed", [0, 1337])
def test_seeded_split_puts_the_same_files_in_each_subset(image_dir, subset, seed):
    import keras

    kwargs = {"validation_split": 0.3, "subset": subset, "seed": seed, "verbose": False}
    ours = image_dataset_from_directory(image_dir, image_size=8, **kwargs)
    theirs = keras.utils.image_dataset_from_directory(str(image_dir), image_size=8, **kwargs)
    if subset != "both":
        ours, theirs = [ours], [theirs]
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert o.file_paths == t.file_paths
        labels = np.concatenate([y.numpy() for _, y in o])
        keras_labels = np.concatenate([y.numpy() for _, y in t])
        assert sorted(labels) == sorted(keras_labels)  # (shuffle buffer order differs)
    if subset == "both":
        validation = np.concatenate([y.numpy() for _, y in ours[1]])
        np.testing.assert_array_equal(validation, np.concatenate([y.numpy() for _, y in theirs[1]]))


@pytest.mark.parametrize("color_mode", ["rgb", "grayscale", "rgba"])
@pytest.mark.parametrize("ext", ["png", "jpg", "gif"])
def test_colour_conversion_matches_keras(tmp_path, color_mode, ext):
    """Grey from colour uses TensorFlow's weights (PNG/GIF exact). JPEG: libjpeg builds
    differ in IDCT/upsampling rounding, so pixels agree within a few levels.
    (TensorFlow cannot decode BMP/GIF as grayscale or GIF as RGBA; torchbridge can.)"""
    import keras

    if ext != "png" and color_mode != "rgb" and not (ext == "jpg" and color_mode == "grayscale"):
        pytest.skip(f"TensorFlow decodes {ext} only as RGB (torchbridge: any colour mode)")
    (tmp_path / "a").mkdir()
    rng = np.random.default_rng(5)
    for i in range(3):
        pixels = rng.integers(0, 255, (24, 32, 4 if color_mode == "rgba" else 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / "a" / f"{i}.{ext}")
    kwargs = {"image_size": (24, 32), "shuffle": False, "verbose": False, "color_mode": color_mode}
    ours = next(iter(image_dataset_from_directory(tmp_path, **kwargs)))[0].numpy()
    theirs = next(iter(keras.utils.image_dataset_from_directory(str(tmp_path), **kwargs)))[0]
    np.testing.assert_allclose(ours, theirs.numpy(), atol=6 if ext == "jpg" else 1e-3)


def test_fit_evaluate_predict_take_the_dataset(image_dir):
    import torchbridge as keras

    train, val = image_dataset_from_directory(
        image_dir,
        image_size=(8, 8),
        batch_size=4,
        validation_split=0.2,
        subset="both",
        seed=1,
        verbose=False,
    )
    model = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(train, validation_data=val, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "val_loss"}
    assert np.isfinite(model.evaluate(val, verbose=0))
    assert model.predict(val, verbose=0).shape == (sum(1 for _ in val.unbatch()), 3)


def test_no_class_subfolders_is_a_clear_error(tmp_path):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "a.png")
    with pytest.raises(InputError, match="subfolder"):
        image_dataset_from_directory(tmp_path, verbose=False)
    ds = image_dataset_from_directory(tmp_path, labels=None, image_size=4, verbose=False)
    assert tuple(next(iter(ds)).shape) == (1, 4, 4, 3)


def test_unreadable_image_names_the_file(tmp_path):
    (tmp_path / "a").mkdir()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "a" / "good.png")
    (tmp_path / "a" / "broken.png").write_bytes(b"not a png")
    ds = image_dataset_from_directory(tmp_path, image_size=4, shuffle=False, verbose=False)
    with pytest.raises(Exception, match=r"broken\.png"):
        list(ds)
    # as with tf.data, ignore_errors() skips the file
    kept = list(ds.unbatch().ignore_errors())
    assert len(kept) == 1 and isinstance(kept[0][0], torch.Tensor)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"validation_split": 0.2}, "subset"),
        ({"subset": "training"}, "validation_split"),
        ({"validation_split": 0.2, "subset": "training"}, "seed"),
        ({"validation_split": 1.5, "subset": "training", "seed": 1}, "between 0 and 1"),
        ({"validation_split": 0.2, "subset": "test", "seed": 1}, "subset"),
        ({"label_mode": "sparse"}, "label_mode"),
        ({"label_mode": "binary"}, "exactly 2"),
        ({"labels": "folders"}, "list/tuple"),
        ({"color_mode": "cmyk"}, "color_mode"),
        ({"image_size": (1, 2, 3)}, "image_size"),
        ({"interpolation": "cubic"}, "interpolation"),
        ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "Only one"),
        ({"class_names": ["cat", "horse"]}, "class_names"),
        ({"labels": [0, 1]}, "lengths of `labels`"),
    ],
)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # Keras's pool
def test_bad_arguments_error_as_keras(image_dir, kwargs, match):
    import keras

    with pytest.raises(ValueError, match=match):
        image_dataset_from_directory(image_dir, verbose=False, **kwargs)
    with pytest.raises(ValueError):
        keras.utils.image_dataset_from_directory(str(image_dir), verbose=False, **kwargs)


def test_follow_links(image_dir, tmp_path):
    import keras

    (tmp_path / "linked").mkdir()
    os.symlink(image_dir / "dog", tmp_path / "linked" / "dog")
    kwargs = {"follow_links": True, "shuffle": False, "verbose": False}
    ours = image_dataset_from_directory(tmp_path, **kwargs)
    theirs = keras.utils.image_dataset_from_directory(str(tmp_path), **kwargs)
    assert ours.file_paths == theirs.file_paths and len(ours.file_paths) == 5
    with pytest.raises(InputError):
        image_dataset_from_directory(tmp_path, follow_links=False, verbose=False)
