"""``model.save("m.keras")`` writes a Keras 3 archive: real Keras 3 loads it and predicts
the same; torchbridge reads it back with its optimizer and trainer state."""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from typing import Any

import h5py
import keras
import numpy as np
import pytest
import torch

import torchbridge as tb


def _scale_class(lib: Any) -> type:
    """The same custom layer, registered under the same name in both libraries."""

    @lib.saving.register_keras_serializable(package="archive_write")
    class Scale(lib.layers.Layer):
        def __init__(self, factor: float = 2.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x: Any) -> Any:
            return x * self.w * self.factor

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "factor": self.factor}

    return Scale


def _tagged_class(lib: Any) -> type:
    """A custom layer with its own asset file (Keras's save_assets / load_assets hooks)."""

    @lib.saving.register_keras_serializable(package="archive_write")
    class Tagged(lib.layers.Layer):
        tag = "unset"

        def call(self, x: Any) -> Any:
            return x

        def save_assets(self, dir_path: str) -> None:
            with open(os.path.join(dir_path, "tag.txt"), "w") as f:
                f.write(self.tag)

        def load_assets(self, dir_path: str) -> None:
            with open(os.path.join(dir_path, "tag.txt")) as f:
                self.tag = f.read()

    return Tagged


_SCALE = {lib: _scale_class(lib) for lib in (tb, keras)}
_TAGGED = {lib: _tagged_class(lib) for lib in (tb, keras)}
_TEXTS = np.array(
    [["the cat sat"], ["a dog ran"], ["the dog sat down"], ["cats and dogs"]], dtype=object
)


def _sequential(rng: np.random.Generator) -> tuple[Any, Any]:
    model = tb.Sequential(
        [tb.Input((4,)), tb.layers.Dense(3, activation="relu"), tb.layers.Dense(2)]
    )
    return model, rng.random((6, 4), dtype=np.float32)


def _two_inputs(rng: np.random.Generator) -> tuple[Any, Any]:
    a, b = tb.Input((3,), name="a"), tb.Input((2,), name="b")
    joined = tb.layers.Concatenate()([tb.layers.Dense(4)(a), b])
    model = tb.Model([a, b], tb.layers.Dense(1, activation="sigmoid")(joined))
    return model, [rng.random((5, 3), dtype=np.float32), rng.random((5, 2), dtype=np.float32)]


def _custom_layer(rng: np.random.Generator) -> tuple[Any, Any]:
    inputs = tb.Input((3,))
    model = tb.Model(inputs, tb.layers.Dense(2)(_SCALE[tb](factor=3.0)(inputs)))
    return model, rng.random((4, 3), dtype=np.float32)


def _rnn_text(rng: np.random.Generator) -> tuple[Any, Any]:
    vectorize = tb.layers.TextVectorization(max_tokens=20, output_sequence_length=5)
    vectorize.adapt(_TEXTS[:, 0])
    text = tb.Input((1,), dtype="string")
    embedded = tb.layers.Embedding(20, 4)(vectorize(text))
    model = tb.Model(text, tb.layers.Dense(1)(tb.layers.LSTM(3)(embedded)))
    return model, np.array([["the cat ran"], ["unknown dogs sat"]])


def _adapted_preprocessing(rng: np.random.Generator) -> tuple[Any, Any]:
    lookup = tb.layers.StringLookup(output_mode="one_hot")
    lookup.adapt(np.array(["red", "green", "blue", "green"]))
    norm = tb.layers.Normalization()
    norm.adapt(rng.normal(3.0, 2.0, size=(8, 2)).astype("float32"))
    color, number = tb.Input((1,), dtype="string"), tb.Input((2,))
    joined = tb.layers.Concatenate()([tb.layers.Flatten()(lookup(color)), norm(number)])
    model = tb.Model([color, number], tb.layers.Dense(1)(joined))
    return model, [np.array([["green"], ["pink"]]), rng.random((2, 2), dtype=np.float32)]


MODELS: dict[str, Callable[[np.random.Generator], tuple[Any, Any]]] = {
    "sequential": _sequential,
    "two_inputs": _two_inputs,
    "custom_layer": _custom_layer,
    "rnn_text": _rnn_text,
    "adapted_preprocessing": _adapted_preprocessing,
}


@pytest.mark.parametrize("name", MODELS)
def test_keras_loads_what_torchbridge_writes(name: str, tmp_path: Any) -> None:
    model, x = MODELS[name](np.random.default_rng(0))
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        meta = json.loads(zf.read("metadata.json"))
    assert {"config.json", "metadata.json", "model.weights.h5"} <= set(names)
    assert "model.weights.safetensors" not in names  # the weights are stored once
    assert {"keras_version", "date_saved"} <= set(meta)
    loaded = keras.saving.load_model(path)
    theirs = keras.ops.convert_to_numpy(loaded(x))  # (predict() takes no string arrays in TF)
    np.testing.assert_allclose(theirs, model.predict(x, verbose=0), atol=1e-5)


def test_keras_reads_the_vocabulary_as_its_own_asset(tmp_path: Any) -> None:
    model, _ = _rnn_text(np.random.default_rng(0))
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        vocab_files = [n for n in zf.namelist() if n.endswith("/vocabulary.txt")]
    # as Keras writes it: the layer's save_assets, and its inner lookup's (a child object)
    assert sorted(vocab_files) == [
        "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt",
        "assets/layers/text_vectorization/vocabulary.txt",
    ]
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    theirs = next(
        layer for layer in loaded.layers if isinstance(layer, keras.layers.TextVectorization)
    )
    ours = model.get_layer(theirs.name)
    assert theirs.get_vocabulary() == ours.get_vocabulary()


def _trained(rng: np.random.Generator) -> tuple[Any, np.ndarray, np.ndarray]:
    model, x = _sequential(rng)
    model.compile(optimizer="adam", loss="mse")
    y = rng.random((6, 2), dtype=np.float32)
    model.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0)
    return model, x, y


def test_keras_resumes_the_optimizer_state(tmp_path: Any) -> None:
    model, _, _ = _trained(np.random.default_rng(1))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert int(loaded.optimizer.iterations.numpy()) == 4
    assert loaded.loss == "mse"


def test_torchbridge_round_trip_resumes_exactly(tmp_path: Any) -> None:
    torch.manual_seed(0)
    model, x, y = _trained(np.random.default_rng(2))
    model.save(tmp_path / "m.keras")
    loaded = tb.models.load_model(tmp_path / "m.keras")
    assert loaded._trainer.state.state_dict(include_rng=False) == model._trainer.state.state_dict(
        include_rng=False
    )
    fresh, _ = _sequential(np.random.default_rng(3))
    fresh.load_weights(tmp_path / "m.keras")  # the weights alone, from model.weights.h5
    for a, b, c in zip(model.get_weights(), loaded.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    # the same optimizer moments: one more epoch moves both models identically
    model.fit(x, y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_models_keras_cannot_express_keep_torchbridges_layout(tmp_path: Any) -> None:
    model = tb.Model.wrap(torch.nn.Linear(3, 2))
    model.save(tmp_path / "wrapped.keras")
    with zipfile.ZipFile(tmp_path / "wrapped.keras") as zf:
        names = zf.namelist()
    assert "model.weights.safetensors" in names and "model.weights.h5" not in names


def test_custom_assets_go_where_keras_looks_for_them(tmp_path: Any) -> None:
    inputs = tb.Input((2,))
    tagged = _TAGGED[tb](name="tagged")
    tagged.tag = "from torchbridge"
    model = tb.Model(inputs, tb.layers.Dense(1)(tagged(inputs)))
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert zf.read("assets/layers/tagged/tag.txt") == b"from torchbridge"
    assert keras.saving.load_model(tmp_path / "m.keras").get_layer("tagged").tag == (
        "from torchbridge"
    )
    assert tb.models.load_model(tmp_path / "m.keras").get_layer("tagged").tag == (
        "from torchbridge"
    )


def _counted_class(lib: Any) -> type:
    """A custom layer whose own store holds an extra key next to its weight."""

    @lib.saving.register_keras_serializable(package="archive_write")
    class Counted(lib.layers.Layer):
        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
            self.calls = np.zeros((1,), "float32")

        def call(self, x: Any) -> Any:
            return x * self.w

        def save_own_variables(self, store: Any) -> None:
            super().save_own_variables(store)
            store["calls"] = np.asarray(self.calls)

        def load_own_variables(self, store: Any) -> None:
            self.calls = np.array(store["calls"])
            keys = store.keys()  # (Keras passes its H5Entry, not a dict)
            super().load_own_variables({k: store[k] for k in keys if k != "calls"})

    return Counted


_COUNTED = {lib: _counted_class(lib) for lib in (tb, keras)}


@pytest.mark.parametrize(
    ("writer", "reader"),
    [(tb, keras), (keras, tb), (tb, tb)],
    ids=["torchbridge_to_keras", "keras_to_torchbridge", "torchbridge_to_torchbridge"],
)
def test_extra_keys_of_save_own_variables_round_trip(
    writer: Any, reader: Any, tmp_path: Any
) -> None:
    inputs = writer.Input((3,))
    counted = _COUNTED[writer](name="counted")
    model = writer.Model(inputs, writer.layers.Dense(2)(counted(inputs)))
    counted.w.assign(np.array([0.5, -1.0, 2.0], "float32"))
    counted.calls = np.array([7.0], "float32")
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf, tempfile.TemporaryDirectory() as tmp:
        zf.extract("model.weights.h5", tmp)  # Keras's layout: the store's keys in `vars`
        with h5py.File(os.path.join(tmp, "model.weights.h5")) as f:
            assert sorted(f["layers/counted/vars"]) == ["0", "calls"]
    loaded = reader.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.get_layer("counted").calls, [7.0])
    x = np.random.default_rng(0).random((4, 3), dtype=np.float32)
    expected = np.asarray(model.predict(x, verbose=0))
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), expected, atol=1e-6)
