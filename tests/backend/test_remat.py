"""``keras.remat`` and ``keras.RematScope``: rematerialized calls recompute their forward
pass during backward (counted here) and give the same values and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchbridge as tb


class Counting(tb.layers.Layer):
    """Dense-like layer that counts how often its call runs."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = activation
        self.calls = 0

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones")

    def call(self, x):
        self.calls += 1
        y = tb.ops.matmul(x, self.kernel)
        return self.activation(y) if self.activation is not None else y


def _step(layer, x):
    out = layer(torch.as_tensor(x), training=True)
    out.square().sum().backward()
    return out.detach(), layer.kernel.grad.clone()


X = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)


def test_remat_function_recomputes_and_keeps_gradients():
    calls = []

    def f(x):
        calls.append(1)
        return torch.tanh(x) * 3

    x = torch.tensor(X, requires_grad=True)
    tb.remat(f)(x).sum().backward()
    assert len(calls) == 2  # forward, then again in backward
    x2 = torch.tensor(X, requires_grad=True)
    (torch.tanh(x2) * 3).sum().backward()
    torch.testing.assert_close(x.grad, x2.grad)
    with torch.no_grad():
        calls.clear()
        tb.remat(f)(x)
    assert len(calls) == 1


@pytest.mark.parametrize(
    "scope,name,expected_calls",
    [
        ({"mode": "full"}, "a", 2),
        ({"mode": None}, "a", 1),
        ({"mode": "list_of_layers", "layer_names": ["a"]}, "a", 2),
        ({"mode": "list_of_layers", "layer_names": ["b"]}, "a", 1),
    ],
    ids=["full", "none", "listed", "not-listed"],
)
def test_scope_modes_recompute_the_chosen_layers(scope, name, expected_calls):
    with tb.RematScope(**scope):
        layer = Counting(5, name=name)
    plain = Counting(5, name="plain")
    out, grad = _step(layer, X)
    assert layer.calls == expected_calls
    ref_out, ref_grad = _step(plain, X)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(grad, ref_grad)


def test_scope_is_read_at_construction_not_call():
    layer = Counting(5)
    with tb.RematScope("full"):
        _step(layer, X)
    assert layer.calls == 1


def test_activations_mode_recomputes_only_the_activation():
    seen = []

    def act(y):
        seen.append(1)
        return torch.relu(y)

    with tb.RematScope("activations"):
        layer = Counting(5, activation=act)
    _step(layer, X)
    assert (layer.calls, len(seen)) == (1, 2)
    assert layer.activation is act


def test_larger_than_mode_uses_the_output_size():
    with tb.RematScope("larger_than", output_size_threshold=10):
        big, small = Counting(5), Counting(2)  # outputs 4x5=20 and 4x2=8 elements
    for layer in (big, small):
        _step(layer, X)  # first call measures
        layer.calls = 0
        layer.kernel.grad = None
        _step(layer, X)
    assert (big.calls, small.calls) == (2, 1)


def test_invalid_mode_is_refused_as_keras():
    keras = pytest.importorskip("keras")
    with pytest.raises(ValueError, match="Invalid mode") as ours:
        tb.RematScope("sometimes")
    with pytest.raises(ValueError) as theirs:
        keras.RematScope("sometimes")
    assert str(ours.value).split(".")[0] == str(theirs.value).split(".")[0]
