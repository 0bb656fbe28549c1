"""``load_model`` reads ``.keras`` files written by real Keras 3: predictions equal Keras's,
vocabularies come from the assets, compiled models come back compiled with their
optimizer's iterations; corrupt or hostile archives raise ``SavedFormatError``."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import torchbridge as tb
from torchbridge.errors import SavedFormatError


def _offset_class(lib: Any) -> type:
    """The same custom layer, registered under the same name in both libraries."""

    @lib.saving.register_keras_serializable(package="archive_read")
    class Offset(lib.layers.Layer):
        def __init__(self, scale: float = 2.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.scale = scale

        def build(self, input_shape: Any) -> None:
            self.b = self.add_weight(shape=(input_shape[-1],), initializer="random_normal")

        def call(self, x: Any) -> Any:
            return (x + self.b) * self.scale

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "scale": self.scale}

    return Offset


_OFFSET = {lib: _offset_class(lib) for lib in (tb, keras)}


def _sequential() -> tuple[Any, list[np.ndarray]]:
    model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    return model, [np.random.default_rng(1).normal(size=(4, 5)).astype("float32")]


def _two_inputs() -> tuple[Any, list[np.ndarray]]:
    a, b = keras.Input((4,), name="a"), keras.Input((6,), name="b")
    merged = keras.layers.Concatenate()([keras.layers.Dense(3)(a), b])
    model = keras.Model([a, b], keras.layers.Dense(2)(merged))
    rng = np.random.default_rng(2)
    return model, [rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(3, 6))]


def _custom_layer() -> tuple[Any, list[np.ndarray]]:
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(2)(_OFFSET[keras](scale=3.0)(inputs))
    model = keras.Model(inputs, outputs)
    return model, [np.random.default_rng(3).normal(size=(2, 4)).astype("float32")]


def _conv_rnn() -> tuple[Any, list[np.ndarray]]:
    model = keras.Sequential(
        [
            keras.Input((6, 3)),
            keras.layers.Conv1D(4, 3, padding="same"),
            keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True)),
            keras.layers.LSTM(2),
        ]
    )
    return model, [np.random.default_rng(4).normal(size=(2, 6, 3)).astype("float32")]


def _nested_sequential_with_mask() -> tuple[Any, list[np.ndarray]]:
    """A Sequential inside a functional model, fed a mask: Keras passes it mask=."""
    inputs = keras.Input((5,), dtype="int32")
    x = keras.layers.Embedding(10, 4, mask_zero=True)(inputs)
    inner = keras.Sequential([keras.Input((5, 4)), keras.layers.LSTM(3)])
    model = keras.Model(inputs, keras.layers.Dense(2)(inner(x)))
    ids = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 7]], dtype="int32")
    return model, [ids]


BUILDERS: dict[str, Callable[[], tuple[Any, list[np.ndarray]]]] = {
    "nested_sequential_mask": _nested_sequential_with_mask,
    "sequential": _sequential,
    "two_inputs": _two_inputs,
    "custom_layer": _custom_layer,
    "conv_rnn": _conv_rnn,
}


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_a_keras_written_archive_predicts_as_keras(tmp_path, kind: str) -> None:
    model, arrays = BUILDERS[kind]()
    inputs = arrays if len(arrays) > 1 else arrays[0]
    path = tmp_path / "m.keras"
    model.save(path)
    expected = model.predict(inputs, verbose=0)
    loaded = tb.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(inputs, verbose=0), expected, atol=1e-5)
    assert [w.shape for w in loaded.get_weights()] == [w.shape for w in model.get_weights()]


def _text_model() -> Any:
    vectorize = keras.layers.TextVectorization(max_tokens=30, output_sequence_length=6)
    vectorize.adapt(np.array(["the cat sat on the mat", "a dog ran far away", "the end"]))
    inputs = keras.Input((1,), dtype="string")
    x = keras.layers.Embedding(30, 4)(vectorize(inputs))
    x = keras.layers.LSTM(3)(x)
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    texts = tf.constant([["the cat ran"], ["a mat far away"]])
    for _ in range(3):
        model.train_on_batch(texts, np.ones((2, 2), "float32"))
    return model


def test_an_rnn_text_model_gets_its_vocabulary_and_optimizer_back(tmp_path) -> None:
    model = _text_model()
    path = tmp_path / "text.keras"
    model.save(path)
    texts = [["the cat sat"], ["unknown words here"], ["dog"]]
    expected = model.predict(tf.constant(texts), verbose=0)

    loaded = tb.saving.load_model(path)
    vectorize = next(la for la in loaded.layers if type(la).__name__ == "TextVectorization")
    assert vectorize.get_vocabulary() == model.layers[1].get_vocabulary()
    np.testing.assert_allclose(loaded.predict(np.array(texts), verbose=0), expected, atol=1e-5)
    assert loaded.compiled
    compile_config = loaded.get_compile_config()
    assert compile_config["loss"] == "mse" and compile_config["metrics"] == ["mae"]
    assert type(loaded.optimizer).__name__ == "Adam"
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 3
    assert loaded.optimizer.learning_rate == pytest.approx(1e-3)

    uncompiled = tb.saving.load_model(path, compile=False)
    assert not uncompiled.compiled
    np.testing.assert_allclose(uncompiled.predict(np.array(texts), verbose=0), expected, atol=1e-5)


def test_a_loaded_keras_model_keeps_training(tmp_path) -> None:
    model, (x,) = _sequential()
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
    y = np.random.default_rng(5).normal(size=(4, 3)).astype("float32")
    model.train_on_batch(x, y)
    model.save(tmp_path / "m.keras")
    loaded = tb.saving.load_model(tmp_path / "m.keras")
    assert int(loaded.optimizer.iterations) == 1
    model.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)


def _rewrite(src: Any, dst: Any, change: Callable[[str, bytes], bytes | None]) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)


@pytest.mark.parametrize(
    ("case", "change", "message"),
    [
        ("bad_json", lambda n, d: b"{not json" if n == "config.json" else d, "not valid JSON"),
        ("no_class", lambda n, d: b"[1, 2]" if n == "config.json" else d, "Keras object"),
        ("bad_h5", lambda n, d: b"garbage" if n == "model.weights.h5" else d, "HDF5"),
        (
            "escaping_asset",
            lambda n, d: d,
            "not a plain path",
        ),
    ],
)
def test_broken_archives_raise_saved_format_errors(tmp_path, case, change, message) -> None:
    model, _ = _sequential()
    model.save(tmp_path / "m.keras")
    broken = tmp_path / "broken.keras"
    _rewrite(tmp_path / "m.keras", broken, change)
    if case == "escaping_asset":
        with zipfile.ZipFile(broken, "a") as zf:
            zf.writestr("assets/../../evil.txt", b"x")
    with pytest.raises(SavedFormatError, match=message) as info:
        tb.saving.load_model(broken)
    assert "broken.keras" in str(info.value)


def test_a_config_bomb_is_refused_before_it_is_read(tmp_path) -> None:
    model, _ = _sequential()
    model.save(tmp_path / "m.keras")
    bomb = tmp_path / "bomb.keras"
    huge = b" " * (65 * 2**20) + b"{}"  # deflates to a few kB, declares 65 MiB

    def change(name: str, data: bytes) -> bytes | None:
        return None if name == "config.json" else data

    _rewrite(tmp_path / "m.keras", bomb, change)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", huge)
    assert bomb.stat().st_size < 2**20
    with pytest.raises(SavedFormatError, match=r"over the .*limit"):
        tb.saving.load_model(bomb)


def test_torchbridge_files_still_take_their_own_reader(tmp_path) -> None:
    model = tb.Sequential([tb.Input((3,)), tb.layers.Dense(2)])
    model.save(tmp_path / "own.keras")
    loaded = tb.saving.load_model(tmp_path / "own.keras")
    x = np.ones((1, 3), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def _vocab_class(lib: Any) -> type:
    """A custom layer keeping a word list in its assets folder, in both libraries."""

    @lib.saving.register_keras_serializable(package="archive_read")
    class WordCount(lib.layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.words: list[str] = []

        def call(self, x: Any) -> Any:
            return x * float(len(self.words))

        def save_assets(self, dir_path: str) -> None:
            with open(f"{dir_path}/words.txt", "w") as f:
                f.write("\n".join(self.words))

        def load_assets(self, dir_path: str) -> None:
            with open(f"{dir_path}/words.txt") as f:
                self.words = f.read().split("\n")

    return WordCount


_WORDS = {lib: _vocab_class(lib) for lib in (tb, keras)}


def test_preprocessing_state_and_custom_assets_come_back(tmp_path) -> None:
    lookup = keras.layers.StringLookup()
    lookup.adapt(np.array(["b", "a", "b", "c", "b", "a"]))
    normalize = keras.layers.Normalization()
    normalize.adapt(np.random.default_rng(6).normal(3.0, 2.0, size=(20, 2)))
    words = _WORDS[keras]()
    words.words = ["x", "y", "z"]
    tokens, numbers = keras.Input((3,), dtype="string"), keras.Input((2,))
    out = keras.layers.Concatenate()(
        [keras.ops.cast(lookup(tokens), "float32"), words(normalize(numbers))]
    )
    model = keras.Model([tokens, numbers], out)
    model.save(tmp_path / "pre.keras")
    strings = np.array([["a", "b", "zzz"], ["c", "c", "a"]])
    values = np.array([[1.0, 2.0], [5.0, -1.0]], "float32")
    expected = model.predict([tf.constant(strings), values], verbose=0)

    loaded = tb.saving.load_model(tmp_path / "pre.keras")
    np.testing.assert_allclose(loaded.predict([strings, values], verbose=0), expected, atol=1e-5)
    by_type = {type(la).__name__: la for la in loaded.layers}
    assert by_type["StringLookup"].get_vocabulary() == lookup.get_vocabulary()
    assert by_type["WordCount"].words == ["x", "y", "z"]
