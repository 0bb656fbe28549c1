"""SimpleRNN / LSTM / GRU against Keras (TensorFlow backend)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from torchbridge.errors import InputError
from torchbridge.layers import Embedding
from torchbridge.layers.recurrent import GRU, LSTM, SimpleRNN

# (ours, theirs, extra kwargs): every recurrent variant with its own maths.
VARIANTS = {
    "simple_rnn": (SimpleRNN, keras.layers.SimpleRNN, {}),
    "lstm": (LSTM, keras.layers.LSTM, {}),
    "gru": (GRU, keras.layers.GRU, {}),
    "gru_reset_before": (GRU, keras.layers.GRU, {"reset_after": False}),
}

# Right padding, left padding, a hole in the middle, and a fully masked row.
MASK = np.array(
    [
        [1, 1, 1, 1, 0, 0],
        [0, 0, 1, 1, 1, 1],
        [1, 0, 1, 1, 0, 1],
        [0, 0, 0, 0, 0, 0],
    ],
    dtype=bool,
)


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _assert_close(got, expected, atol=1e-5):
    got, expected = _as_list(got), _as_list(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.detach().numpy(), np.asarray(e), atol=atol, rtol=1e-5)


def _pair(variant, shape=(None, 6, 4), **kwargs):
    ours_cls, theirs_cls, extra = VARIANTS[variant]
    theirs = theirs_cls(5, **extra, **kwargs)
    theirs.build(shape)
    ours = ours_cls(5, **extra, **kwargs)
    ours.build_from_shape(shape)
    ours.set_weights(theirs.get_weights())
    return ours, theirs


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_matches_keras(rng, variant, return_sequences, return_state, go_backwards):
    x = rng.standard_normal((3, 6, 4)).astype("float32")
    ours, theirs = _pair(
        variant,
        return_sequences=return_sequences,
        return_state=return_state,
        go_backwards=go_backwards,
    )
    expected = theirs(x)
    _assert_close(ours(torch.from_numpy(x)), expected)  # fused kernel where there is one
    ours.use_cudnn = False
    _assert_close(ours(torch.from_numpy(x)), expected)  # the per-step loop
    if return_state:
        assert isinstance(ours(torch.from_numpy(x)), tuple)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_masks_match_keras(rng, variant, return_sequences, go_backwards, zero_output_for_mask):
    x = rng.standard_normal((4, 6, 4)).astype("float32")
    ours, theirs = _pair(
        variant,
        return_sequences=return_sequences,
        return_state=True,
        go_backwards=go_backwards,
        zero_output_for_mask=zero_output_for_mask,
    )
    expected = theirs(x, mask=MASK)
    for use_cudnn in ("auto", False):
        ours.use_cudnn = use_cudnn
        got = ours(torch.from_numpy(x), mask=torch.from_numpy(MASK))
        _assert_close(got, expected)


@pytest.mark.parametrize("variant", ["lstm", "gru", "simple_rnn"])
def test_mask_from_embedding_matches_keras_sequential(rng, variant):
    ids = np.array([[3, 4, 5, 0, 0, 0], [0, 0, 1, 2, 3, 4], [1, 0, 2, 3, 0, 5]])
    ours_cls, theirs_cls, _ = VARIANTS[variant]
    model = keras.Sequential(
        [
            keras.Input((6,), dtype="int32"),
            keras.layers.Embedding(8, 4, mask_zero=True),
            theirs_cls(5, return_sequences=True),
            theirs_cls(3),
        ]
    )
    expected = np.asarray(model(ids))
    emb, rnn1, rnn2 = (
        Embedding(8, 4, mask_zero=True),
        ours_cls(5, return_sequences=True),
        ours_cls(3),
    )
    rnn1.build_from_shape((None, 6, 4))
    rnn2.build_from_shape((None, 6, 5))
    weights = model.get_weights()
    emb.set_weights(weights[:1])
    n = len(rnn1.get_weights())
    rnn1.set_weights(weights[1 : 1 + n])
    rnn2.set_weights(weights[1 + n :])
    hidden = rnn1(emb(torch.from_numpy(ids)))
    assert torch.equal(hidden._keras_mask, torch.from_numpy(ids != 0))  # passed on
    got = rnn2(hidden)
    assert getattr(got, "_keras_mask", None) is None  # return_sequences=False drops it
    np.testing.assert_allclose(got.detach().numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_initial_state_matches_keras(rng, variant):
    x = rng.standard_normal((3, 6, 4)).astype("float32")
    ours, theirs = _pair(variant, return_sequences=True, return_state=True)
    n_states = len(_as_list(theirs(x))) - 1
    states = [rng.standard_normal((3, 5)).astype("float32") for _ in range(n_states)]
    expected = theirs(x, initial_state=states, mask=MASK[:3])
    for use_cudnn in ("auto", False):
        ours.use_cudnn = use_cudnn
        got = ours(
            torch.from_numpy(x),
            initial_state=[torch.from_numpy(s) for s in states],
            mask=torch.from_numpy(MASK[:3]),
        )
        _assert_close(got, expected)


@pytest.mark.parametrize(
    "variant,kwargs",
    [
        ("simple_rnn", {"activation": "relu"}),  # fused rnn_relu
        ("simple_rnn", {"activation": "sigmoid", "use_bias": False}),  # loop
        ("simple_rnn", {"use_bias": False}),
        ("lstm", {"activation": "relu", "recurrent_activation": "hard_sigmoid"}),
        ("lstm", {"use_bias": False}),
        ("gru", {"use_bias": False}),
        ("gru", {"recurrent_activation": "hard_sigmoid"}),
        ("gru_reset_before", {"use_bias": False}),
    ],
)
def test_other_options_match_keras(rng, variant, kwargs):
    x = rng.standard_normal((3, 6, 4)).astype("float32")
    ours, theirs = _pair(variant, return_sequences=True, **kwargs)
    _assert_close(
        ours(torch.from_numpy(x), mask=torch.from_numpy(MASK[:3])), theirs(x, mask=MASK[:3])
    )
    assert ours.count_params() == theirs.count_params()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_weights_config_and_round_trip(variant):
    ours, theirs = _pair(variant, shape=(None, 7, 3))
    assert ours.count_params() == theirs.count_params()
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert set(ours.get_config()) | {"dtype"} == set(theirs.get_config())
    config = ours.get_config()
    clone = type(ours).from_config(config)
    assert clone.get_config() == config
    assert type(clone)(**{k: v for k, v in config.items() if k != "name"}).units == 5


def test_default_initialisation():
    lstm = LSTM(4, input_shape=(None, 3))
    kernel, recurrent, bias = lstm.get_weights()
    assert kernel.shape == (3, 16) and recurrent.shape == (4, 16)
    np.testing.assert_array_equal(bias, [0] * 4 + [1] * 4 + [0] * 8)  # unit_forget_bias
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-5)  # orthogonal
    limit = np.sqrt(6 / (3 + 16))  # glorot_uniform on Keras's (in, 4*units)
    assert np.abs(kernel).max() <= limit
    assert (LSTM(4, unit_forget_bias=False, input_shape=(5, 3)).get_weights()[2] == 0).all()
    gru = GRU(4, input_shape=(None, 3))
    assert [w.shape for w in gru.get_weights()] == [(3, 12), (4, 12), (2, 12)]
    assert GRU(4, reset_after=False, input_shape=(None, 3)).get_weights()[2].shape == (12,)


def test_gru_weights_are_stored_in_torch_gate_order(rng):
    gru = GRU(2, input_shape=(None, 3))
    keras_kernel = rng.standard_normal((3, 6)).astype("float32")
    weights = gru.get_weights()
    gru.set_weights([keras_kernel, *weights[1:]])
    z, r, h = np.split(keras_kernel, 3, axis=1)
    np.testing.assert_array_equal(gru.kernel.detach().numpy(), np.concatenate([r, z, h], 1).T)
    np.testing.assert_array_equal(gru.get_weights()[0], keras_kernel)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("use_cudnn", ["auto", False])
def test_gradients_flow(rng, variant, use_cudnn):
    x = torch.from_numpy(rng.standard_normal((4, 6, 4)).astype("float32")).requires_grad_()
    ours_cls, _, extra = VARIANTS[variant]
    layer = ours_cls(5, return_sequences=True, use_cudnn=use_cudnn, **extra)
    out = layer(x, mask=torch.from_numpy(MASK))
    out.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert x.grad[3].abs().sum() == 0  # a fully masked row sees nothing
    for p in layer.parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0


def test_fused_and_loop_gradients_agree(rng):
    x = rng.standard_normal((4, 6, 4)).astype("float32")
    grads = []
    for use_cudnn in ("auto", False):
        layer = LSTM(3, return_sequences=True, use_cudnn=use_cudnn, input_shape=(6, 4))
        weights_rng = np.random.default_rng(1)
        layer.set_weights([weights_rng.standard_normal(w.shape) for w in layer.get_weights()])
        layer(torch.from_numpy(x), mask=torch.from_numpy(MASK)).sum().backward()
        grads.append([p.grad.clone() for p in layer.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_dropout_only_in_training(rng, variant):
    x = rng.standard_normal((3, 6, 4)).astype("float32")
    ours, theirs = _pair(variant, return_sequences=True, dropout=0.5, recurrent_dropout=0.3, seed=1)
    expected = theirs(x, training=False)
    ours.eval()
    _assert_close(ours(torch.from_numpy(x)), expected)
    ours.train()
    a = ours(torch.from_numpy(x)).detach().numpy()
    b = ours(torch.from_numpy(x)).detach().numpy()
    assert np.abs(a - np.asarray(expected)).max() > 1e-3
    assert np.abs(a - b).max() > 1e-6  # fresh masks per call
    _assert_close(ours(torch.from_numpy(x), training=False), expected)


def test_dropout_mask_is_shared_across_timesteps():
    # Keras draws one input-dropout mask per sequence: a dropped feature is dropped at
    # every step. With identical steps and no recurrence, every output step is identical.
    layer = SimpleRNN(3, dropout=0.5, recurrent_initializer="zeros", return_sequences=True)
    x = torch.ones(2, 5, 8)
    out = layer(x, training=True)
    assert torch.allclose(out, out[:, :1].expand_as(out))
    gru = GRU(3, dropout=0.5, seed=3, return_sequences=True)
    assert gru(x, training=True).shape == (2, 5, 3)


def test_stateful_matches_keras(rng):
    x = rng.standard_normal((2, 6, 4)).astype("float32")
    theirs = keras.layers.LSTM(3, stateful=True, return_sequences=True)
    first, second = np.asarray(theirs(x[:, :3])), np.asarray(theirs(x[:, 3:]))
    ours = LSTM(3, stateful=True, return_sequences=True, input_shape=(None, 4))
    ours.set_weights(theirs.get_weights())
    _assert_close(ours(torch.from_numpy(x[:, :3])), first)
    _assert_close(ours(torch.from_numpy(x[:, 3:])), second)
    ours.reset_state()
    theirs.reset_state()
    _assert_close(ours(torch.from_numpy(x[:, 3:])), theirs(x[:, 3:]))
    assert all(not s.requires_grad for s in ours.states)
    with pytest.raises(InputError, match="stateful"):
        ours(torch.zeros(3, 2, 4))


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_output_shape_and_mask(variant, return_sequences, return_state):
    ours, theirs = _pair(variant, return_sequences=return_sequences, return_state=return_state)
    shape = (None, 6, 4)
    assert ours.compute_output_shape(shape) == theirs.compute_output_shape(shape)
    mask = np.ones((2, 6), bool)
    expected = theirs.compute_mask(None, mask)
    got = ours.compute_mask(None, torch.from_numpy(mask))
    assert isinstance(got, list) == isinstance(expected, list)
    assert [m is None for m in _as_list(got)] == [m is None for m in _as_list(expected)]


def test_errors():
    lstm = LSTM(4, name="my_lstm")
    with pytest.raises(InputError, match=r"my_lstm.*rank 3.*\(2, 5\)"):
        lstm(torch.zeros(2, 5))
    lstm(torch.zeros(2, 3, 5))
    with pytest.raises(InputError, match=r"my_lstm.*\(None, None, 5\).*\(2, 3, 6\)"):
        lstm(torch.zeros(2, 3, 6))
    with pytest.raises(InputError, match="initial state"):
        lstm(torch.zeros(2, 3, 5), initial_state=[torch.zeros(2, 4)])
    with pytest.raises(InputError, match="shape"):
        lstm(torch.zeros(2, 3, 5), initial_state=[torch.zeros(2, 3), torch.zeros(2, 3)])
    with pytest.raises(InputError, match="mask"):
        lstm(torch.zeros(2, 3, 5), mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(InputError, match="timestep"):
        lstm(torch.zeros(2, 0, 5))
    with pytest.raises(ValueError, match="units"):
        GRU(0)
    with pytest.raises(ValueError, match="use_cudnn"):
        GRU(2, use_cudnn="yes")
    with pytest.raises(ValueError, match="use_cudnn=True"):
        GRU(2, reset_after=False, use_cudnn=True)(torch.zeros(1, 2, 3))
    # the weight options are supported (tests/layers/test_regularization.py); bad ones name
    # themselves
    with pytest.raises(ValueError, match="'l3'"):
        SimpleRNN(2, kernel_regularizer="l3")
    with pytest.raises(ValueError, match=r"'maxnorm'.*'MaxNorm'"):
        LSTM(2, recurrent_constraint="maxnorm")
    with pytest.raises(ValueError, match="constraint identifier: 3"):
        GRU(2, bias_constraint=3)
    with pytest.raises(TypeError):
        LSTM(2, not_an_argument=1)


def test_keras_compatibility_arguments(rng):
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    theirs = keras.layers.GRU(2, unroll=True)
    expected = theirs(x)
    ours = GRU(2, unroll=True, implementation=1, input_shape=(4, 3))
    ours.set_weights(theirs.get_weights())
    _assert_close(ours(x), expected)  # NumPy input accepted
    assert ours.get_config()["unroll"] is True
    assert ours.get_config()["batch_input_shape"] == [None, 4, 3]
    double = ours(torch.from_numpy(x).double())
    assert double.dtype == torch.float32
