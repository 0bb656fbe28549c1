"""``model.to_json()`` / ``keras.models.model_from_json``, both ways against Keras."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import torchbridge as tb


def _sequential(lib):
    return lib.Sequential(
        [
            lib.Input((4,)),
            lib.layers.Dense(3, activation="relu", name="d1"),
            lib.layers.Dropout(0.2, name="drop"),
            lib.layers.Dense(2, activation="softmax", name="d2"),
        ],
        name="seq",
    )


def _functional(lib):
    a, b = lib.Input((4,), name="a"), lib.Input((2,), name="b")
    hidden = lib.layers.Dense(3, activation="tanh", name="d")(a)
    joined = lib.layers.Concatenate(name="c")([hidden, b])
    return lib.Model([a, b], lib.layers.Dense(1, name="out")(joined), name="fn")


def _inputs(model):
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(5, int(t.shape[-1]))).astype("float32") for t in model.inputs]
    return x if len(x) > 1 else x[0]


def _same_model(ours, theirs) -> None:
    assert type(ours).__name__ in ("Sequential", "Functional")
    assert ours.name == theirs.name
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    x = _inputs(theirs)
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


MAKERS = {"sequential": _sequential, "functional": _functional}


@pytest.mark.parametrize("kind", MAKERS)
def test_torchbridge_json_loads_in_keras(kind) -> None:
    text = MAKERS[kind](tb).to_json()
    _same_model(tb.models.model_from_json(text), keras.models.model_from_json(text))


@pytest.mark.parametrize("kind", MAKERS)
def test_keras_json_loads_in_torchbridge_unchanged(kind) -> None:
    theirs = MAKERS[kind](keras)
    _same_model(tb.models.model_from_json(theirs.to_json()), theirs)


def test_to_json_passes_keywords_to_json_dumps_and_keeps_keras_top_level_keys() -> None:
    model = _sequential(tb)
    text = model.to_json(indent=2, sort_keys=True)
    assert "\n  " in text
    config = json.loads(text)
    expected = json.loads(_sequential(keras).to_json())
    assert {k: config[k] for k in ("module", "class_name", "registered_name")} == {
        k: expected[k] for k in ("module", "class_name", "registered_name")
    }


def test_model_from_json_finds_custom_layers_by_custom_objects_and_registration() -> None:
    class Doubler(tb.layers.Layer):
        def call(self, x):
            return x * 2

    inputs = tb.Input((3,))
    model = tb.Model(inputs, Doubler(name="twice")(inputs))
    text = model.to_json()
    with pytest.raises(tb.errors.UnknownClassError, match="Doubler"):
        tb.models.model_from_json(text)
    loaded = tb.models.model_from_json(text, custom_objects={"Doubler": Doubler})
    assert isinstance(loaded.get_layer("twice"), Doubler)
    with tb.saving.custom_object_scope({"Doubler": Doubler}):
        assert isinstance(tb.models.model_from_json(text).get_layer("twice"), Doubler)


def test_model_from_json_names_bad_input() -> None:
    with pytest.raises(tb.errors.InputError, match="to_json"):
        tb.models.model_from_json("{not json")
