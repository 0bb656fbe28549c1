"""Bidirectional / TimeDistributed against Keras (TensorFlow backend)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from torchbridge.errors import InputError
from torchbridge.layers import Conv2D, Dense, Dropout, Embedding
from torchbridge.layers.recurrent import GRU, LSTM, SimpleRNN
from torchbridge.layers.wrappers import Bidirectional, TimeDistributed

IDS = np.array([[3, 4, 5, 0, 0, 0], [0, 0, 1, 2, 3, 4], [1, 0, 2, 3, 0, 5]])


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _assert_close(got, expected, atol=1e-5):
    got, expected = _as_list(got), _as_list(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.detach().numpy(), np.asarray(e), atol=atol, rtol=1e-5)


def _has_mask(values):
    return [getattr(v, "_keras_mask", None) is not None for v in _as_list(values)]


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_bidirectional_with_mask_matches_keras(merge_mode, return_sequences, return_state):
    theirs_emb = keras.layers.Embedding(8, 4, mask_zero=True)
    theirs = keras.layers.Bidirectional(
        keras.layers.LSTM(3, return_sequences=return_sequences, return_state=return_state),
        merge_mode=merge_mode,
    )
    expected = theirs(theirs_emb(IDS))
    emb = Embedding(8, 4, mask_zero=True)
    emb.set_weights(theirs_emb.get_weights())
    ours = Bidirectional(
        LSTM(3, return_sequences=return_sequences, return_state=return_state),
        merge_mode=merge_mode,
    )
    ours.build_from_shape((None, 6, 4))
    ours.set_weights(theirs.get_weights())
    got = ours(emb(torch.from_numpy(IDS)))
    _assert_close(got, expected)
    assert _has_mask(got) == _has_mask(expected)
    shape = (None, 6, 4)
    assert ours.compute_output_shape(shape) == theirs.compute_output_shape(shape)


@pytest.mark.parametrize("inner", ["gru", "simple_rnn"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_without_mask_matches_keras(rng, inner, return_sequences):
    ours_cls, theirs_cls = {
        "gru": (GRU, keras.layers.GRU),
        "simple_rnn": (SimpleRNN, keras.layers.SimpleRNN),
    }[inner]
    x = rng.standard_normal((2, 5, 4)).astype("float32")
    theirs = keras.layers.Bidirectional(theirs_cls(3, return_sequences=return_sequences))
    expected = theirs(x)
    ours = Bidirectional(ours_cls(3, return_sequences=return_sequences), input_shape=(5, 4))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    _assert_close(ours(torch.from_numpy(x)), expected)
    # Forward weights first, then backward, as in Keras.
    fwd = ours.forward_layer.get_weights()
    np.testing.assert_array_equal(ours.get_weights()[0], fwd[0])
    assert ours.forward_layer.name.startswith("forward_")
    assert ours.backward_layer.name.startswith("backward_")
    assert ours.backward_layer.go_backwards and not ours.forward_layer.go_backwards


def test_bidirectional_initial_state_matches_keras(rng):
    x = rng.standard_normal((2, 5, 4)).astype("float32")
    states = [rng.standard_normal((2, 3)).astype("float32") for _ in range(4)]
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True))
    expected = theirs(x, initial_state=states)
    ours = Bidirectional(LSTM(3, return_sequences=True), input_shape=(5, 4))
    ours.set_weights(theirs.get_weights())
    _assert_close(
        ours(torch.from_numpy(x), initial_state=[torch.from_numpy(s) for s in states]), expected
    )


def test_bidirectional_backward_layer_and_weights_argument(rng):
    x = rng.standard_normal((2, 5, 4)).astype("float32")
    theirs = keras.layers.Bidirectional(
        keras.layers.LSTM(3, return_sequences=True),
        backward_layer=keras.layers.GRU(2, return_sequences=True, go_backwards=True),
    )
    expected = theirs(x)
    backward = GRU(2, return_sequences=True, go_backwards=True)
    ours = Bidirectional(
        LSTM(3, return_sequences=True), backward_layer=backward, weights=theirs.get_weights()
    )
    assert ours.backward_layer is backward
    got = ours(torch.from_numpy(x))
    assert got.shape == (2, 5, 5)
    _assert_close(got, expected)


def test_bidirectional_config_and_round_trip():
    theirs = keras.layers.Bidirectional(
        keras.layers.GRU(3, return_sequences=True), merge_mode="sum"
    )
    theirs.build((None, 5, 4))
    ours = Bidirectional(GRU(3, return_sequences=True), merge_mode="sum", input_shape=(5, 4))
    theirs_config, config = theirs.get_config(), ours.get_config()
    assert set(config) - {"batch_input_shape"} | {"dtype"} == set(theirs_config)
    for key in ("layer", "backward_layer"):
        assert set(config[key]) == set(theirs_config[key])
        assert config[key]["class_name"] == theirs_config[key]["class_name"] == "GRU"
        assert set(config[key]["config"]) | {"dtype"} == set(theirs_config[key]["config"])
        assert config[key]["config"]["zero_output_for_mask"] is True
    assert config["backward_layer"]["config"]["go_backwards"] is True
    clone = Bidirectional.from_config(config)
    assert clone.get_config() == config
    assert clone.count_params() == ours.count_params() == theirs.count_params()
    clone.set_weights(ours.get_weights())
    x = torch.randn(2, 5, 4)
    torch.testing.assert_close(clone(x), ours(x))


def test_bidirectional_gradients_and_errors(rng):
    ours = Bidirectional(LSTM(3, return_sequences=True), merge_mode="ave")
    x = torch.from_numpy(rng.standard_normal((2, 5, 4)).astype("float32")).requires_grad_()
    ours(x).sum().backward()
    assert x.grad is not None
    assert all(p.grad is not None for p in ours.parameters())
    assert len(list(ours.parameters())) == 6
    with pytest.raises(ValueError, match="merge_mode"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match="return_sequences"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match="layer"):
        Bidirectional(torch.nn.LSTM(2, 2))
    with pytest.raises(InputError, match=r"'bi'.*rank 3.*\(2, 4\)"):
        Bidirectional(LSTM(2), name="bi")(torch.zeros(2, 4))


def test_bidirectional_stateful_reset():
    ours = Bidirectional(GRU(2, stateful=True))
    ours(torch.randn(2, 3, 4))
    assert ours.states is not None and len(ours.states) == 2
    ours.reset_state()
    assert all(float(s.abs().sum()) == 0 for s in ours.states)
    with pytest.raises(AttributeError, match="stateful"):
        Bidirectional(GRU(2)).reset_state()


def test_time_distributed_dense_matches_keras(rng):
    x = rng.standard_normal((2, 5, 4)).astype("float32")
    theirs = keras.layers.TimeDistributed(keras.layers.Dense(3, activation="relu"))
    expected = theirs(x)
    ours = TimeDistributed(Dense(3, activation="relu"), input_shape=(5, 4))
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    _assert_close(ours(torch.from_numpy(x)), expected)
    assert ours.compute_output_shape((None, 5, 4)) == theirs.compute_output_shape((None, 5, 4))
    theirs_config, config = theirs.get_config(), ours.get_config()
    assert set(config) - {"batch_input_shape"} | {"dtype"} == set(theirs_config)
    assert set(config["layer"]) == set(theirs_config["layer"])
    theirs_build = theirs_config["layer"]["build_config"]["input_shape"]
    assert config["layer"]["build_config"]["input_shape"][1:] == tuple(theirs_build)[1:]
    clone = TimeDistributed.from_config(config)
    assert clone.get_config() == config
    clone.set_weights(ours.get_weights())
    _assert_close(clone(torch.from_numpy(x)), expected)


def test_time_distributed_conv2d_matches_keras(rng):
    x = rng.standard_normal((2, 3, 6, 6, 2)).astype("float32")
    theirs = keras.layers.TimeDistributed(keras.layers.Conv2D(3, 3, padding="same", strides=2))
    expected = theirs(x)
    ours = TimeDistributed(Conv2D(3, 3, padding="same", strides=2))
    ours.build_from_shape((None, 3, 6, 6, 2))
    ours.set_weights(theirs.get_weights())
    xt = torch.from_numpy(x).requires_grad_()
    got = ours(xt)
    _assert_close(got, expected)
    shape = (None, 3, 6, 6, 2)
    assert ours.compute_output_shape(shape) == theirs.compute_output_shape(shape)
    got.sum().backward()
    assert xt.grad is not None and ours.layer.kernel.grad is not None


def test_time_distributed_mask_and_training(rng):
    theirs_emb = keras.layers.Embedding(8, 4, mask_zero=True)
    theirs_td = keras.layers.TimeDistributed(keras.layers.Dense(2))
    theirs_lstm = keras.layers.LSTM(3)
    expected = theirs_lstm(theirs_td(theirs_emb(IDS)))
    emb, td, lstm = Embedding(8, 4, mask_zero=True), TimeDistributed(Dense(2)), LSTM(3)
    emb.set_weights(theirs_emb.get_weights())
    td.build_from_shape((None, 6, 4))
    td.set_weights(theirs_td.get_weights())
    lstm.build_from_shape((None, 6, 2))
    lstm.set_weights(theirs_lstm.get_weights())
    hidden = td(emb(torch.from_numpy(IDS)))
    assert torch.equal(hidden._keras_mask, torch.from_numpy(IDS != 0))  # passed through
    _assert_close(lstm(hidden), expected)

    dropped = TimeDistributed(Dropout(0.5))
    x = torch.ones(2, 4, 8)
    assert torch.equal(dropped(x, training=False), x)
    assert not torch.equal(dropped(x, training=True), x)
    dropped.eval()
    assert torch.equal(dropped(x), x)


def test_time_distributed_errors():
    td = TimeDistributed(Dense(2), name="td")
    with pytest.raises(InputError, match=r"td.*rank >= 3.*\(2, 4\)"):
        td(torch.zeros(2, 4))
    with pytest.raises(InputError, match="mask"):
        td(torch.zeros(2, 3, 4), mask=torch.ones(2, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="layer"):
        TimeDistributed(torch.nn.Linear(2, 2))
