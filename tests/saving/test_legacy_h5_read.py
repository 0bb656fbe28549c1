"""``load_model`` reads whole-model ``.h5`` files written by Keras 3's legacy writer
(``model.save("m.h5")``): predictions equal Keras's, compiled models come back compiled
with their optimizer state; files it must not trust raise ``SavedFormatError``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import h5py
import keras
import numpy as np
import pytest

import torchbridge as tb
from torchbridge.errors import SavedFormatError


def _scale_class(lib: Any) -> type:
    """The same custom layer, registered under the same name in both libraries."""

    @lib.saving.register_keras_serializable(package="legacy_h5_read")
    class Scale(lib.layers.Layer):
        def __init__(self, factor: float = 2.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="random_normal")

        def call(self, x: Any) -> Any:
            return x * self.w * self.factor

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "factor": self.factor}

    return Scale


_SCALE = {lib: _scale_class(lib) for lib in (tb, keras)}
_RNG = np.random.default_rng(7)


def _sequential() -> tuple[Any, Any]:
    model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(4, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(2),
        ]
    )
    return model, _RNG.normal(size=(3, 5)).astype("float32")


def _two_inputs() -> tuple[Any, Any]:
    a, b = keras.Input((4,)), keras.Input((2,))
    merged = keras.layers.Concatenate()([keras.layers.Dense(3)(a), b])
    model = keras.Model([a, b], keras.layers.Dense(2)(merged))
    return model, [_RNG.normal(size=(2, 4)).astype("float32"), _RNG.normal(size=(2, 2))]


def _custom_layer() -> tuple[Any, Any]:
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(_SCALE[keras](factor=0.5)(inputs)))
    return model, _RNG.normal(size=(2, 3)).astype("float32")


def _rnn() -> tuple[Any, Any]:
    model = keras.Sequential(
        [
            keras.Input((5,), dtype="int32"),
            keras.layers.Embedding(12, 4),
            keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True)),
            keras.layers.GRU(2),
        ]
    )
    return model, _RNG.integers(0, 12, size=(2, 5)).astype("int32")


BUILDERS: dict[str, Callable[[], tuple[Any, Any]]] = {
    "sequential": _sequential,
    "two_inputs": _two_inputs,
    "custom_layer": _custom_layer,
    "rnn": _rnn,
}


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_a_keras_written_h5_predicts_as_keras(tmp_path, kind: str) -> None:
    model, x = BUILDERS[kind]()
    model.save(tmp_path / "m.h5")
    loaded = tb.saving.load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    assert not loaded.compiled


def test_a_compiled_h5_comes_back_compiled_with_its_optimizer(tmp_path) -> None:
    model, x = _sequential()
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="mse", metrics=["mae"])
    y = _RNG.normal(size=(3, 2)).astype("float32")
    for _ in range(2):
        model.train_on_batch(x, y)
    model.save(tmp_path / "m.h5")

    loaded = tb.saving.load_model(tmp_path / "m.h5")
    assert loaded.compiled
    config = loaded.get_compile_config()
    assert config["loss"] == "mse" and config["metrics"] == ["mae"]
    assert type(loaded.optimizer).__name__ == "SGD"
    assert loaded.optimizer.learning_rate == pytest.approx(0.01)
    assert int(loaded.optimizer.iterations) == 2
    # The restored momentum gives the same next step as Keras's.
    model.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)

    assert not tb.saving.load_model(tmp_path / "m.h5", compile=False).compiled


def test_h5_files_it_must_not_trust_are_refused(tmp_path) -> None:
    model, _ = _sequential()
    model.save(tmp_path / "m.h5")
    model.save_weights(tmp_path / "only.weights.h5")
    with pytest.raises(SavedFormatError, match=r"only.weights.h5.*no model_config"):
        tb.saving.load_model(tmp_path / "only.weights.h5")

    (tmp_path / "outside.h5").write_bytes(b"")
    with h5py.File(tmp_path / "m.h5", "a") as f:  # a weight stored as a link to another file
        layer = f["model_weights"][f["model_weights"].attrs["layer_names"][0]]
        weight = layer.attrs["weight_names"][1]
        weight = weight.decode() if isinstance(weight, bytes) else str(weight)
        del layer[weight]
        layer[weight] = h5py.ExternalLink(str(tmp_path / "outside.h5"), "/bias")
    with pytest.raises(SavedFormatError, match=r"m.h5.*ExternalLink"):
        tb.saving.load_model(tmp_path / "m.h5")

    with h5py.File(tmp_path / "bad.h5", "w") as f:
        f.attrs["model_config"] = "{not json"
    with pytest.raises(SavedFormatError, match=r"bad.h5.*not valid JSON"):
        tb.saving.load_model(tmp_path / "bad.h5")

    with h5py.File(tmp_path / "deep.h5", "w") as f:  # nesting bounded before anything is built
        f.attrs["model_config"] = (
            '{"class_name": "Sequential", "config": ' + "[" * 300 + "]" * 300 + "}"
        )
    with pytest.raises(SavedFormatError, match=r"deep.h5.*nests deeper than 200"):
        tb.saving.load_model(tmp_path / "deep.h5")


def _dense(name: str, units: int) -> dict[str, Any]:
    return {
        "class_name": "Dense",
        "config": {"name": name, "trainable": True, "dtype": "float32", "units": units},
    }


def _node(*sources: str) -> list[list[Any]]:
    return [[[source, 0, 0, {}] for source in sources]]


def test_a_tf_keras_2_layout_file_loads(tmp_path) -> None:
    """The tf.keras 2.x layout, hand-written with h5py (no ``keras_version`` attribute, as
    in the oldest files): legacy node lists, ``batch_input_shape``, ``axis: [1]``,
    ``name:0`` weights. Files written by tf_keras itself: test_tf_keras_files.py."""
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "name": "a"}},
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2], "name": "b"}},
        {**_dense("d1", 4), "inbound_nodes": _node("a")},
        {"class_name": "Concatenate", "config": {"name": "cat"}, "inbound_nodes": _node("d1", "b")},
        {
            "class_name": "BatchNormalization",
            "config": {"name": "bn", "axis": [1], "epsilon": 0.001},
            "inbound_nodes": _node("cat"),
        },
        {**_dense("d2", 2), "inbound_nodes": _node("bn")},
    ]
    for layer in layers:
        layer["name"] = layer["config"]["name"]
        layer.setdefault("inbound_nodes", [])
    config = {
        "class_name": "Functional",
        "config": {
            "name": "model",
            "layers": layers,
            "input_layers": [["a", 0, 0], ["b", 0, 0]],
            "output_layers": [["d2", 0, 0]],
        },
    }
    rng = np.random.default_rng(9)
    values = {
        "d1": {"kernel": rng.normal(size=(3, 4)), "bias": rng.normal(size=4)},
        "bn": {
            "gamma": rng.uniform(0.5, 2, 6),
            "beta": rng.normal(size=6),
            "moving_mean": rng.normal(size=6),
            "moving_variance": rng.uniform(0.5, 2, 6),
        },
        "d2": {"kernel": rng.normal(size=(6, 2)), "bias": rng.normal(size=2)},
    }
    with h5py.File(tmp_path / "tf2.h5", "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode()
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = [n.encode() for n in ("a", "b", "d1", "cat", "bn", "d2")]
        for name in ("a", "b", "cat"):
            group.create_group(name).attrs["weight_names"] = np.array([], dtype="S1")
        for name, weights in values.items():
            layer_group = group.create_group(name)
            layer_group.attrs["weight_names"] = [f"{name}/{w}:0".encode() for w in weights]
            for w, value in weights.items():
                layer_group.create_dataset(f"{name}/{w}:0", data=value.astype("float32"))

    a, b = keras.Input((3,)), keras.Input((2,))
    d1, bn, d2 = keras.layers.Dense(4), keras.layers.BatchNormalization(), keras.layers.Dense(2)
    reference = keras.Model([a, b], d2(bn(keras.layers.Concatenate()([d1(a), b]))))
    for layer, name in ((d1, "d1"), (bn, "bn"), (d2, "d2")):
        layer.set_weights([v.astype("float32") for v in values[name].values()])
    x = [rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 2)).astype("float32")]
    loaded = tb.saving.load_model(tmp_path / "tf2.h5")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), reference.predict(x, verbose=0), atol=1e-5
    )
