"""Masks reach the metrics as in Keras 3: ``y_pred._keras_mask`` becomes sample weights.

The oracle is Keras's metrics updated with TensorFlow tensors carrying the same
mask (``keras.src.backend.set_keras_mask``).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch
from keras.src.backend import set_keras_mask

import torchbridge.metrics as M

MASKS = [
    np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 1, 0, 1]], dtype=bool),
    np.array([[1, 0, 0, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 0]], dtype=bool),
]


def _masked_keras(p: np.ndarray, mask: np.ndarray) -> tf.Tensor:
    t = tf.constant(p)
    set_keras_mask(t, tf.constant(mask))
    return t


def _masked_torch(p: np.ndarray, mask: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(p)
    t._keras_mask = torch.from_numpy(mask)  # type: ignore[attr-defined]
    return t


def _batch(rng, kind: str) -> tuple[np.ndarray, np.ndarray]:
    if kind == "sparse":
        logits = rng.normal(size=(3, 5, 4))
        p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        return rng.integers(0, 4, (3, 5)), p.astype("float32")
    if kind == "binary":
        return rng.integers(0, 2, (3, 5, 1)).astype("float32"), rng.uniform(
            0.05, 0.95, (3, 5, 1)
        ).astype("float32")
    return rng.normal(size=(3, 5, 2)).astype("float32"), rng.normal(size=(3, 5, 2)).astype(
        "float32"
    )


CASES = [
    ("SparseCategoricalAccuracy", "sparse", {}),
    ("SparseCategoricalCrossentropy", "sparse", {}),
    ("SparseTopKCategoricalAccuracy", "sparse", {"k": 2}),
    ("BinaryAccuracy", "binary", {}),
    ("MeanSquaredError", "regression", {}),
    ("CosineSimilarity", "regression", {}),
]


@pytest.mark.parametrize("name,kind,kwargs", CASES)
@pytest.mark.parametrize("weighted", [False, True])
def test_mean_metric_wrappers_apply_the_y_pred_mask(rng, name, kind, kwargs, weighted):
    ours = getattr(M, name)(**kwargs)
    theirs = getattr(keras.metrics, name)(**kwargs)
    for mask in MASKS:
        y, p = _batch(rng, kind)
        sw = rng.uniform(0.5, 2.0, (3, 5)).astype("float32") if weighted else None
        theirs.update_state(y, _masked_keras(p, mask), sample_weight=sw)
        ours.update_state(
            torch.from_numpy(y),
            _masked_torch(p, mask),
            sample_weight=None if sw is None else torch.from_numpy(sw),
        )
        np.testing.assert_allclose(
            ours.result().numpy(), np.asarray(theirs.result()), rtol=1e-5, atol=1e-6
        )


def test_mask_changes_the_result(rng):
    y, p = _batch(rng, "sparse")
    masked, plain = M.SparseCategoricalAccuracy(), M.SparseCategoricalAccuracy()
    masked.update_state(torch.from_numpy(y), _masked_torch(p, MASKS[0]))
    plain.update_state(torch.from_numpy(y), torch.from_numpy(p))
    hits = (p.argmax(-1) == y).astype("float32")
    np.testing.assert_allclose(masked.result().numpy(), hits[MASKS[0]].mean(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(plain.result().numpy(), hits.mean(), rtol=1e-6, atol=1e-7)


def test_mask_combines_with_ignore_class(rng):
    y, p = _batch(rng, "sparse")
    y[0, 0] = y[1, 3] = y[2, 4] = 3
    ours = M.SparseCategoricalCrossentropy(ignore_class=3)
    theirs = keras.metrics.SparseCategoricalCrossentropy(ignore_class=3)
    theirs.update_state(y, _masked_keras(p, MASKS[0]))
    ours.update_state(torch.from_numpy(y), _masked_torch(p, MASKS[0]))
    np.testing.assert_allclose(ours.result().numpy(), np.asarray(theirs.result()), rtol=1e-5)


@pytest.mark.parametrize("cls", ["Mean", "Sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_mean_and_sum_use_the_values_mask_only_when_weighted(rng, cls, weighted):
    # Keras's reduce_to_samplewise_values: the values' own mask joins the weights, and
    # only when sample weights are given.
    values = rng.normal(size=(3, 5)).astype("float32")
    sw = rng.uniform(0.5, 2.0, (3, 5)).astype("float32") if weighted else None
    ours, theirs = getattr(M, cls)(), getattr(keras.metrics, cls)()
    theirs.update_state(_masked_keras(values, MASKS[0]), sample_weight=sw)
    ours.update_state(
        _masked_torch(values, MASKS[0]), sample_weight=None if sw is None else torch.from_numpy(sw)
    )
    np.testing.assert_allclose(ours.result().numpy(), np.asarray(theirs.result()), rtol=1e-5)
