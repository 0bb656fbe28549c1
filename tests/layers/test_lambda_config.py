"""Lambda layers in configs, as Keras writes them: a Python lambda's bytecode, loaded only
after an explicit opt-in (safe_mode=False or keras.config.enable_unsafe_deserialization())."""

from __future__ import annotations

import json
from typing import Any

import keras
import numpy as np
import pytest

import torchbridge as tb
from torchbridge.backend import config as backend_config


def _model(k: Any) -> Any:
    x = k.Input((3,))
    # no default arguments: Keras itself cannot load a JSON round trip of a lambda's
    # defaults (a list where it needs a tuple); torchbridge can
    y = k.layers.Lambda(lambda t: t * 2.0 + 1.0, name="affine")(x)
    return k.Model(x, k.layers.Dense(2, name="d")(y))


def _data() -> np.ndarray:
    return np.arange(6, dtype="float32").reshape(2, 3)


@pytest.fixture
def unsafe_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(backend_config._flags, "unsafe_deserialization", False)


def test_a_keras_lambda_config_loads_only_when_allowed(
    unsafe_off: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = _model(keras)
    config = json.loads(theirs.to_json())
    with pytest.raises(ValueError, match=r"safe_mode=False.*enable_unsafe_deserialization"):
        tb.saving.deserialize_keras_object(config)
    ours = tb.saving.deserialize_keras_object(config, safe_mode=False)
    ours.set_weights(theirs.get_weights())
    expected = keras.ops.convert_to_numpy(theirs(_data()))
    np.testing.assert_allclose(ours.predict(_data(), verbose=0), expected, rtol=1e-5, atol=1e-6)

    monkeypatch.setitem(backend_config._flags, "unsafe_deserialization", True)
    again = tb.models.model_from_json(theirs.to_json())  # Keras's opt-in works too
    again.set_weights(theirs.get_weights())
    np.testing.assert_allclose(again.predict(_data(), verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_a_torchbridge_lambda_config_loads_in_keras_and_back(unsafe_off: None, tmp_path) -> None:
    ours = _model(tb)
    config = json.loads(ours.to_json())
    assert config["config"]["layers"][1]["config"]["function"]["class_name"] == "__lambda__"
    theirs = keras.saving.deserialize_keras_object(config, safe_mode=False)
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(theirs(_data())),
        ours.predict(_data(), verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )
    path = tmp_path / "lambda.keras"
    ours.save(path)
    with pytest.raises(ValueError, match="Lambda layer 'affine'"):
        tb.models.load_model(path)
    loaded = tb.models.load_model(path, safe_mode=False)
    np.testing.assert_allclose(
        loaded.predict(_data(), verbose=0), ours.predict(_data(), verbose=0), rtol=1e-6, atol=1e-7
    )


def test_a_named_function_is_saved_by_its_registered_name(unsafe_off: None) -> None:
    @tb.saving.register_keras_serializable(package="lambda_test")
    def double(t: Any) -> Any:
        return t * 2.0

    layer = tb.layers.Lambda(double)
    config = layer.get_config()
    assert config["function"]["config"] == "lambda_test>double"  # Keras's layout
    rebuilt = tb.layers.Lambda.from_config(json.loads(json.dumps(config)))  # no code: safe mode
    np.testing.assert_allclose(rebuilt(_data()).numpy(), 2 * _data())
