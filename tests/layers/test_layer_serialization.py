"""layers.serialize / layers.deserialize for the layers of issue 12 (item 3), against
Keras's configs and signatures; a model holding them saved and loaded as a .keras
file; Keras's .weights.h5 of the same model loaded into ours."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
import torch

import torchbridge
from torchbridge import layers

LAYERS = [
    ("ReLU", {"max_value": 2.0}),
    ("LeakyReLU", {}),
    ("PReLU", {"shared_axes": [1]}),
    ("ELU", {}),
    ("Softmax", {"axis": 1}),
    ("Minimum", {}),
    ("Identity", {}),
    ("ActivityRegularization", {"l1": 0.1}),
    ("GaussianNoise", {"stddev": 0.1, "seed": 1}),
    ("GaussianDropout", {"rate": 0.1}),
    ("AlphaDropout", {"rate": 0.1}),
    ("SpatialDropout1D", {"rate": 0.1}),
    ("SpatialDropout2D", {"rate": 0.1}),
    ("SpatialDropout3D", {"rate": 0.1}),
    ("UnitNormalization", {}),
    ("GroupNormalization", {"groups": 2}),
    ("RMSNormalization", {}),
    ("Cropping1D", {}),
    ("Cropping2D", {"cropping": 1}),
    ("Cropping3D", {}),
    ("UpSampling1D", {}),
    ("UpSampling3D", {}),
    ("ZeroPadding1D", {}),
    ("ZeroPadding3D", {}),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}),
    ("ReversibleEmbedding", {"input_dim": 10, "output_dim": 4}),
]


@pytest.mark.parametrize(("name", "kwargs"), LAYERS, ids=[n for n, _ in LAYERS])
def test_serialize_deserialize_as_keras(name, kwargs):
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    config = layers.serialize(ours)
    keras_config = keras.layers.serialize(theirs)
    assert {k: config[k] for k in ("module", "class_name", "registered_name")} == {
        k: keras_config[k] for k in ("module", "class_name", "registered_name")
    }
    assert set(config["config"]) | {"dtype"} == set(keras_config["config"]) | {"dtype"}
    clone = layers.deserialize(config)
    assert type(clone) is type(ours) and clone.get_config() == ours.get_config()
    from_keras = layers.deserialize(keras_config)  # Keras's own config loads too
    assert type(from_keras) is type(ours)


def test_spectral_normalization_round_trip():
    wrapped = layers.SpectralNormalization(layers.Dense(3), power_iterations=2)
    clone = layers.deserialize(layers.serialize(wrapped))
    assert isinstance(clone.layer, layers.Dense) and clone.power_iterations == 2
    theirs = keras.layers.SpectralNormalization(keras.layers.Dense(3), power_iterations=2)
    from_keras = layers.deserialize(keras.layers.serialize(theirs))
    assert isinstance(from_keras, layers.SpectralNormalization)


def test_deserialize_rejects_what_is_not_a_config():
    with pytest.raises(ValueError, match="class_name"):
        layers.deserialize({"config": {}})


def test_model_with_the_new_layers_saves_and_loads(tmp_path, rng):
    inputs = torchbridge.Input(shape=(6, 4))
    x = layers.EinsumDense("abc,cd->abd", (6, 8), bias_axes="d")(inputs)
    x = layers.PReLU(alpha_initializer="random_uniform")(x)
    x = layers.GroupNormalization(groups=4)(x)
    x = layers.SpectralNormalization(layers.Dense(8))(x)
    x = layers.GaussianNoise(0.1, seed=1)(x)
    x = layers.Cropping1D((1, 2))(x)
    x = layers.ZeroPadding1D(1)(x)
    x = layers.UpSampling1D(2)(x)
    a = layers.RMSNormalization()(x)
    b = layers.UnitNormalization()(x)
    x = layers.minimum([a, layers.LeakyReLU()(b)])
    outputs = layers.Softmax()(x)
    model = torchbridge.Model(inputs, outputs)
    data = torch.from_numpy(rng.standard_normal((2, 6, 4)).astype("float32"))
    expected = model(data).detach().numpy()
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = torchbridge.load_model(path)
    np.testing.assert_allclose(loaded(data).detach().numpy(), expected, atol=1e-6)
    assert [w.shape for w in loaded.get_weights()] == [w.shape for w in model.get_weights()]


def _stack(fw):
    k = fw.layers
    inputs = fw.Input(shape=(6, 4))
    x = k.EinsumDense("abc,cd->abd", (6, 8), bias_axes="d")(inputs)
    x = k.PReLU(alpha_initializer="random_uniform")(x)
    x = k.GroupNormalization(groups=4, gamma_initializer="random_uniform")(x)
    x = k.SpectralNormalization(k.Dense(8))(x)
    x = k.RMSNormalization()(k.ZeroPadding1D(1)(k.Cropping1D((1, 2))(x)))
    outputs = k.Softmax()(k.ReLU(max_value=1.0, negative_slope=0.1)(x))
    return fw.Model(inputs, outputs)


def test_keras_weights_file_loads_into_the_same_model(tmp_path, rng):
    theirs, ours = _stack(keras), _stack(torchbridge)
    data = rng.standard_normal((2, 6, 4)).astype("float32")
    path = tmp_path / "stack.weights.h5"
    theirs.save_weights(path)
    ours.load_weights(path)
    np.testing.assert_allclose(
        ours(torch.from_numpy(data)).detach().numpy(), np.asarray(theirs(data)), atol=1e-5
    )


NAMES = [n for n, _ in LAYERS] + [
    "SpectralNormalization",
    "Wrapper",
    "TorchModuleWrapper",
    "JaxLayer",
    "FlaxLayer",
    "TFSMLayer",
    "add",
    "subtract",
    "multiply",
    "average",
    "maximum",
    "minimum",
    "concatenate",
    "dot",
    "serialize",
    "deserialize",
]


@pytest.mark.parametrize("name", NAMES)
def test_signature_matches_keras(name):
    """Same parameter names, order and defaults: positional calls mean the same."""

    def params(obj):
        fn = obj.__init__ if isinstance(obj, type) else obj
        return [
            (p.name, p.kind, None if p.default is inspect.Parameter.empty else repr(p.default))
            for p in inspect.signature(fn).parameters.values()
        ]

    assert params(getattr(layers, name)) == params(getattr(keras.layers, name))


@pytest.mark.parametrize(("name", "kwargs"), LAYERS, ids=[n for n, _ in LAYERS])
def test_default_name_and_built_state_match_keras(name, kwargs):
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    if name != "ReversibleEmbedding":  # torchbridge's Embedding is built at creation
        assert ours.built == theirs.built  # weightless layers are built at creation
    base = theirs.name.rsplit("_", 1)[0] if theirs.name[-1].isdigit() else theirs.name
    assert ours.name.startswith(base)  # Keras's snake case: ReLU -> "re_lu"
