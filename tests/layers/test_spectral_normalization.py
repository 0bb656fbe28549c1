"""Wrapper and SpectralNormalization against Keras (TensorFlow backend)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from torchbridge import layers
from torchbridge.errors import InputError


@pytest.mark.parametrize(
    ("make", "shape"),
    [
        (lambda k: k.layers.Dense(3), (4, 5)),
        (lambda k: k.layers.Conv2D(4, 3), (2, 6, 6, 3)),
        (lambda k: k.layers.Embedding(10, 4), None),
    ],
    ids=["dense", "conv2d", "embedding"],
)
@pytest.mark.parametrize("power_iterations", [1, 3])
def test_spectral_normalization_matches_keras(rng, make, shape, power_iterations):
    import torchbridge

    if shape is None:
        x = rng.integers(0, 10, (4, 5)).astype("int32")
    else:
        x = rng.standard_normal(shape).astype("float32")
    theirs = keras.layers.SpectralNormalization(make(keras), power_iterations=power_iterations)
    ours = layers.SpectralNormalization(make(torchbridge), power_iterations=power_iterations)
    theirs(x)
    ours(torch.from_numpy(x))
    ours.set_weights(theirs.get_weights())
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.trainable for w in ours.weights] == [w.trainable for w in theirs.weights]
    for training in (True, True, False):
        expected = np.asarray(theirs(x, training=training))
        got = ours(torch.from_numpy(x), training=training).detach().numpy()
        np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)
        for a, b in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-6, rtol=1e-5)
    config = ours.get_config()
    assert config["power_iterations"] == power_iterations
    assert set(config) | {"dtype"} == set(theirs.get_config())
    assert config["layer"]["class_name"] == theirs.get_config()["layer"]["class_name"]
    clone = layers.SpectralNormalization.from_config(config)
    assert clone.power_iterations == power_iterations and clone.layer.built


def test_spectral_normalization_gradient_reaches_the_kernel(rng):
    layer = layers.SpectralNormalization(layers.Dense(2))
    layer(torch.ones(3, 4), training=True).sum().backward()
    assert layer.layer.kernel.grad is not None
    assert not layer.vector_u.requires_grad


def test_spectral_normalization_needs_a_kernel():
    with pytest.raises(InputError, match="neither a `kernel` nor an `embeddings`"):
        layers.SpectralNormalization(layers.ReLU())(torch.ones(2, 3))
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)


def test_wrapper_base_class_matches_keras():
    class Twice(layers.Wrapper):
        def call(self, inputs):
            return 2 * self.layer(inputs)

    wrapped = Twice(layers.Dense(2, kernel_initializer="ones"), name="twice")
    assert torch.equal(wrapped(torch.ones(1, 3)), torch.full((1, 2), 6.0))
    assert wrapped.layer.built and len(wrapped.weights) == 2
    config = wrapped.get_config()
    theirs = keras.layers.Wrapper(keras.layers.Dense(2)).get_config()
    assert set(config) | {"dtype"} == set(theirs)
    assert {k: v for k, v in config["layer"].items() if k != "build_config"}.keys() == (
        theirs["layer"].keys()
    )
    clone = Twice.from_config(config)
    assert clone.name == "twice" and clone.layer.built
    with pytest.raises(ValueError, match="TorchModuleWrapper"):
        layers.Wrapper(torch.nn.Linear(2, 2))
