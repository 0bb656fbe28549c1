"""EinsumDense and ReversibleEmbedding against Keras (TensorFlow backend)."""

from __future__ import annotations

import json
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge
from torchbridge import layers


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
    # None where output_shape says None (Keras's static rule); the known sizes are the
    # output's (Keras's own static shape swaps the elided axes of "...ab" inputs)
    static = ours.compute_output_shape(shape_arg)
    assert len(static) == expected.ndim
    assert all(s in (None, e) for s, e in zip(static[1:], expected.shape[1:]))
    sym = [torchbridge.Input(shape=s[1:]) for s in shapes]
    out = type(ours).from_config(ours.get_config())(sym if isinstance(x, list) else sym[0])
    assert tuple(out.shape) == (None, *expected.shape[1:])


EINSUM_CASES = [
    ("ab,b->a", (), None, (2, 32)),
    ("ab,bc->ac", 16, "c", (2, 32)),
    ("abc,cd->abd", (3, 16), "d", (2, 3, 8)),
    ("abc,cde->abde", (3, 4, 5), "de", (2, 3, 8)),
    ("abc,cde->abde", (3, 4, 5), "e", (2, 3, 8)),
    ("...b,bc->...c", 16, "c", (2, 3, 4, 8)),
    ("...b,bc->...c", (16,), None, (2, 8)),
    ("...ab,bc->...ac", (None, 16), "c", (2, 5, 8)),
    ("ab...,bc->ac...", 16, "c", (2, 8, 4, 5)),
    ("abcd,cde->abe", (3, 6), "be", (2, 3, 4, 5)),
]


@pytest.mark.parametrize(
    ("equation", "output_shape", "bias_axes", "shape"),
    EINSUM_CASES,
    ids=[f"{e}-{b}" for e, _, b, _ in EINSUM_CASES],
)
def test_einsum_dense_matches_keras(rng, equation, output_shape, bias_axes, shape):
    kw = dict(equation=equation, output_shape=output_shape, bias_axes=bias_axes)
    x = rng.standard_normal(shape).astype("float32")
    theirs = keras.layers.EinsumDense(**kw, activation="tanh")
    theirs.build(shape)
    theirs.set_weights([rng.standard_normal(w.shape).astype("float32") for w in theirs.weights])
    _check_parity(layers.EinsumDense(**kw, activation="tanh"), theirs, x)


def test_einsum_dense_initializer_uses_the_equation_fans(rng):
    layer = layers.EinsumDense("abc,cde->abde", (3, 64, 64), bias_axes="de")
    layer(torch.zeros(2, 3, 256))
    limit = float(np.sqrt(6.0 / (256 + 64 * 64)))  # Glorot with fan_in 256, fan_out 4096
    biggest = float(layer.kernel.detach().abs().max())
    assert 0.9 * limit < biggest <= limit * (1 + 1e-6)  # (float32 rounding of the bound)
    assert layer.kernel_initializer.input_axes is None  # the config keeps the user's
    assert tuple(layer.bias.shape) == (64, 64)


@pytest.mark.parametrize(
    ("equation", "output_shape", "bias_axes", "match"),
    [
        ("ab->b", 4, None, "invalid equation"),
        ("ab,bc->ad", 4, None, "neither the input"),
        ("ab,bcd->ac", 4, None, "kernel axis 'd'"),
        ("ab,bc->ac", 4, "x", "bias axis 'x'"),
        ("abc,cd->abd", (5, 4), None, "differ"),
    ],
)
def test_einsum_dense_bad_equations_are_explained(equation, output_shape, bias_axes, match):
    layer = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes)
    with pytest.raises(ValueError, match=match):
        layer(torch.zeros(2, 3, 8) if equation.startswith("abc") else torch.zeros(2, 8))


def test_einsum_dense_rejects_lora():
    with pytest.raises(NotImplementedError, match="lora_rank"):
        layers.EinsumDense("ab,bc->ac", 4, lora_rank=2)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"tie_weights": False}, {"logit_soft_cap": 2.0, "mask_zero": True}],
    ids=["tied", "untied", "soft-cap"],
)
def test_reversible_embedding_matches_keras(rng, kwargs):
    ids = rng.integers(0, 10, (2, 5)).astype("int32")
    hidden = rng.standard_normal((2, 5, 4)).astype("float32")
    theirs = keras.layers.ReversibleEmbedding(10, 4, **kwargs)
    theirs.build((None, 5))
    theirs.set_weights([rng.standard_normal(w.shape).astype("float32") for w in theirs.weights])
    ours = layers.ReversibleEmbedding(10, 4, **kwargs)
    ours.set_weights(theirs.get_weights())
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    for inputs, reverse in ((ids, False), (hidden, True)):
        expected = np.asarray(theirs(inputs, reverse=reverse))
        got = ours(torch.from_numpy(inputs), reverse=reverse).detach().numpy()
        np.testing.assert_allclose(got, expected, atol=1e-5)
        shape = ours.compute_output_shape((None, *inputs.shape[1:]), reverse=reverse)
        assert shape == (None, *expected.shape[1:])
    assert _plain(ours.get_config()) == _plain(theirs.get_config())
    embedded = ours(torch.from_numpy(ids))
    mask = getattr(embedded, "_keras_mask", None)
    assert (mask is not None) == bool(kwargs.get("mask_zero"))
    assert getattr(ours(embedded, reverse=True), "_keras_mask", None) is None
