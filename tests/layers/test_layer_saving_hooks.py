"""The Layer base's saving hooks against Keras: ``get_build_config`` /
``build_from_config`` and the default ``save_own_variables`` / ``load_own_variables``
that a custom layer reaches through ``super()``; Keras's Layer has no default
``save_assets`` / ``load_assets``, and neither has ours."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import keras
import numpy as np
import pytest

import torchbridge as tb


def _counter_class(k: ModuleType) -> type:
    class Counter(k.layers.Layer):
        """The guide's shape: a trainable weight, a non-trainable one created first."""

        def build(self, input_shape: Any) -> None:
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False)
            self.w = self.add_weight(shape=(input_shape[-1], 2), initializer="ones")

        def call(self, x: Any) -> Any:
            return x @ self.w

    return Counter


def _built_in_model(k: ModuleType, layer: Any) -> Any:
    inputs = k.Input((3,))
    return k.Model(inputs, layer(inputs))


LAYERS = {
    "Dense": lambda k: k.layers.Dense(2),
    "Counter": lambda k: _counter_class(k)(),
    "Concatenate": lambda k: k.layers.Concatenate(),
}


def _call(k: ModuleType, name: str, layer: Any) -> None:
    if name == "Concatenate":
        a, b = k.Input((3,)), k.Input((2,))
        layer([a, b])
    else:
        _built_in_model(k, layer)


@pytest.mark.parametrize("name", LAYERS)
def test_build_config_as_keras_writes_it(name: str) -> None:
    ours, theirs = LAYERS[name](tb), LAYERS[name](keras)
    assert ours.get_build_config() is None and theirs.get_build_config() is None
    _call(tb, name, ours)
    _call(keras, name, theirs)
    expected = json.loads(json.dumps(theirs.get_build_config()))
    assert json.loads(json.dumps(ours.get_build_config())) == expected


@pytest.mark.parametrize("name", LAYERS)
def test_build_from_config_builds_as_keras(name: str) -> None:
    donor = LAYERS[name](keras)
    _call(keras, name, donor)
    config = json.loads(json.dumps(donor.get_build_config()))  # lists, as read from a file
    ours, theirs = LAYERS[name](tb), LAYERS[name](keras)
    ours.build_from_config(config)
    theirs.build_from_config(config)
    assert ours.built and theirs.built
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert json.loads(json.dumps(ours.get_build_config())) == config
    ours.build_from_config(config)  # a second time: already built, nothing happens
    assert len(ours.weights) == len(theirs.weights)


def test_build_from_config_ignores_an_empty_config() -> None:
    layer = tb.layers.Dense(2)
    layer.build_from_config(None)
    layer.build_from_config({})
    assert not layer.built


def _stores(k: ModuleType) -> tuple[Any, dict[str, np.ndarray]]:
    layer = _counter_class(k)()
    _built_in_model(k, layer)
    layer.set_weights([np.full((3, 2), 0.5, "float32"), np.array(7.0, "float32")])
    store: dict[str, Any] = {}
    layer.save_own_variables(store)
    return layer, {key: np.asarray(value) for key, value in store.items()}


def test_save_own_variables_writes_keras_keys_and_arrays() -> None:
    _, ours = _stores(tb)
    _, theirs = _stores(keras)
    assert list(ours) == list(theirs) == ["0", "1"]
    for key in theirs:
        np.testing.assert_array_equal(ours[key], theirs[key])


def test_load_own_variables_assigns_the_arrays() -> None:
    layer, _ = _stores(tb)
    store = {"0": np.full((3, 2), 2.0, "float32"), "1": np.array(3.0, "float32")}
    layer.load_own_variables(store)
    np.testing.assert_array_equal(layer.get_weights()[0], store["0"])
    assert float(layer.get_weights()[1]) == 3.0


def test_load_own_variables_refuses_a_store_of_another_size() -> None:
    layer, _ = _stores(tb)
    with pytest.raises(tb.errors.InputError, match=r"2 weights.*holds 1"):
        layer.load_own_variables({"0": np.zeros((3, 2), "float32")})
    with pytest.raises(tb.errors.InputError, match=r"never built.*build_from_config"):
        _counter_class(tb)().load_own_variables({"0": np.zeros((3, 2), "float32")})


def test_a_dense_layer_uses_keras_layouts_in_its_store() -> None:
    def store_of(k: ModuleType) -> dict[str, np.ndarray]:
        layer = k.layers.Dense(2)
        _built_in_model(k, layer)
        layer.set_weights([np.arange(6, dtype="float32").reshape(3, 2), np.ones(2, "float32")])
        store: dict[str, Any] = {}
        layer.save_own_variables(store)
        return {key: np.asarray(value) for key, value in store.items()}

    ours, theirs = store_of(tb), store_of(keras)
    assert list(ours) == list(theirs)
    for key in theirs:
        np.testing.assert_array_equal(ours[key], theirs[key])


def test_no_default_asset_hooks_as_in_keras() -> None:
    for method in ("save_assets", "load_assets"):
        assert hasattr(tb.layers.Layer, method) == hasattr(keras.layers.Layer, method) == False  # noqa: E712


def _guide_round_trip(k: ModuleType, path: str) -> tuple[list[np.ndarray], float]:
    """The serialization guide's layer: super().save_own_variables plus its own entry."""

    class Tracked(k.layers.Layer):
        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
            self.extra = 0.0

        def call(self, x: Any) -> Any:
            return x * self.w

        def save_own_variables(self, store: Any) -> None:
            super().save_own_variables(store)
            store["extra"] = np.array([self.extra + 1.5], "float32")

        def load_own_variables(self, store: Any) -> None:
            self.extra = float(np.asarray(store["extra"])[0])
            for i, v in enumerate(self.weights):
                v.assign(store[f"{i}"])

    inputs = k.Input((3,))
    model = k.Model(inputs, Tracked(name="tracked")(inputs))
    model.get_layer("tracked").w.assign(np.array([1.0, 2.0, 3.0], "float32"))
    model.save(path)
    loaded = k.saving.load_model(path, custom_objects={"Tracked": Tracked})
    layer = loaded.get_layer("tracked")
    return [np.asarray(w) for w in layer.get_weights()], layer.extra


def test_the_guide_hooks_round_trip_as_in_keras(tmp_path: Any) -> None:
    theirs = _guide_round_trip(keras, str(tmp_path / "k.keras"))
    ours = _guide_round_trip(tb, str(tmp_path / "t.keras"))
    assert ours[1] == theirs[1] == 1.5
    np.testing.assert_array_equal(ours[0][0], theirs[0][0])
