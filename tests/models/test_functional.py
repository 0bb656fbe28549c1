"""The functional API — ``Model(inputs, outputs)`` — against Keras's."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import torch

import torchbridge as tb
from torchbridge.errors import InputError
from torchbridge.models import Functional


def _two_tower(k):  # k: the keras module or torchbridge, same code
    a = k.Input((8,), name="a")
    b = k.Input((4,), name="b")
    shared = k.layers.Dense(4, name="shared")
    h = k.layers.Concatenate(name="cat")([shared(a), k.layers.Dense(4, name="db")(b)])
    h2 = shared(k.layers.Dense(8, activation="relu", name="up")(h))
    out1 = k.layers.Dense(1, activation="sigmoid", name="o1")(h2)
    out2 = k.layers.Dense(3, activation="softmax", name="o2")(h)
    return k.Model([a, b], [out1, out2])


def _inputs(rng, n=6):
    return [rng.normal(size=(n, 8)).astype("float32"), rng.normal(size=(n, 4)).astype("float32")]


def test_multi_input_output_shared_layer_matches_keras(rng) -> None:
    theirs, ours = _two_tower(keras), _two_tower(tb)
    assert isinstance(ours, Functional) and isinstance(ours, tb.Model)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())  # Keras's model-level order and layouts
    x = _inputs(rng)
    for got, expected in zip(ours(x), theirs(x)):
        np.testing.assert_allclose(got.detach().numpy(), np.asarray(expected), atol=1e-6)
    for got, expected in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(got, expected)
    assert ours.output_names == ["o1", "o2"]
    assert ours.input_shape == [(None, 8), (None, 4)]
    assert ours.output_shape == [(None, 1), (None, 3)]
    assert ours.get_layer("shared") is ours.layers[2]


def test_fit_with_named_outputs_matches_keras(rng) -> None:
    theirs, ours = _two_tower(keras), _two_tower(tb)
    ours.set_weights(theirs.get_weights())
    x = _inputs(rng, 32)
    y = {"o1": rng.integers(0, 2, (32, 1)), "o2": rng.integers(0, 3, 32)}
    args = {
        "optimizer": "sgd",
        "loss": {"o1": "binary_crossentropy", "o2": "sparse_categorical_crossentropy"},
        "metrics": {"o2": ["accuracy"]},
    }
    theirs.compile(**args)
    ours.compile(**args)
    h_theirs = theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    h_ours = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    assert set(h_ours) == set(h_theirs)
    for key in h_theirs:
        np.testing.assert_allclose(h_ours[key], h_theirs[key], rtol=1e-5, atol=1e-6)


def test_dict_inputs_and_outputs(rng) -> None:
    a = tb.Input((3,), name="first")
    b = tb.Input((2,), name="second")
    h = tb.layers.Concatenate()([a, b])
    model = tb.Model(
        inputs={"first": a, "second": b},
        outputs={"score": tb.layers.Dense(1, name="score")(h), "hidden": h},
    )
    x = {"first": rng.normal(size=(4, 3)), "second": rng.normal(size=(4, 2))}
    out = model(x)
    assert set(out) == {"score", "hidden"} and out["hidden"].shape == (4, 5)
    assert out["hidden"].dtype == torch.float32  # NumPy float64 cast to the Input's dtype
    with pytest.raises(InputError, match="second"):
        model({"first": x["first"]})


def test_config_round_trip_is_json_and_rebuilds_the_same_model(rng) -> None:
    ours = _two_tower(tb)
    config = ours.get_config()
    assert set(config) >= set(_two_tower(keras).get_config()) - {"trainable"}
    json.dumps(config)
    clone = Functional.from_config(json.loads(json.dumps(config)))
    assert clone.get_config() == config
    clone.set_weights(ours.get_weights())
    x = _inputs(rng)
    for got, expected in zip(clone(x), ours(x)):
        torch.testing.assert_close(got, expected, rtol=0, atol=0)
    # the shared layer is one module called twice
    assert sum(1 for layer in clone.layers if layer.name == "shared") == 1
    assert len(config["layers"][2]["inbound_nodes"]) == 2


def test_nested_models_and_sequential_inside(rng) -> None:
    inner = tb.Sequential([tb.layers.Dense(5, activation="relu"), tb.layers.Dense(2)], name="inner")
    x = tb.Input((4,))
    encoder = tb.Model(x, tb.layers.Dense(4, name="enc_dense")(x), name="encoder")
    y = tb.Input((4,))
    model = tb.Model(y, inner(encoder(y)))
    assert model.output_shape == (None, 2)
    data = rng.normal(size=(3, 4)).astype("float32")
    assert model(data).shape == (3, 2)
    assert model.count_params() == encoder.count_params() + inner.count_params()
    clone = Functional.from_config(json.loads(json.dumps(model.get_config())))
    clone.set_weights(model.get_weights())
    torch.testing.assert_close(clone(data), model(data))


def test_unknown_dimensions_and_masks_flow_through_the_graph() -> None:
    ids = tb.Input((None,), dtype="int64")
    emb = tb.layers.Embedding(20, 4, mask_zero=True)(ids)
    assert emb.shape == (None, None, 4)
    dense = tb.layers.Dense(3)(emb)
    model = tb.Model(ids, dense)
    out = model(torch.tensor([[1, 2, 0], [3, 0, 0]]))
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[1, 1, 0], [1, 0, 0]])


def test_training_argument_reaches_the_layers(rng) -> None:
    x = tb.Input((50,))
    model = tb.Model(x, tb.layers.Dropout(0.5)(x))
    data = torch.ones(2, 50)
    model.eval()
    assert torch.equal(model(data), data)
    assert not torch.equal(model(data, training=True), data)


def test_summary_reports_keras_parameter_counts(capsys) -> None:
    theirs, ours = _two_tower(keras), _two_tower(tb)
    ours.summary()
    out = capsys.readouterr().out
    assert f"Total params: {theirs.count_params():,}" in out
    assert "shared (Dense)" in out and "(None, 4)" in out and "a (InputLayer)" in out


def test_bad_graphs_and_inputs_get_clear_errors(rng) -> None:
    a = tb.Input((3,), name="in_a")
    b = tb.Input((3,), name="in_b")
    out = tb.layers.Dense(2)(a)
    with pytest.raises(InputError, match="not used"):
        tb.Model([a, b], out)
    with pytest.raises(InputError, match="in_b"):
        tb.Model(a, tb.layers.Add()([a, b]))
    with pytest.raises(InputError, match=r"keras.Input"):
        tb.Model(torch.zeros(2, 3), out)
    with pytest.raises(InputError, match="unique"):
        d = tb.layers.Dense(3, name="twin")(a)
        tb.Model(a, tb.layers.Dense(3, name="twin")(d))
    model = tb.Model(a, out)
    with pytest.raises(InputError, match=r"expected shape \(None, 3\), received \(4, 5\)"):
        model(torch.zeros(4, 5))
    with pytest.raises(InputError, match=r"has 2 inputs .* got 3 arrays"):
        tb.Model([a, b], tb.layers.Add()([a, b]))([torch.zeros(1, 3)] * 3)
    with pytest.raises(TypeError, match="no value yet"):
        bool(a)


def test_python_operators_on_keras_tensors_match_keras(rng) -> None:
    def build(k):
        x = k.Input((6,), name="x")
        h = k.layers.Dense(6, name="h")(x)
        out = (h + x) * 0.5 - 1.0
        out = 2.0 / (abs(out) + 1.0)
        out = -(out[:, 1:4] ** 2)
        return k.Model(x, out)

    theirs, ours = build(keras), build(tb)
    ours.set_weights(theirs.get_weights())
    data = rng.normal(size=(5, 6)).astype("float32")
    np.testing.assert_allclose(
        ours.predict(data, verbose=0), theirs.predict(data, verbose=0), rtol=1e-5, atol=1e-6
    )
    clone = Functional.from_config(json.loads(json.dumps(ours.get_config())))
    clone.set_weights(ours.get_weights())
    torch.testing.assert_close(clone(data), ours(data))
    with pytest.raises(TypeError, match="numbers"):
        _ = ours.inputs[0] + "a"


@pytest.mark.parametrize("kind", ["tensor", "list", "dict"])
def test_input_and_output_are_the_constructor_structures_as_keras(kind: str) -> None:
    def build(k):
        a = k.Input((3,), name="a")
        b = k.layers.Dense(2, name="d")(a)
        if kind == "tensor":
            return k.Model(a, b)
        if kind == "list":
            return k.Model([a], [b])
        return k.Model({"a": a}, {"d": b})

    ours, theirs = build(tb), build(keras)
    for attribute in ("input", "output"):
        got, expected = getattr(ours, attribute), getattr(theirs, attribute)
        if isinstance(expected, dict):
            assert isinstance(got, dict) and list(got) == list(expected)
        elif isinstance(expected, list):
            assert isinstance(got, list) and len(got) == len(expected) == 1
        else:
            assert isinstance(got, tb.layers.KerasTensor)


def test_inference_models_from_a_loaded_models_graph(tmp_path, rng) -> None:
    # The seq2seq pattern: reuse a trained model's inputs, layers and inner outputs
    enc_in = tb.Input(shape=(None, 5))
    _, h, c = tb.layers.LSTM(4, return_state=True)(enc_in)
    dec_in = tb.Input(shape=(None, 6))
    dec_seq, _, _ = tb.layers.LSTM(4, return_sequences=True, return_state=True)(
        dec_in, initial_state=[h, c]
    )
    model = tb.Model([enc_in, dec_in], tb.layers.Dense(6, activation="softmax")(dec_seq))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    x1 = rng.normal(size=(4, 3, 5)).astype("float32")
    x2 = rng.normal(size=(4, 2, 6)).astype("float32")
    model.fit([x1, x2], np.eye(6, dtype="float32")[rng.integers(0, 6, (4, 2))], verbose=0)
    model.save(tmp_path / "s2s.keras")
    loaded = tb.models.load_model(tmp_path / "s2s.keras")

    _, state_h, state_c = loaded.layers[2].output
    encoder = tb.Model(loaded.input[0], [state_h, state_c])
    h_in, c_in = tb.Input(shape=(4,)), tb.Input(shape=(4,))
    seq, h_out, c_out = loaded.layers[3](loaded.input[1], initial_state=[h_in, c_in])
    decoder = tb.Model([loaded.input[1], h_in, c_in], [loaded.layers[4](seq), h_out, c_out])

    states = encoder.predict(x1, verbose=0)
    probs, _, _ = decoder.predict([x2, *states], verbose=0)
    np.testing.assert_allclose(probs, loaded.predict([x1, x2], verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["double", "train", "to", "keys"])
def test_layer_names_that_modules_use_are_allowed(name: str, rng) -> None:
    a = tb.Input((3,))
    model = tb.Model(a, tb.layers.Dense(2, name=name)(a))
    assert model.get_layer(name).name == name
    assert model.predict(rng.normal(size=(2, 3)).astype("float32"), verbose=0).shape == (2, 2)
    assert any(key.startswith(f"_layers.{name}_.") for key in model.state_dict())


def test_string_input_of_rank_one_less_gets_the_feature_axis_as_keras():
    """Keras expands a (batch,) array for an Input of shape (1,): strings too."""
    keras = pytest.importorskip("keras")
    x = np.array(["a", "b", "c"])
    outs = []
    for lib in (tb, keras):
        i = lib.Input((1,), dtype="string")
        model = lib.Model(i, lib.layers.StringLookup(vocabulary=["a", "b"])(i))
        outs.append(np.asarray(lib.ops.convert_to_numpy(model(x))))
    assert outs[0].shape == outs[1].shape == (3, 1)
    np.testing.assert_array_equal(outs[0], outs[1])


def test_intermediate_tensor_as_model_input_as_keras():
    """Model(inputs=<a layer's output>) gets a new Input of that shape (Keras's
    clone_graph_nodes): same layers after it, same outputs, weights shared."""
    x = np.arange(6, dtype="float32").reshape(2, 3)
    results = []
    for lib in (tb, keras):
        i = lib.Input((4,))
        h = lib.layers.Dense(3, name="enc")(i)
        mid = lib.layers.Dense(2, name="mid")
        o = lib.layers.Dense(1, name="head")(mid(h))
        model = lib.Model(h, o)
        assert [type(layer).__name__ for layer in model.layers] == [
            "InputLayer",
            "Dense",
            "Dense",
        ]
        assert model.layers[0].name.endswith("CLONE")
        assert tuple(model.inputs[0].shape) == (None, 3)
        results.append((model, mid))
    (ours, _), (theirs, _) = results
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(
        tb.ops.convert_to_numpy(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6
    )
    assert results[0][1] is ours.get_layer("mid")  # the same layer object, shared
