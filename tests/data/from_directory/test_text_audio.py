"""text_dataset_from_directory and audio_dataset_from_directory against real Keras on
small generated folders."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from torchbridge.errors import InputError
from torchbridge.utils import audio_dataset_from_directory, text_dataset_from_directory


@pytest.fixture(scope="module")
def text_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("texts")
    for cls, n in (("neg", 6), ("pos", 5)):
        (root / cls).mkdir()
        for i in range(n):
            (root / cls / f"{i}.txt").write_text(f"{cls} review {i} é" + " word" * i, "utf-8")
    (root / "pos" / "skip.md").write_text("ignored")
    return root


def _texts(batch) -> list[str]:
    return [t.decode() if isinstance(t, bytes) else t for t in np.asarray(batch).tolist()]


CASES = [
    {"shuffle": False},
    {"shuffle": False, "max_length": 13, "label_mode": "categorical", "batch_size": 3},
    {"shuffle": False, "labels": None},
    {"shuffle": False, "label_mode": "binary", "batch_size": None},
    {"validation_split": 0.4, "subset": "validation", "seed": 7, "shuffle": False},
]


@pytest.mark.parametrize("kwargs", CASES, ids=[str(c) for c in CASES])
def test_text_matches_keras(text_dir, kwargs):
    import keras

    kwargs = dict({"verbose": False}, **kwargs)
    ours = text_dataset_from_directory(text_dir, **kwargs)
    theirs = keras.utils.text_dataset_from_directory(str(text_dir), **kwargs)
    assert ours.class_names == theirs.class_names
    a, b = list(ours), list(theirs)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        x, y = (x, y) if isinstance(x, tuple) else ((x,), (y,))
        if kwargs.get("batch_size", 32) is None:
            assert _texts([x[0]]) == _texts([y[0].numpy()])
        else:
            assert _texts(x[0]) == _texts(y[0].numpy())
        for u, v in zip(x[1:], y[1:]):
            assert str(u.dtype).replace("torch.", "") == v.dtype.name
            np.testing.assert_array_equal(u.numpy(), v.numpy())


def test_text_seeded_split_and_both(text_dir):
    import keras

    kwargs = {"validation_split": 0.3, "subset": "both", "seed": 11, "verbose": False}
    train, val = text_dataset_from_directory(text_dir, **kwargs)
    k_train, k_val = keras.utils.text_dataset_from_directory(str(text_dir), **kwargs)
    assert sorted(_texts(np.concatenate([x for x, _ in train]))) == sorted(
        _texts(np.concatenate([x.numpy() for x, _ in k_train]))
    )
    assert _texts(np.concatenate([x for x, _ in val])) == _texts(
        np.concatenate([x.numpy() for x, _ in k_val])
    )


def test_text_errors(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "bad.txt").write_bytes(b"\xff\xfe broken")
    with pytest.raises(Exception, match=r"bad\.txt"):
        list(text_dataset_from_directory(tmp_path, verbose=False))
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "sub").mkdir()
    with pytest.raises(InputError, match="No text files"):
        text_dataset_from_directory(tmp_path / "empty", verbose=False)
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "x.txt").write_text("x")
    with pytest.raises(InputError, match="subfolder"):
        text_dataset_from_directory(tmp_path / "flat", verbose=False)


def _write_wav(path, samples: np.ndarray, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("audio")
    rng = np.random.default_rng(0)
    for cls, n in (("no", 4), ("yes", 3)):
        (root / cls).mkdir()
        for i in range(n):
            samples = rng.integers(-32768, 32767, (int(rng.integers(50, 120)), 1))
            _write_wav(root / cls / f"{i}.wav", samples)
    return root


@pytest.mark.parametrize(
    "kwargs",
    [
        {"shuffle": False, "batch_size": 3},
        {
            "shuffle": False,
            "batch_size": 2,
            "output_sequence_length": 80,
            "label_mode": "categorical",
        },
        {"shuffle": False, "batch_size": None, "labels": None},
    ],
    ids=str,
)
def test_audio_matches_keras(audio_dir, kwargs):
    import keras

    kwargs = dict({"verbose": False}, **kwargs)
    ours = list(audio_dataset_from_directory(audio_dir, **kwargs))
    theirs = list(keras.utils.audio_dataset_from_directory(str(audio_dir), **kwargs))
    assert len(ours) == len(theirs)
    for x, y in zip(ours, theirs):
        x, y = (x, y) if isinstance(x, tuple) else ((x,), (y,))
        for u, v in zip(x, y):
            assert u.shape == tuple(v.shape) and str(u.dtype).replace("torch.", "") == v.dtype.name
            np.testing.assert_allclose(u.numpy(), v.numpy(), atol=1e-7)


def test_audio_unsupported_options_say_what_to_do(audio_dir):
    with pytest.raises(InputError, match="resample"):
        audio_dataset_from_directory(audio_dir, sampling_rate=16000, verbose=False)
    with pytest.raises(InputError, match="output_sequence_length"):
        audio_dataset_from_directory(audio_dir, ragged=True, verbose=False)
