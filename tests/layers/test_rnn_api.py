"""Keras's RNN API against Keras (TensorFlow backend): ``RNN``, the cells, ``StackedRNNCells``,
custom cells, states in functional graphs, stateful layers, configs and a training step."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

import torchbridge as tb
from torchbridge import layers
from torchbridge.errors import InputError

MASK = np.array(
    [
        [1, 1, 1, 1, 0, 0],
        [0, 0, 1, 1, 1, 1],
        [1, 0, 1, 1, 0, 1],
        [0, 0, 0, 0, 0, 0],
    ],
    dtype=bool,
)

# name -> (cell kwargs, the matching built-in layer)
CELLS = {
    "SimpleRNNCell": ({}, "SimpleRNN"),
    "LSTMCell": ({}, "LSTM"),
    "GRUCell": ({}, "GRU"),
    "GRUCell_reset_before": ({"reset_after": False}, "GRU"),
    "LSTMCell_relu": ({"activation": "relu", "use_bias": False}, "LSTM"),
}


def _cell_class(module, name):
    return getattr(module.layers, name.split("_")[0])


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [leaf for item in out for leaf in _flat(item)]
    return [out]


def _assert_close(got, expected, atol=1e-5):
    got, expected = _flat(got), _flat(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(_numpy(g), _numpy(e), atol=atol, rtol=1e-5)


def _numpy(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _rnn_pair(name, shape=(None, 6, 4), units=5, **rnn_kwargs):
    cell_kwargs, _ = CELLS[name]
    theirs = keras.layers.RNN(_cell_class(keras, name)(units, **cell_kwargs), **rnn_kwargs)
    theirs.build(shape)
    ours = layers.RNN(_cell_class(tb, name)(units, **cell_kwargs), **rnn_kwargs)
    ours.build_from_shape(shape)
    ours.set_weights(theirs.get_weights())
    return ours, theirs


# --- custom cells, written once in Keras's style for both libraries ------------------------------
def minimal_cell(k):
    """The keras-io RNN guide's MinimalRNNCell pattern."""

    class MinimalRNNCell(k.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(
                shape=(input_shape[-1], self.units), initializer="uniform", name="kernel"
            )
            self.recurrent_kernel = self.add_weight(
                shape=(self.units, self.units), initializer="uniform", name="recurrent_kernel"
            )

        def call(self, inputs, states):
            output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
            return output, [output]

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return MinimalRNNCell


def two_state_cell(k):
    """A cell with a list ``state_size`` of different sizes and its own ``output_size``."""

    class TwoStateCell(k.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = [units, 2 * units]
            self.output_size = 2 * units

        def build(self, input_shape):
            self.kernel = self.add_weight(
                shape=(input_shape[-1], 3 * self.units), initializer="uniform", name="kernel"
            )

        def call(self, inputs, states):
            a, b = states
            z = inputs @ self.kernel
            a = a * 0.5 + z[:, : self.units]
            b = b * 0.9 + z[:, self.units :]
            return b, [a, b]

    return TwoStateCell


def nested_state_cell(k):
    """A cell whose states are nested (``[[a, b], c]``) with its own ``get_initial_state``."""

    class NestedStateCell(k.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = [[units, units], units]
            self.output_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(
                shape=(input_shape[-1], self.units), initializer="uniform", name="kernel"
            )

        def get_initial_state(self, batch_size=None):
            zeros = np.zeros((batch_size, self.units), "float32")
            return [[zeros, zeros + 1.0], zeros - 1.0]

        def call(self, inputs, states):
            (a, b), c = states
            a = a * 0.5 + inputs @ self.kernel
            return a * b + c, [[a, b * 0.9], c + a]

    return NestedStateCell


CUSTOM = {"minimal": minimal_cell, "two_state": two_state_cell, "nested": nested_state_cell}


# --- RNN(cell) equals the built-in layer and Keras ---------------------------------------------------
@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_rnn_of_cell_matches_keras_and_builtin(
    rng, name, return_sequences, return_state, go_backwards
):
    x = rng.standard_normal((3, 6, 4)).astype("float32")
    options = {
        "return_sequences": return_sequences,
        "return_state": return_state,
        "go_backwards": go_backwards,
    }
    ours, theirs = _rnn_pair(name, **options)
    expected = theirs(x)
    got = ours(torch.from_numpy(x))
    _assert_close(got, expected)
    assert isinstance(got, tuple) == return_state
    cell_kwargs, builtin = CELLS[name]
    layer = getattr(layers, builtin)(5, **cell_kwargs, **options)
    layer.build_from_shape((None, 6, 4))
    layer.set_weights(ours.get_weights())
    _assert_close(layer(torch.from_numpy(x)), got)


@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_rnn_of_cell_masks_match_keras(
    rng, name, return_sequences, go_backwards, zero_output_for_mask
):
    x = rng.standard_normal((4, 6, 4)).astype("float32")
    ours, theirs = _rnn_pair(
        name,
        return_sequences=return_sequences,
        return_state=True,
        go_backwards=go_backwards,
        zero_output_for_mask=zero_output_for_mask,
    )
    _assert_close(ours(torch.from_numpy(x), mask=torch.from_numpy(MASK)), theirs(x, mask=MASK))


@pytest.mark.parametrize("name", list(CELLS))
def test_rnn_of_cell_initial_state_matches_keras(rng, name):
    x = rng.standard_normal((3, 6, 4)).astype("float32")
    ours, theirs = _rnn_pair(name, return_sequences=True, return_state=True)
    states = [rng.standard_normal((3, 5)).astype("float32") for _ in ours.state_size]
    expected = theirs(x, initial_state=states, mask=MASK[:3])
    _assert_close(ours(x, initial_state=states, mask=MASK[:3]), expected)  # NumPy accepted


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_step_weights_and_config_match_keras(rng, name):
    cell_kwargs, _ = CELLS[name]
    theirs = _cell_class(keras, name)(5, **cell_kwargs)
    ours = _cell_class(tb, name)(5, **cell_kwargs)
    theirs.build((None, 4))
    ours.build_from_shape((None, 4))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    x = rng.standard_normal((3, 4)).astype("float32")
    states = [rng.standard_normal((3, 5)).astype("float32") for _ in _as_list(ours.state_size)]
    out, new = ours(torch.from_numpy(x), [torch.from_numpy(s) for s in states])
    exp_out, exp_new = theirs(x, states)
    _assert_close([out, *new], [exp_out, *exp_new])
    assert ours.state_size == theirs.state_size and ours.output_size == theirs.output_size
    assert set(ours.get_config()) | {"dtype"} == set(theirs.get_config())
    clone = type(ours).from_config(ours.get_config())
    assert clone.get_config() == ours.get_config()


def test_cell_default_initialisation_matches_keras_layouts():
    lstm = layers.LSTMCell(4)
    lstm.build_from_shape((None, 3))
    kernel, recurrent, bias = lstm.get_weights()
    assert kernel.shape == (3, 16) and recurrent.shape == (4, 16)
    np.testing.assert_array_equal(bias, [0] * 4 + [1] * 4 + [0] * 8)  # unit_forget_bias
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-5)  # orthogonal
    gru = layers.GRUCell(4)
    gru.build_from_shape((None, 3))
    assert [w.shape for w in gru.get_weights()] == [(3, 12), (4, 12), (2, 12)]
    assert tuple(gru.kernel.shape) == (3, 12)  # Keras's layout on the attribute too
    assert sorted(gru.state_dict()) == ["bias", "kernel", "recurrent_kernel"]


# --- stacked and custom cells --------------------------------------------------------------------------
@pytest.mark.parametrize("return_state", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_stacked_lstm_cells_match_keras(rng, return_state, masked):
    x = rng.standard_normal((4, 6, 4)).astype("float32")
    mask = MASK if masked else None
    theirs = keras.layers.RNN(
        keras.layers.StackedRNNCells([keras.layers.LSTMCell(5), keras.layers.LSTMCell(3)]),
        return_sequences=True,
        return_state=return_state,
    )
    expected = theirs(x, mask=mask)
    ours = layers.RNN(
        [layers.LSTMCell(5), layers.LSTMCell(3)], return_sequences=True, return_state=return_state
    )
    assert isinstance(ours.cell, layers.StackedRNNCells)
    ours.build_from_shape((None, 6, 4))
    ours.set_weights(theirs.get_weights())
    got = ours(torch.from_numpy(x), mask=None if mask is None else torch.from_numpy(mask))
    _assert_close(got, expected)
    if return_state:  # (output, [h1, c1], [h2, c2]) as Keras nests them
        assert [len(s) for s in got[1:]] == [len(s) for s in expected[1:]] == [2, 2]
    assert ours.compute_output_shape((None, 6, 4)) == theirs.compute_output_shape((None, 6, 4))
    assert ours.cell.state_size == theirs.cell.state_size


def test_stacked_mixed_cells_nested_initial_state(rng):
    x = rng.standard_normal((3, 5, 4)).astype("float32")
    theirs = keras.layers.RNN(
        [keras.layers.LSTMCell(3), keras.layers.GRUCell(2)], return_state=True
    )
    theirs.build((None, 5, 4))
    ours = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_state=True)
    ours.build_from_shape((None, 5, 4))
    ours.set_weights(theirs.get_weights())
    h, c, g = (rng.standard_normal((3, n)).astype("float32") for n in (3, 3, 2))
    expected = theirs(x, initial_state=[[h, c], [g]])
    _assert_close(ours(x, initial_state=[[h, c], [g]]), expected)
    _assert_close(ours(x, initial_state=[h, c, g]), expected)  # a flat list is packed for you


def test_stacked_mixed_cells_states_nest_like_keras_functional_outputs():
    def structure(out):
        if isinstance(out, (list, tuple)):
            return [structure(o) for o in out]
        return tuple(out.shape)[1:]

    symbolic = keras.layers.RNN(
        [keras.layers.LSTMCell(3), keras.layers.GRUCell(2)], return_state=True
    )(keras.Input((5, 4)))
    ours = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_state=True)
    got = ours(torch.zeros(2, 5, 4))
    # (output, [h1, c1], h2): the GRU cell's single state is not wrapped in a list
    assert structure(got) == structure(symbolic) == [(2,), [(3,), (3,)], (2,)]


@pytest.mark.parametrize("kind", list(CUSTOM))
@pytest.mark.parametrize("return_sequences", [False, True])
def test_custom_cells_match_keras(rng, kind, return_sequences):
    x = rng.standard_normal((4, 6, 4)).astype("float32")
    theirs = keras.layers.RNN(
        CUSTOM[kind](keras)(3), return_sequences=return_sequences, return_state=True
    )
    theirs.build((None, 6, 4))
    ours = layers.RNN(CUSTOM[kind](tb)(3), return_sequences=return_sequences, return_state=True)
    ours.build_from_shape((None, 6, 4))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    _assert_close(ours(torch.from_numpy(x)), theirs(x))
    _assert_close(ours(torch.from_numpy(x), mask=torch.from_numpy(MASK)), theirs(x, mask=MASK))
    assert ours.compute_output_shape((None, 6, 4)) == theirs.compute_output_shape((None, 6, 4))


def test_custom_cell_in_a_functional_model_and_stacked(rng):
    x = rng.standard_normal((2, 5, 4)).astype("float32")

    def build(k):
        inputs = k.Input((None, 4))
        y = k.layers.RNN([minimal_cell(k)(3), minimal_cell(k)(2)], return_sequences=True)(inputs)
        return k.Model(inputs, k.layers.RNN(minimal_cell(k)(4))(y))

    theirs, ours = build(keras), build(tb)
    ours.set_weights(theirs.get_weights())
    _assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


# --- states in functional graphs --------------------------------------------------------------------
def _encoder_decoder(k, cell=False):
    encoder_inputs = k.Input((None, 5))
    encoder = (
        k.layers.RNN(k.layers.LSTMCell(6), return_state=True)
        if cell
        else k.layers.LSTM(6, return_state=True)
    )
    _, state_h, state_c = encoder(encoder_inputs)
    decoder_inputs = k.Input((None, 4))
    decoder = k.layers.LSTM(6, return_sequences=True, return_state=True)
    decoded, _, _ = decoder(decoder_inputs, initial_state=[state_h, state_c])
    outputs = k.layers.Dense(3, activation="softmax")(decoded)
    return k.Model([encoder_inputs, decoder_inputs], outputs)


def _embedding_encoder_decoder(k):
    """The guide's pattern: states of one LSTM start another, on embedded integer inputs."""
    encoder_input = k.Input((None,))
    embedded = k.layers.Embedding(20, 8)(encoder_input)
    _, state_h, state_c = k.layers.LSTM(6, return_state=True, name="encoder")(embedded)
    decoder_input = k.Input((None,))
    decoder_embedded = k.layers.Embedding(30, 8)(decoder_input)
    decoded = k.layers.LSTM(6, name="decoder")(decoder_embedded, initial_state=[state_h, state_c])
    return k.Model([encoder_input, decoder_input], k.layers.Dense(4)(decoded))


def _gru_state_chain(k):
    inputs = k.Input((None, 4))
    _, state = k.layers.GRU(5, return_state=True)(inputs)
    state = k.layers.Dense(5, activation="tanh")(state)
    outputs = k.layers.RNN(k.layers.GRUCell(5), return_sequences=True)(inputs, initial_state=state)
    return k.Model(inputs, outputs)


def _bidirectional_states(k):
    inputs = k.Input((None, 4))
    output, fh, fc, bh, bc = k.layers.Bidirectional(k.layers.LSTM(3, return_state=True))(inputs)
    second = k.Input((None, 4))
    again = k.layers.Bidirectional(k.layers.LSTM(3, return_sequences=True))(
        second, initial_state=[fh, fc, bh, bc]
    )
    merged = k.layers.Concatenate()([k.layers.GlobalAveragePooling1D()(again), output])
    return k.Model([inputs, second], [merged, fh, bc])


def _bidirectional_cells(k):
    inputs = k.Input((None, 4))
    outs = k.layers.Bidirectional(
        k.layers.RNN(k.layers.GRUCell(3), return_state=True), merge_mode="sum"
    )(inputs)
    return k.Model(inputs, list(outs))


GRAPHS = {
    "encoder_decoder": (_encoder_decoder, [(3, 7, 5), (3, 4, 4)]),
    "encoder_decoder_cell": (lambda k: _encoder_decoder(k, cell=True), [(3, 7, 5), (3, 4, 4)]),
    "embedding_guide": (_embedding_encoder_decoder, [(3, 7), (3, 5)]),
    "gru_state_chain": (_gru_state_chain, [(3, 6, 4)]),
    "bidirectional_states": (_bidirectional_states, [(3, 6, 4), (3, 5, 4)]),
    "bidirectional_cells": (_bidirectional_cells, [(3, 6, 4)]),
}


def _inputs(rng, shapes):
    return [
        rng.integers(1, 20, size=s) if len(s) == 2 else rng.standard_normal(s).astype("float32")
        for s in shapes
    ]


@pytest.mark.parametrize("graph", list(GRAPHS))
def test_functional_graphs_with_states_match_keras(rng, graph):
    build, shapes = GRAPHS[graph]
    theirs, ours = build(keras), build(tb)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    data = _inputs(rng, shapes)
    feed = data if len(data) > 1 else data[0]
    _assert_close(ours.predict(feed, verbose=0), theirs.predict(feed, verbose=0))
    assert [tuple(t.shape) for t in ours.outputs] == [tuple(t.shape) for t in theirs.outputs]


def test_functional_state_model_survives_save_and_load(rng, tmp_path):
    model = _encoder_decoder(tb, cell=True)
    data = _inputs(rng, GRAPHS["encoder_decoder"][1])
    expected = model.predict(data, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = tb.load_model(tmp_path / "m.keras")
    _assert_close(loaded.predict(data, verbose=0), expected)


def test_numpy_inputs_and_states_from_a_stateful_layer():
    # the guide's "RNN state reuse": states of a stateful layer start a new layer
    rng = np.random.default_rng(1)
    paragraphs = [rng.random((4, 3, 6)).astype("float32") for _ in range(3)]
    ours = layers.LSTM(5, stateful=True)  # built by its first (NumPy) call
    ours(paragraphs[0])
    ours(paragraphs[1])
    theirs = keras.layers.LSTM(5, stateful=True)
    theirs(paragraphs[0])
    ours.set_weights(theirs.get_weights())
    ours.reset_states()
    theirs.reset_states()
    for p in paragraphs[:2]:
        _assert_close(ours(p), theirs(p))
    _assert_close(list(ours.states), [v.numpy() for v in theirs.states])
    fresh_ours, fresh_theirs = layers.LSTM(5), keras.layers.LSTM(5)
    fresh_theirs.build((None, 3, 6))
    fresh_ours.build_from_shape((None, 3, 6))
    fresh_ours.set_weights(fresh_theirs.get_weights())
    _assert_close(
        fresh_ours(paragraphs[2], initial_state=ours.states),
        fresh_theirs(paragraphs[2], initial_state=[v.value for v in theirs.states]),
    )


@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell"])
def test_stateful_rnn_of_cell_matches_keras(rng, name):
    x = rng.standard_normal((2, 6, 4)).astype("float32")
    theirs = keras.layers.RNN(_cell_class(keras, name)(3), stateful=True, return_sequences=True)
    first, second = np.asarray(theirs(x[:, :3])), np.asarray(theirs(x[:, 3:]))
    ours = layers.RNN(_cell_class(tb, name)(3), stateful=True, return_sequences=True)
    ours.build_from_shape((2, 3, 4))
    ours.set_weights(theirs.get_weights())
    _assert_close(ours(torch.from_numpy(x[:, :3])), first)
    _assert_close(ours(torch.from_numpy(x[:, 3:])), second)
    ours.reset_states()
    theirs.reset_states()
    _assert_close(ours(torch.from_numpy(x[:, 3:])), theirs(x[:, 3:]))
    assert all(not s.requires_grad for s in ours.states)
    with pytest.raises(InputError, match="stateful"):
        ours(torch.zeros(3, 2, 4))


# --- configs -----------------------------------------------------------------------------------------
def _cell_config_keys(config):
    return set(config["config"]) | {"dtype"}


@pytest.mark.parametrize(
    "make",
    [
        lambda k: k.layers.RNN(k.layers.LSTMCell(3), return_sequences=True, go_backwards=True),
        lambda k: k.layers.RNN(k.layers.GRUCell(3, reset_after=False), stateful=True),
        lambda k: k.layers.RNN([k.layers.SimpleRNNCell(3), k.layers.LSTMCell(2)]),
    ],
)
def test_rnn_config_nests_the_cell_as_keras(make):
    theirs, ours = make(keras), make(tb)
    theirs.build((2, 5, 4))
    ours.build_from_shape((2, 5, 4))
    expected, config = theirs.get_config(), ours.get_config()
    assert set(config) | {"dtype"} == set(expected)
    cell, expected_cell = config["cell"], expected["cell"]
    assert cell["class_name"] == expected_cell["class_name"]
    assert cell["module"] == expected_cell["module"]
    assert _cell_config_keys(cell) == _cell_config_keys(expected_cell)
    assert "build_config" in cell
    if cell["class_name"] == "StackedRNNCells":
        inner = [c["class_name"] for c in cell["config"]["cells"]]
        assert inner == [c["class_name"] for c in expected_cell["config"]["cells"]]
    clone = layers.RNN.from_config(config)
    assert clone.get_config() == config
    assert clone.cell is not ours.cell and clone.built is False
    assert [w.shape for w in clone.cell.weights] == [w.shape for w in ours.cell.weights]


def test_custom_cell_config_round_trip():
    cell_cls = tb.saving.register_serializable(package="test_rnn_api")(minimal_cell(tb))
    rnn = layers.RNN(cell_cls(4), return_state=True)
    config = rnn.get_config()
    assert config["cell"]["registered_name"] == "test_rnn_api>MinimalRNNCell"
    clone = layers.RNN.from_config(config)
    assert isinstance(clone.cell, cell_cls) and clone.cell.units == 4
    both = layers.Bidirectional(layers.RNN(cell_cls(2)))  # copies the cell through its config
    assert both(torch.zeros(2, 3, 5)).shape == (2, 4)


# --- training ----------------------------------------------------------------------------------------
def _sequential(k, kind):
    body = {
        "lstm_cell": lambda: k.layers.RNN(k.layers.LSTMCell(4)),
        "gru_cell": lambda: k.layers.RNN(k.layers.GRUCell(4), go_backwards=True),
        "simple_rnn_cell": lambda: k.layers.RNN(k.layers.SimpleRNNCell(4), return_sequences=True),
        "stacked": lambda: k.layers.RNN([k.layers.LSTMCell(4), k.layers.GRUCell(3)]),
        "minimal": lambda: k.layers.RNN(minimal_cell(k)(4)),
    }[kind]()
    head = [k.layers.Flatten()] if kind == "simple_rnn_cell" else []
    return k.Sequential([k.Input((6, 3)), body, *head, k.layers.Dense(2)])


@pytest.mark.parametrize("kind", ["lstm_cell", "gru_cell", "simple_rnn_cell", "stacked", "minimal"])
def test_one_sgd_step_matches_keras(rng, kind):
    x = rng.standard_normal((8, 6, 3)).astype("float32")
    y = rng.standard_normal((8, 2)).astype("float32")
    theirs, ours = _sequential(keras, kind), _sequential(tb, kind)
    ours.set_weights(theirs.get_weights())
    theirs.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    ours.compile(optimizer=tb.optimizers.SGD(0.1), loss="mse")
    expected = theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    got = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(got.history["loss"], expected.history["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)


def test_cell_dropout_one_mask_per_sequence_and_only_in_training():
    rnn = layers.RNN(
        layers.SimpleRNNCell(3, dropout=0.5, recurrent_initializer="zeros", seed=2),
        return_sequences=True,
    )
    x = torch.ones(2, 5, 8)
    out = rnn(x, training=True)
    assert torch.allclose(out, out[:, :1].expand_as(out))  # the same input mask at every step
    assert not torch.allclose(rnn(x, training=True), out)  # a fresh mask per call
    assert torch.allclose(rnn(x, training=False), rnn(x, training=False))
    lstm = layers.RNN(layers.LSTMCell(3, dropout=0.3, recurrent_dropout=0.3), return_sequences=True)
    assert lstm.cell.implementation == 1  # Keras: per-gate masks with recurrent dropout
    lstm(x, training=True).sum().backward()
    assert all(p.grad is not None for p in lstm.parameters())


# --- errors --------------------------------------------------------------------------------------------
def test_errors_name_the_fix():
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(3))
    with pytest.raises(ValueError, match="call"):
        layers.RNN(object())
    rnn = layers.RNN(layers.LSTMCell(3), name="my_rnn")
    with pytest.raises(InputError, match=r"my_rnn.*rank >= 3.*\(None, 5\)"):
        rnn(torch.zeros(2, 5))
    with pytest.raises(InputError, match="initial_state="):
        layers.LSTM(3)([torch.zeros(2, 4, 5), torch.zeros(2, 3), torch.zeros(2, 3)])
    with pytest.raises(InputError, match="2 initial state"):
        rnn(torch.zeros(2, 4, 5), initial_state=[torch.zeros(2, 3)])
    with pytest.raises(InputError, match=r"shape \(2, 3\)"):
        rnn(torch.zeros(2, 4, 5), initial_state=[torch.zeros(2, 3), torch.zeros(2, 4)])
    with pytest.raises(ValueError, match="units"):
        layers.GRUCell(0)
