"""ConvLSTM1D/2D/3D against Keras: outputs, states, weights, masks, config."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch
from tests.layers._keras_config import assert_config_like_keras

import torchbridge
from torchbridge import layers as tl
from torchbridge.errors import InputError

# (class, kwargs, input shape channels_last)
CASES: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("ConvLSTM1D", {"filters": 3, "kernel_size": 2}, (2, 5, 9, 2)),
    (
        "ConvLSTM1D",
        {"filters": 3, "kernel_size": 3, "padding": "same", "strides": 2, "return_sequences": True},
        (2, 4, 9, 2),
    ),
    ("ConvLSTM2D", {"filters": 4, "kernel_size": 3}, (2, 4, 6, 7, 3)),
    (
        "ConvLSTM2D",
        {
            "filters": 2,
            "kernel_size": (2, 3),
            "padding": "same",
            "dilation_rate": 2,
            "return_state": True,
        },
        (2, 3, 6, 5, 2),
    ),
    (
        "ConvLSTM2D",
        {
            "filters": 2,
            "kernel_size": 2,
            "go_backwards": True,
            "return_sequences": True,
            "use_bias": False,
            "activation": "relu",
            "recurrent_activation": "hard_sigmoid",
        },
        (2, 4, 5, 5, 2),
    ),
    (
        "ConvLSTM3D",
        {
            "filters": 2,
            "kernel_size": (2, 3, 2),
            "strides": (1, 2, 1),
            "return_state": True,
            "return_sequences": True,
        },
        (1, 3, 4, 5, 4, 2),
    ),
]


def _id(case: Any) -> str:
    name, kw, _ = case
    return f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"


def _listify(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _pair(name: str, kw: dict[str, Any], x: np.ndarray, **extra: Any) -> tuple[Any, Any]:
    theirs = getattr(keras.layers, name)(**kw)
    theirs(x)
    ours = getattr(tl, name)(**kw, **extra)
    return theirs, ours


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_keras(rng, case):
    name, kw, shape = case
    x = rng.standard_normal(shape).astype("float32")
    theirs, ours = _pair(name, kw, x)
    expected = _listify(theirs(x))
    ours(torch.from_numpy(x))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    with torch.no_grad():
        got = _listify(ours(torch.from_numpy(x)))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.numpy(), np.asarray(e), atol=1e-5, rtol=1e-5)
    assert ours.compute_output_shape((None, *shape[1:])) == theirs.compute_output_shape(
        (None, *shape[1:])
    )
    assert ours.count_params() == theirs.count_params()
    assert_config_like_keras(ours, theirs)
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()


def test_unit_forget_bias_and_weight_names():
    layer = tl.ConvLSTM2D(3, 2)
    layer(torch.zeros(1, 2, 4, 4, 2))
    kernel, recurrent, bias = layer.get_weights()
    assert kernel.shape == (2, 2, 2, 12) and recurrent.shape == (2, 2, 3, 12)
    np.testing.assert_array_equal(bias, [0] * 3 + [1] * 3 + [0] * 6)
    theirs = keras.layers.ConvLSTM2D(3, 2)
    theirs(np.zeros((1, 2, 4, 4, 2), "float32"))
    assert [w.path.split("/")[-1] for w in theirs.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]


def test_channels_first(rng):
    kw = {"filters": 3, "kernel_size": 3, "padding": "same", "return_sequences": True}
    x = rng.standard_normal((2, 3, 5, 6, 2)).astype("float32")
    theirs = keras.layers.ConvLSTM2D(**kw)
    expected = np.moveaxis(np.asarray(theirs(x)), -1, 2)
    ours = tl.ConvLSTM2D(data_format="channels_first", **kw)
    xf = torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 2)))
    ours(xf)
    ours.set_weights(theirs.get_weights())
    with torch.no_grad():
        got = ours(xf).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)
    assert ours.compute_output_shape((None, 3, 2, 5, 6)) == (None, 3, 3, 5, 6)


def test_mask_and_initial_state(rng):
    kw = {"filters": 2, "kernel_size": 2, "return_sequences": True, "return_state": True}
    x = rng.standard_normal((2, 4, 5, 5, 2)).astype("float32")
    h0 = rng.standard_normal((2, 4, 4, 2)).astype("float32")
    c0 = rng.standard_normal((2, 4, 4, 2)).astype("float32")
    mask = np.array([[True, True, False, True], [True, False, False, False]])
    theirs, ours = _pair("ConvLSTM2D", kw, x)
    expected = theirs(x, initial_state=[h0, c0], mask=mask)
    ours(torch.from_numpy(x))
    ours.set_weights(theirs.get_weights())
    with torch.no_grad():
        got = ours(
            torch.from_numpy(x),
            initial_state=[torch.from_numpy(h0), torch.from_numpy(c0)],
            mask=torch.from_numpy(mask),
        )
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g.numpy(), np.asarray(e), atol=1e-5, rtol=1e-5)
    with pytest.raises(InputError, match="initial_state"):
        ours(torch.from_numpy(x), initial_state=[torch.from_numpy(h0)])


def test_stateful_carries_states(rng):
    kw = {"filters": 2, "kernel_size": 2, "stateful": True}
    x = rng.standard_normal((2, 3, 4, 4, 1)).astype("float32")
    theirs = keras.layers.ConvLSTM2D(**kw)
    first = np.asarray(theirs(x))
    second = np.asarray(theirs(x))
    ours = tl.ConvLSTM2D(**kw)
    ours(torch.from_numpy(x))
    ours.reset_state()
    ours.states = None
    ours.set_weights(theirs.get_weights())
    with torch.no_grad():
        np.testing.assert_allclose(ours(torch.from_numpy(x)).numpy(), first, atol=1e-5)
        np.testing.assert_allclose(ours(torch.from_numpy(x)).numpy(), second, atol=1e-5)
        ours.reset_state()
        np.testing.assert_allclose(ours(torch.from_numpy(x)).numpy(), first, atol=1e-5)


def test_dropout_only_in_training(rng):
    x = torch.from_numpy(rng.standard_normal((2, 3, 5, 5, 2)).astype("float32"))
    layer = tl.ConvLSTM2D(2, 3, dropout=0.5, recurrent_dropout=0.5, seed=3)
    layer.eval()
    a = layer(x)
    assert torch.equal(a, layer(x))
    assert not torch.equal(layer(x, training=True), a)


def test_symbolic_use_in_a_model():
    inp = torchbridge.Input((None, 8, 8, 1))
    y = tl.ConvLSTM2D(4, 3, padding="same", return_sequences=True)(inp)
    y = tl.ConvLSTM2D(2, 3)(y)
    assert tuple(y.shape) == (None, 6, 6, 2)
    model = torchbridge.Model(inp, y)
    assert tuple(model(torch.zeros(2, 3, 8, 8, 1)).shape) == (2, 6, 6, 2)


def test_input_rank_error():
    with pytest.raises(InputError):
        tl.ConvLSTM2D(2, 3)(torch.zeros(2, 3, 8, 1))
