"""``InputSpec`` and a layer's ``input_spec`` check, against real Keras (same verdicts and texts)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge
from torchbridge.errors import InputError
from torchbridge.layers.input_spec import InputSpec


def _layer(lib: Any, spec: Any) -> Any:
    class Probe(lib.layers.Layer):
        def __init__(self) -> None:
            super().__init__(name="probe")
            self.input_spec = spec

        def call(self, inputs: Any) -> Any:
            return inputs

    return Probe()


def _outcome(lib: Any, spec_kwargs: dict[str, Any], shape: tuple[int, ...], dtype: str) -> str:
    spec = lib.InputSpec(**spec_kwargs)
    x = np.zeros(shape, dtype=dtype)
    if lib is torchbridge:
        x = torch.from_numpy(x)
    try:
        _layer(lib, spec)(x)
    except ValueError as err:
        return str(err)
    return "ok"


CASES = [
    ({"ndim": 3}, (2, 3, 4), "float32"),
    ({"ndim": 3}, (2, 3), "float32"),
    ({"min_ndim": 2}, (2,), "float32"),
    ({"min_ndim": 2}, (2, 3, 4), "float32"),
    ({"max_ndim": 2}, (2, 3, 4), "float32"),
    ({"max_ndim": 2}, (2, 3), "float32"),
    ({"dtype": "int32"}, (2, 3), "int64"),  # floats: Keras autocasts before the check
    ({"dtype": "int32"}, (2, 3), "int32"),
    ({"axes": {-1: 4}}, (2, 3), "float32"),
    ({"axes": {-1: 4}}, (5, 4), "float32"),
    ({"ndim": 2, "axes": {1: 3}}, (5, 4), "float32"),
    ({"shape": (None, 3)}, (7, 3), "float32"),
    ({"shape": (None, 3)}, (7, 4), "float32"),
    ({"shape": (None, 3)}, (7, 3, 1), "float32"),
    ({"shape": (None, 3), "allow_last_axis_squeeze": True}, (7, 3, 1), "float32"),
    ({"shape": (None, 3, 1), "allow_last_axis_squeeze": True}, (7, 3), "float32"),
    ({"shape": (None, 3), "allow_last_axis_squeeze": True}, (7, 4, 1), "float32"),
    ({"ndim": 2, "name": "a"}, (2,), "float32"),
]


@pytest.mark.parametrize(("spec", "shape", "dtype"), CASES)
def test_check_matches_keras(spec: dict[str, Any], shape: tuple[int, ...], dtype: str) -> None:
    assert _outcome(torchbridge, spec, shape, dtype) == _outcome(keras, spec, shape, dtype)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ndim": 3, "axes": {-1: 8}},
        {"shape": (None, 4), "dtype": "float16"},
        {"min_ndim": 2, "max_ndim": 4, "axes": {1: 3}},
        {"optional": True},
        {},
    ],
)
def test_config_and_repr_match_keras(kwargs: dict[str, Any]) -> None:
    ours, theirs = InputSpec(**kwargs), keras.InputSpec(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert repr(ours) == repr(theirs)
    again = InputSpec.from_config(ours.get_config())
    assert again.get_config() == ours.get_config()


def test_bad_arguments_raise_like_keras() -> None:
    for kwargs in ({"axes": {"a": 1}}, {"ndim": 2, "axes": {3: 1}}):
        with pytest.raises(Exception) as theirs:
            keras.InputSpec(**kwargs)
        with pytest.raises(type(theirs.value)) as ours:
            InputSpec(**kwargs)
        assert str(ours.value) == str(theirs.value)


def test_exported_where_keras_has_it() -> None:
    assert torchbridge.InputSpec is InputSpec
    assert torchbridge.layers.InputSpec is InputSpec


def test_list_of_specs_counts_inputs() -> None:
    layer = _layer(torchbridge, [InputSpec(ndim=2), InputSpec(ndim=2)])
    a = torch.zeros(2, 3)
    assert layer([a, a])[0] is a
    with pytest.raises(InputError, match='Layer "probe" expects 2 input'):
        layer([a])
    with pytest.raises(InputError, match="Input 1 with name 'None' of layer 'probe'"):
        layer([a, torch.zeros(2)])


def test_named_specs_take_dict_inputs() -> None:
    layer = _layer(torchbridge, [InputSpec(ndim=2, name="x"), InputSpec(ndim=1, name="y")])
    layer({"x": torch.zeros(2, 3), "y": torch.zeros(2)})
    with pytest.raises(InputError, match='Missing data for input "y"'):
        layer({"x": torch.zeros(2, 3), "z": torch.zeros(2)})


def test_symbolic_call_is_checked_with_unknown_dims() -> None:
    layer = _layer(torchbridge, InputSpec(shape=(None, 3), axes={-1: 3}))
    out = layer(torchbridge.Input((3,)))
    assert tuple(out.shape) == (None, 3)
    with pytest.raises(InputError, match="expected shape=\\(None, 3\\), found shape=\\(None, 4\\)"):
        _layer(torchbridge, InputSpec(shape=(None, 3)))(torchbridge.Input((4,)))


def test_spec_set_in_build_applies_from_next_call() -> None:
    class Late(torchbridge.layers.Layer):
        def build(self, input_shape: Any) -> None:
            self.input_spec = InputSpec(axes={-1: input_shape[-1]})

        def call(self, inputs: Any) -> Any:
            return inputs

    layer = Late()
    layer(torch.zeros(2, 3))
    with pytest.raises(InputError, match="expected axis -1 of input shape to have value 3"):
        layer(torch.zeros(2, 5))
