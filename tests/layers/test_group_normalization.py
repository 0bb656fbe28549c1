"""GroupNormalization, RMSNormalization and UnitNormalization against Keras (TensorFlow
backend): same config and weights → same outputs."""

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
    ("GroupNormalization", {"groups": 2}, (2, 5, 4)),
    ("GroupNormalization", {"groups": -1, "epsilon": 1e-5}, (2, 3, 3, 6)),
    ("GroupNormalization", {"groups": 3, "axis": 1, "center": False}, (2, 6, 4, 2)),
    ("GroupNormalization", {"groups": 1, "scale": False, "gamma_regularizer": "l2"}, (3, 4)),
    ("RMSNormalization", {}, (2, 5, 4)),
    ("RMSNormalization", {"axis": [-2, -1], "epsilon": 1e-3}, (2, 5, 4)),
    ("UnitNormalization", {}, (2, 5, 4)),
    ("UnitNormalization", {"axis": [1, 2]}, (2, 5, 4)),
]


@pytest.mark.parametrize(("name", "kwargs", "shape"), CASES, ids=[f"{n}-{k}" for n, k, _ in CASES])
def test_normalization_matches_keras(rng, name, kwargs, shape):
    x = (rng.standard_normal(shape) * 2 + 1).astype("float32")
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs.build(shape)
    theirs.set_weights([rng.standard_normal(w.shape).astype("float32") for w in theirs.weights])
    _check_parity(getattr(layers, name)(**kwargs), theirs, x)


def test_group_normalization_needs_a_divisor():
    with pytest.raises(InputError, match="groups=4 must divide"):
        layers.GroupNormalization(groups=4)(torch.ones(2, 6))
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(groups=0)


def test_group_normalization_trains(rng):
    layer = layers.GroupNormalization(groups=2)
    out = layer(torch.from_numpy(rng.standard_normal((3, 4)).astype("float32")))
    out.sum().backward()
    assert [n for n, _ in layer.named_parameters()] == ["gamma", "beta"]
    assert layer.gamma.grad is not None
