"""``Input`` / ``InputLayer`` against Keras 3.15: the config keys (``ragged`` and
``optional`` included), Keras's config loading unchanged, and the clear refusal of
ragged and optional inputs (torchbridge has neither)."""

from __future__ import annotations

import json

import keras
import pytest

import torchbridge as tb

CASES = {
    "shape": {"shape": (4,)},
    "batch_size": {"shape": (2, 3), "batch_size": 8, "dtype": "int32"},
    "batch_shape": {"batch_shape": (None, 5), "name": "named"},
    "keras_defaults": {"shape": (3,), "sparse": False, "ragged": False, "optional": False},
}


@pytest.mark.parametrize("case", CASES)
def test_config_as_keras(case: str) -> None:
    ours = tb.layers.InputLayer(**CASES[case]).get_config()
    theirs = keras.layers.InputLayer(**CASES[case]).get_config()
    assert list(ours) == list(theirs)
    for key in ("batch_shape", "dtype", "sparse", "ragged", "optional"):
        assert json.dumps(ours[key]) == json.dumps(theirs[key]), key


@pytest.mark.parametrize("case", CASES)
def test_keras_config_loads_unchanged(case: str) -> None:
    config = json.loads(json.dumps(keras.layers.InputLayer(**CASES[case]).get_config()))
    layer = tb.layers.InputLayer.from_config(config)
    assert tuple(layer.output.shape) == tuple(config["batch_shape"])
    assert layer.ragged is False and layer.optional is False and layer.sparse is False


def test_input_takes_ragged_false() -> None:
    assert tuple(tb.Input((3,), ragged=False).shape) == tuple(keras.Input((3,)).shape)


@pytest.mark.parametrize("keyword", ["ragged", "optional"])
def test_ragged_and_optional_inputs_are_refused_clearly(keyword: str) -> None:
    with pytest.raises(tb.errors.InputError, match=f"{keyword}=True.*not supported"):
        tb.Input((3,), **{keyword: True})
    with pytest.raises(tb.errors.InputError, match=f"{keyword}=True"):
        tb.layers.InputLayer(shape=(3,), **{keyword: True})
