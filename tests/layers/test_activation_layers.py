"""ReLU, LeakyReLU, PReLU, ELU and Softmax against Keras (TensorFlow backend)."""

from __future__ import annotations

import json
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge
from torchbridge import layers
from torchbridge.errors import InputError


def _plain(config: dict[str, Any]) -> Any:
    """A config as JSON data (tuples as lists), without the per-instance name and dtype."""
    return json.loads(json.dumps({k: v for k, v in config.items() if k not in ("name", "dtype")}))


def _check_parity(ours: Any, theirs: Any, x: Any, atol: float = 1e-5, **call_kw: Any) -> None:
    """Same config and weights (Keras's copied in) → same outputs, output shape and
    config round trip; and the layer works on a symbolic keras.Input."""
    inputs = x if isinstance(x, list) else [x]
    expected = keras.ops.convert_to_numpy(theirs(x, **call_kw))
    tensors = [torch.from_numpy(v) for v in inputs]
    arg = tensors if isinstance(x, list) else tensors[0]
    with torch.no_grad():
        ours(arg, **call_kw)
        ours.set_weights(theirs.get_weights())
        got = ours(arg, **call_kw).numpy()
    np.testing.assert_allclose(got, expected, atol=atol, rtol=1e-5)
    assert [tuple(w.shape) for w in ours.get_weights()] == [
        tuple(w.shape) for w in theirs.get_weights()
    ]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert _plain(ours.get_config()) == _plain(theirs.get_config())
    clone = type(ours).from_config(ours.get_config())
    assert _plain(clone.get_config()) == _plain(ours.get_config())
    shapes = [(None, *v.shape[1:]) for v in inputs]
    shape_arg = shapes if isinstance(x, list) else shapes[0]
    assert tuple(ours.compute_output_shape(shape_arg)) == (None, *expected.shape[1:])
    sym = [torchbridge.Input(shape=s[1:]) for s in shapes]
    out = type(ours).from_config(ours.get_config())(sym if isinstance(x, list) else sym[0])
    assert tuple(out.shape) == (None, *expected.shape[1:])


CASES = [
    ("ReLU", {}),
    ("ReLU", {"max_value": 1.5, "negative_slope": 0.1, "threshold": 0.2}),
    ("ReLU", {"max_value": 6.0}),
    ("LeakyReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.05}),
    ("ELU", {}),
    ("PReLU", {"alpha_initializer": "random_uniform"}),
    ("PReLU", {"alpha_initializer": "ones", "shared_axes": [1, 2]}),
    ("PReLU", {"shared_axes": 1, "alpha_regularizer": "l2", "alpha_constraint": "non_neg"}),
    ("Softmax", {}),
    ("Softmax", {"axis": 1}),
    ("Softmax", {"axis": [1, 2]}),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_activation_layer_matches_keras(rng, name, kwargs):
    x = (rng.standard_normal((2, 4, 3, 5)) * 3).astype("float32")
    _check_parity(getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs), x)


def test_prelu_weights_and_gradient(rng):
    x = rng.standard_normal((3, 4, 5)).astype("float32")
    theirs = keras.layers.PReLU(shared_axes=[1])
    theirs.build(x.shape)
    theirs.set_weights([rng.standard_normal((1, 5)).astype("float32")])
    ours = layers.PReLU(shared_axes=[1])
    ours(torch.from_numpy(x))
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(
        ours(torch.from_numpy(x)).detach().numpy(), np.asarray(theirs(x)), atol=1e-6
    )
    ours(torch.from_numpy(x)).sum().backward()
    assert ours.alpha.grad is not None and tuple(ours.alpha.shape) == (1, 5)
    assert [n for n, _ in ours.named_parameters()] == ["alpha"]


def test_elu_alpha_and_leaky_relu_alpha_alias(rng):
    x = rng.standard_normal((2, 6)).astype("float32")
    np.testing.assert_allclose(
        layers.ELU(alpha=0.5)(torch.from_numpy(x)).numpy(),
        np.asarray(keras.layers.ELU(alpha=0.5)(x)),
        atol=1e-6,
    )
    assert layers.ELU.from_config(layers.ELU(alpha=0.5).get_config()).alpha == 0.5
    with pytest.warns(UserWarning, match="negative_slope"):
        leaky = layers.LeakyReLU(alpha=0.1)
    assert leaky.get_config()["negative_slope"] == 0.1


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: layers.ReLU(max_value=-1.0), "max_value"),
        (lambda: layers.ReLU(negative_slope=-0.1), "negative_slope"),
        (lambda: layers.ReLU(threshold=None), "threshold"),
        (lambda: layers.LeakyReLU(negative_slope=-1), "negative_slope"),
    ],
)
def test_invalid_arguments_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("mask_shape", [(2, 4, 5), (2, 1, 5), (5,)])
def test_softmax_mask_matches_keras(rng, mask_shape):
    x = rng.standard_normal((2, 4, 5)).astype("float32")
    mask = rng.random(mask_shape) > 0.3
    expected = np.asarray(keras.layers.Softmax()(x, mask=mask))
    got = layers.Softmax()(torch.from_numpy(x), mask=torch.from_numpy(mask)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)
    with pytest.raises(InputError, match="broadcast"):
        layers.Softmax()(torch.from_numpy(x), mask=torch.ones(2, 4, 3, dtype=torch.bool))
