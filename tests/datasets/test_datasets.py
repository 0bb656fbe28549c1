"""keras.datasets loaders against real Keras's loaders reading the same small files,
written in Keras's formats into a temporary Keras cache (hash checks switched off for
these stand-in files; nothing is downloaded)."""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import tarfile

import numpy as np
import pytest

import torchbridge.utils.file_utils as tb_file_utils
from torchbridge import datasets


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A Keras cache both libraries read: $KERAS_HOME for torchbridge, Keras's import-time
    copy of it for Keras; the stand-in files pass any hash check."""
    import keras.src.backend.config as keras_config
    import keras.src.utils.file_utils as keras_file_utils

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path))
    monkeypatch.setattr(keras_file_utils, "validate_file", lambda *a, **k: True)
    monkeypatch.setattr(tb_file_utils, "validate_file", lambda *a, **k: True)
    (tmp_path / "datasets").mkdir()
    return tmp_path / "datasets"


def _same(ours, theirs) -> None:
    if isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
        return
    assert isinstance(ours, np.ndarray), type(ours)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if ours.dtype == object:
        assert [list(x) for x in ours] == [list(x) for x in theirs]
    else:
        np.testing.assert_array_equal(ours, theirs)


RNG = np.random.default_rng(0)


def _sequences(n: int) -> np.ndarray:
    seqs = np.empty(n, dtype=object)
    seqs[:] = [RNG.integers(1, 60, int(RNG.integers(2, 15))).tolist() for _ in range(n)]
    return seqs


def test_mnist(cache):
    import keras

    np.savez(
        cache / "mnist.npz",
        x_train=RNG.integers(0, 255, (12, 28, 28), dtype=np.uint8),
        y_train=RNG.integers(0, 10, 12, dtype=np.uint8),
        x_test=RNG.integers(0, 255, (5, 28, 28), dtype=np.uint8),
        y_test=RNG.integers(0, 10, 5, dtype=np.uint8),
    )
    _same(datasets.mnist.load_data(), keras.datasets.mnist.load_data())


@pytest.mark.parametrize("name", ["boston_housing", "california_housing"])
@pytest.mark.parametrize("kwargs", [{}, {"test_split": 0.35, "seed": 4}], ids=str)
def test_housing(cache, name, kwargs):
    import keras

    n = 700 if name == "california_housing" else 60
    np.savez(cache / f"{name}.npz", x=RNG.normal(size=(n, 8)), y=RNG.normal(size=n))
    ours = getattr(datasets, name).load_data(**kwargs)
    _same(ours, getattr(keras.datasets, name).load_data(**kwargs))
    if name == "california_housing":
        small = datasets.california_housing.load_data(version="small", **kwargs)
        _same(small, keras.datasets.california_housing.load_data(version="small", **kwargs))
        assert len(small[0][0]) + len(small[1][0]) == 600
        with pytest.raises(ValueError, match="version"):
            datasets.california_housing.load_data(version="medium")
    with pytest.raises(ValueError, match="test_split"):
        getattr(datasets, name).load_data(test_split=1.0)


IMDB_CASES = [
    {},
    {"num_words": 30, "skip_top": 3},
    {"maxlen": 10, "seed": 1},
    {"start_char": None, "oov_char": None, "num_words": 20},
    {"start_char": None, "index_from": 0},
]


@pytest.mark.parametrize("kwargs", IMDB_CASES, ids=str)
def test_imdb(cache, kwargs):
    import keras

    np.savez(
        cache / "imdb.npz",
        x_train=_sequences(20),
        y_train=RNG.integers(0, 2, 20),
        x_test=_sequences(9),
        y_test=RNG.integers(0, 2, 9),
    )
    _same(datasets.imdb.load_data(**kwargs), keras.datasets.imdb.load_data(**kwargs))


@pytest.mark.parametrize("kwargs", [*IMDB_CASES, {"test_split": 0.5}], ids=str)
def test_reuters(cache, kwargs):
    import keras

    np.savez(cache / "reuters.npz", x=_sequences(25), y=RNG.integers(0, 46, 25))
    _same(datasets.reuters.load_data(**kwargs), keras.datasets.reuters.load_data(**kwargs))
    assert datasets.reuters.get_label_names() == keras.datasets.reuters.get_label_names()


@pytest.mark.parametrize("name", ["imdb", "reuters"])
def test_word_index(cache, name):
    import keras

    (cache / f"{name}_word_index.json").write_text(json.dumps({"the": 1, "movie": 2}))
    index = getattr(datasets, name).get_word_index()
    assert index == getattr(keras.datasets, name).get_word_index() == {"the": 1, "movie": 2}


def test_npz_refuses_other_pickled_classes(cache):
    arr = np.empty(1, dtype=object)
    arr[0] = io.BytesIO  # any class reference is refused on load
    np.savez(cache / "imdb.npz", x_train=arr, y_train=arr, x_test=arr, y_test=arr)
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        datasets.imdb.load_data()


def _cifar_pickle(n: int, labels: dict) -> bytes:
    d = {b"data": RNG.integers(0, 255, (n, 3072), dtype=np.uint8)}
    d.update({k.encode(): list(map(int, v)) for k, v in labels.items()})
    return pickle.dumps(d)


def _tar(path, members: dict) -> None:
    with tarfile.open(path, "w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100(cache, label_mode):
    import keras

    members = {
        f"cifar-100-python/{split}": _cifar_pickle(
            n, {"fine_labels": RNG.integers(0, 100, n), "coarse_labels": RNG.integers(0, 20, n)}
        )
        for split, n in (("train", 6), ("test", 3))
    }
    _tar(cache / "cifar-100-python-target_archive", members)
    ours = datasets.cifar100.load_data(label_mode)
    _same(ours, keras.datasets.cifar100.load_data(label_mode))
    assert ours[0][0].shape == (6, 32, 32, 3)


def test_cifar10(cache):
    """Keras's loader needs full 10,000-image batches, so the check here is against the
    format itself: five training batches then the test batch, channels last."""
    labels = [RNG.integers(0, 10, 4) for _ in range(6)]
    members = {}
    for i, name in enumerate([*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]):
        members[f"cifar-10-batches-py/{name}"] = _cifar_pickle(4, {"labels": labels[i]})
    _tar(cache / "cifar-10-batches-py-target_archive", members)
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()
    assert x_train.shape == (20, 32, 32, 3) and x_test.shape == (4, 32, 32, 3)
    assert y_train.shape == (20, 1) and y_train.dtype == y_test.dtype == np.uint8
    first = pickle.loads(members["cifar-10-batches-py/data_batch_1"])[b"data"]
    np.testing.assert_array_equal(x_train[0], first[0].reshape(3, 32, 32).transpose(1, 2, 0))
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate(labels[:5]))
    assert os.path.isdir(cache / "cifar-10-batches-py-target" / "cifar-10-batches-py")


def _idx(arrays: np.ndarray, header: int) -> bytes:
    return gzip.compress(b"\0" * header + arrays.tobytes())


def test_fashion_mnist_small_files(cache):
    import keras

    folder = cache / "fashion-mnist"
    folder.mkdir()
    for prefix, n in (("train", 6), ("t10k", 3)):
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(
            _idx(RNG.integers(0, 10, n, dtype=np.uint8), 8)
        )
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(
            _idx(RNG.integers(0, 255, (n, 28, 28), dtype=np.uint8), 16)
        )
    _same(datasets.fashion_mnist.load_data(), keras.datasets.fashion_mnist.load_data())


DEBIAN_FASHION = "/usr/share/datasets/fashion-mnist"


@pytest.mark.skipif(not os.path.isdir(DEBIAN_FASHION), reason="Debian dataset-fashion-mnist absent")
def test_fashion_mnist_real_data(cache):
    import keras

    (cache / "fashion-mnist").symlink_to(DEBIAN_FASHION)
    ours = datasets.fashion_mnist.load_data()
    _same(ours, keras.datasets.fashion_mnist.load_data())
    (x_train, y_train), (x_test, _) = ours
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert sorted(np.unique(y_train)) == list(range(10))


def test_missing_file_offline_names_url_and_cache_path(cache, monkeypatch):
    def no_network(url, filename, *args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr("urllib.request.urlretrieve", no_network)
    with pytest.raises(tb_file_utils.DownloadError) as info:
        datasets.mnist.load_data()
    assert "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz" in str(
        info.value
    )
    assert str(cache / "mnist.npz") in str(info.value)
