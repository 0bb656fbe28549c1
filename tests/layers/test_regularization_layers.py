"""GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout1D/2D/3D and
ActivityRegularization against Keras (TensorFlow backend): configs, inference
identity, the noise's statistics in training, seeding, and the activity loss."""

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
    assert tuple(ours.compute_output_shape(shape_arg)) == (None, *expected.shape[1:])
    sym = [torchbridge.Input(shape=s[1:]) for s in shapes]
    out = type(ours).from_config(ours.get_config())(sym if isinstance(x, list) else sym[0])
    assert tuple(out.shape) == (None, *expected.shape[1:])


CASES = [
    ("GaussianNoise", {"stddev": 0.3, "seed": 1}, (2, 5, 4)),
    ("GaussianDropout", {"rate": 0.4, "seed": 1}, (2, 5, 4)),
    ("AlphaDropout", {"rate": 0.2, "noise_shape": [None, 1, 4], "seed": 3}, (2, 5, 4)),
    ("SpatialDropout1D", {"rate": 0.5, "seed": 2}, (2, 5, 4)),
    ("SpatialDropout2D", {"rate": 0.5, "data_format": "channels_first"}, (2, 3, 4, 4)),
    ("SpatialDropout3D", {"rate": 0.5}, (2, 3, 3, 3, 2)),
    ("ActivityRegularization", {"l1": 0.1, "l2": 0.01}, (2, 5, 4)),
]


@pytest.mark.parametrize(("name", "kwargs", "shape"), CASES, ids=[c[0] for c in CASES])
def test_config_and_inference_match_keras(rng, name, kwargs, shape):
    x = rng.standard_normal(shape).astype("float32")
    _check_parity(getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs), x)


@pytest.mark.parametrize(("name", "kwargs", "shape"), CASES[:6], ids=[c[0] for c in CASES[:6]])
def test_noise_is_seeded_and_training_only(rng, name, kwargs, shape):
    x = torch.from_numpy(rng.standard_normal(shape).astype("float32"))
    seeded = {**kwargs, "seed": 7}
    first, second = getattr(layers, name)(**seeded), getattr(layers, name)(**seeded)
    a1, a2 = first(x, training=True), first(x, training=True)
    assert torch.equal(a1, second(x, training=True))  # same seed → same draws
    assert not torch.equal(a1, a2)  # a SeedGenerator: new draws on every call
    assert torch.equal(first(x), x) and torch.equal(first(x, training=False), x)
    assert first.get_weights() == [] and len(first.variables) == 1  # the generator's state


def _large(rng, *shape):
    return torch.from_numpy(rng.standard_normal(shape).astype("float32"))


def test_noise_statistics(rng):
    x = torch.ones(200, 500)
    noisy = layers.GaussianNoise(0.5, seed=0)(x, training=True)
    assert abs(float(noisy.mean()) - 1) < 0.01 and abs(float(noisy.std()) - 0.5) < 0.01
    dropped = layers.GaussianDropout(0.2, seed=0)(x, training=True)
    assert abs(float(dropped.mean()) - 1) < 0.01
    assert abs(float(dropped.std()) - (0.2 / 0.8) ** 0.5) < 0.01
    selu = torch.nn.functional.selu(_large(rng, 200, 500))
    alpha = layers.AlphaDropout(0.3, seed=0)(selu, training=True)
    assert abs(float(alpha.mean()) - float(selu.mean())) < 0.02
    assert abs(float(alpha.std()) - float(selu.std())) < 0.02


@pytest.mark.parametrize(
    ("layer", "shape", "shared"),
    [
        (layers.SpatialDropout1D(0.5, seed=0), (4, 6, 8), (1,)),
        (layers.SpatialDropout2D(0.5, seed=0), (4, 3, 5, 8), (1, 2)),
        (layers.SpatialDropout2D(0.5, data_format="channels_first", seed=0), (4, 8, 3, 5), (2, 3)),
        (layers.SpatialDropout3D(0.5, seed=0), (4, 2, 3, 2, 8), (1, 2, 3)),
    ],
    ids=["1d", "2d", "2d-channels-first", "3d"],
)
def test_spatial_dropout_drops_whole_feature_maps(layer, shape, shared):
    out = layer(torch.ones(shape), training=True)
    zeros = out == 0
    assert torch.equal(zeros.all(dim=shared), zeros.any(dim=shared))  # all or nothing per map
    assert 0 < int(zeros.sum()) < zeros.numel()
    assert set(out.unique().tolist()) <= {0.0, 2.0}
    assert isinstance(layer, layers.Dropout)


def test_activity_regularization_loss_matches_keras(rng):
    x = rng.standard_normal((4, 3)).astype("float32")
    theirs = keras.layers.ActivityRegularization(l1=0.1, l2=0.01)
    theirs(x)
    ours = layers.ActivityRegularization(l1=0.1, l2=0.01)
    out = ours(torch.from_numpy(x))
    assert torch.equal(out, torch.from_numpy(x))
    assert len(ours.losses) == len(theirs.losses) == 1
    np.testing.assert_allclose(float(ours.losses[0]), float(theirs.losses[0]), rtol=1e-5)
    assert "activity_regularizer" not in ours.get_config()


@pytest.mark.parametrize("name", ["GaussianNoise", "GaussianDropout", "AlphaDropout"])
def test_rate_outside_unit_interval_is_refused(name):
    with pytest.raises(ValueError, match="between 0 and 1"):
        getattr(layers, name)(1.5)
