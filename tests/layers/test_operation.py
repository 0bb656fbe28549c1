"""``keras.Operation`` subclasses: eager calls and functional-graph calls, against Keras."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge
from torchbridge.errors import InputError


def _scale_class(lib: Any) -> type:
    class Scale(lib.Operation):
        def __init__(self, k: float, name: str | None = None) -> None:
            super().__init__(name=name)
            self.k = k

        def call(self, x: Any, y: Any = None) -> Any:
            out = lib.ops.multiply(x, self.k)
            return out if y is None else lib.ops.add(out, y)

    return Scale


X = np.arange(6, dtype="float32").reshape(2, 3)


def test_eager_call_matches_keras() -> None:
    ours = _scale_class(torchbridge)(2.0)(torch.from_numpy(X), y=torch.ones(2, 3))
    theirs = keras.ops.convert_to_numpy(_scale_class(keras)(2.0)(X, y=np.ones((2, 3), "float32")))
    np.testing.assert_allclose(ours.numpy(), theirs)


def _model(lib: Any) -> Any:
    inp = lib.Input((3,))
    h = lib.layers.Dense(3, kernel_initializer="ones", name="d")(inp)
    out = _scale_class(lib)(3.0)(h, y=inp)
    return lib.Model(inp, out), out


def test_functional_graph_matches_keras() -> None:
    (ours, out_ours), (theirs, out_theirs) = _model(torchbridge), _model(keras)
    assert tuple(out_ours.shape) == tuple(out_theirs.shape)
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0))
    assert len(ours.weights) == len(theirs.weights) == 2


def test_gradients_flow_through_an_operation() -> None:
    model, _ = _model(torchbridge)
    model(torch.from_numpy(X)).sum().backward()
    assert model.weights[0].grad is not None


def test_compute_output_spec_and_config() -> None:
    op = _scale_class(torchbridge)(2.0, name="s")
    spec = op.compute_output_spec(torchbridge.Input((4,)))
    assert tuple(spec.shape) == (None, 4)
    assert op.get_config() == {"name": "s"}
    with pytest.raises(NotImplementedError, match="must implement call"):
        torchbridge.Operation()(torch.zeros(1))


@pytest.mark.parametrize("name", ["a/b", 3])
def test_bad_names_raise_like_keras(name: Any) -> None:
    with pytest.raises(ValueError) as theirs:
        keras.Operation(name=name)
    with pytest.raises(InputError) as ours:
        torchbridge.Operation(name=name)
    assert str(ours.value) == str(theirs.value)
