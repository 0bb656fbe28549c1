"""The Circle loss (function with references, class with weights) against keras.losses."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from torchbridge import losses


def _embeddings(rng, n, dim=6):
    x = rng.normal(size=(n, dim)).astype("float32")
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"remove_diagonal": False}, {"gamma": 10.0, "margin": 0.25}],
    ids=str,
)
def test_function_matches_keras(rng, kwargs):
    labels = np.array([0, 1, 0, 2, 1, 3], dtype="int32")  # class 3 has no positive pair
    emb = _embeddings(rng, 6)
    ours = losses.circle(torch.as_tensor(labels), torch.as_tensor(emb), **kwargs)
    theirs = keras.losses.circle(labels, emb, **kwargs)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-5)


def test_reference_embeddings_match_keras(rng):
    labels, ref_labels = np.array([0, 1, 2]), np.array([0, 0, 1, 2, 2])
    emb, refs = _embeddings(rng, 3), _embeddings(rng, 5)
    kwargs = {"ref_labels": ref_labels, "ref_embeddings": refs, "remove_diagonal": False}
    ours = losses.circle(
        torch.as_tensor(labels),
        torch.as_tensor(emb),
        ref_labels=torch.as_tensor(ref_labels),
        ref_embeddings=torch.as_tensor(refs),
        remove_diagonal=False,
    )
    np.testing.assert_allclose(
        ours.numpy(), np.asarray(keras.losses.circle(labels, emb, **kwargs)), rtol=1e-5
    )


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
def test_class_matches_keras_and_skips_zero_losses(rng, reduction, weighted):
    labels = np.array([0, 1, 0, 2, 1, 3], dtype="int32")
    emb = _embeddings(rng, 6)
    weight = np.linspace(0.5, 1.5, 6).astype("float32") if weighted else None
    ours = losses.Circle(gamma=20.0, reduction=reduction)(
        torch.as_tensor(labels),
        torch.as_tensor(emb),
        sample_weight=None if weight is None else torch.as_tensor(weight),
    )
    theirs = keras.losses.Circle(gamma=20.0, reduction=reduction)(labels, emb, sample_weight=weight)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-6)


def test_config_matches_keras():
    kwargs = {"gamma": 30.0, "margin": 0.3, "remove_diagonal": False, "name": "c"}
    ours = losses.Circle(**kwargs)
    assert ours.get_config() == keras.losses.Circle(**kwargs).get_config()
    assert losses.Circle.from_config(ours.get_config()).get_config() == ours.get_config()
