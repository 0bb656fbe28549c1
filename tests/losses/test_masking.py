"""Masks reach the losses as in Keras 3: ``y_pred._keras_mask`` folds into the weights.

The oracle is Keras's own losses called on a TensorFlow tensor carrying the same
mask (``keras.src.backend.set_keras_mask``), and, end to end, Keras's
``evaluate`` of the same masked sequence model.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch
from keras.src.backend import set_keras_mask

import torchbridge as tb
import torchbridge.losses as L

MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 1, 0, 1]], dtype=bool)


def _masked_keras(p: np.ndarray, mask: np.ndarray) -> tf.Tensor:
    t = tf.constant(p)
    set_keras_mask(t, tf.constant(mask))
    return t


def _masked_torch(p: np.ndarray, mask: np.ndarray, grad: bool = False) -> torch.Tensor:
    t = torch.from_numpy(p).requires_grad_(grad)
    t._keras_mask = torch.from_numpy(mask)  # type: ignore[attr-defined]
    return t


def _data(rng, kind: str) -> tuple[np.ndarray, np.ndarray]:
    shape = (3, 5, 4)
    if kind == "sparse":
        logits = rng.normal(size=shape)
        p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        return rng.integers(0, 4, shape[:2]), p.astype("float32")
    if kind == "binary":
        return rng.integers(0, 2, (3, 5, 1)).astype("float32"), rng.uniform(
            0.05, 0.95, (3, 5, 1)
        ).astype("float32")
    return rng.normal(size=shape).astype("float32"), rng.normal(size=shape).astype("float32")


CASES = [
    ("MeanSquaredError", "regression", {}),
    ("MeanAbsoluteError", "regression", {}),
    ("SparseCategoricalCrossentropy", "sparse", {}),
    ("BinaryCrossentropy", "binary", {}),
]
REDUCTIONS = ["sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", None]


@pytest.mark.parametrize("name,kind,kwargs", CASES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_mask_on_y_pred_matches_keras(rng, name, kind, kwargs, reduction, weighted):
    y, p = _data(rng, kind)
    sw = rng.uniform(0.5, 2.0, (3, 5)).astype("float32") if weighted else None
    ours = getattr(L, name)(reduction=reduction, **kwargs)
    theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
    expected = np.asarray(theirs(y, _masked_keras(p, MASK), sample_weight=sw))
    got = ours(torch.from_numpy(y), _masked_torch(p, MASK), sample_weight=sw)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-6)
    # The mask matters: without it the value differs (the fused fast path is skipped).
    plain = ours(torch.from_numpy(y), torch.from_numpy(p), sample_weight=sw)
    assert not np.allclose(plain.numpy(), expected)


def test_per_sample_weights_with_a_mask(rng):
    y, p = _data(rng, "sparse")
    sw = np.array([1.0, 0.5, 2.0], dtype="float32")
    ours = L.SparseCategoricalCrossentropy()
    theirs = keras.losses.SparseCategoricalCrossentropy()
    expected = theirs(y, _masked_keras(p, MASK), sample_weight=sw[:, None])
    got = ours(torch.from_numpy(y), _masked_torch(p, MASK), sample_weight=sw[:, None])
    np.testing.assert_allclose(got.numpy(), np.asarray(expected), rtol=1e-5)


def test_mask_combines_with_ignore_class(rng):
    y, p = _data(rng, "sparse")
    y[0, 0] = y[1, 4] = y[2, 3] = 3  # one of them is already masked
    ours = L.SparseCategoricalCrossentropy(ignore_class=3)
    theirs = keras.losses.SparseCategoricalCrossentropy(ignore_class=3)
    expected = theirs(y, _masked_keras(p, MASK))
    got = ours(torch.from_numpy(y), _masked_torch(p, MASK))
    np.testing.assert_allclose(got.numpy(), np.asarray(expected), rtol=1e-5)
    valid = MASK & (y != 3)
    per = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
    np.testing.assert_allclose(got.numpy(), per[valid].mean(), rtol=1e-5)


def test_all_masked_gives_zero_and_masked_steps_get_no_gradient(rng):
    y, p = _data(rng, "regression")
    none = np.zeros_like(MASK)
    got = L.MeanSquaredError()(torch.from_numpy(y), _masked_torch(p, none))
    expected = keras.losses.MeanSquaredError()(y, _masked_keras(p, none))
    assert float(got) == float(np.asarray(expected)) == 0.0
    pred = _masked_torch(p, MASK, grad=True)
    L.MeanSquaredError()(torch.from_numpy(y), pred).backward()
    assert pred.grad is not None
    assert torch.all(pred.grad[~torch.from_numpy(MASK)] == 0)
    assert torch.all(pred.grad[torch.from_numpy(MASK)] != 0)


def test_loss_function_wrapper_and_float_mask(rng):
    # A custom function wrapped as a Loss gets the mask too; a 0/1 float mask works.
    y, p = _data(rng, "regression")
    ours = L.LossFunctionWrapper(L.mean_squared_error)
    theirs = keras.losses.MeanSquaredError()
    expected = theirs(y, _masked_keras(p, MASK))
    got = ours(torch.from_numpy(y), _masked_torch(p, MASK.astype("float32")))
    np.testing.assert_allclose(got.numpy(), np.asarray(expected), rtol=1e-5)


def _sequence_models(n_classes: int = 4):
    """Embedding(mask_zero=True) → Dense(softmax) per timestep, here and in Keras."""
    theirs = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Embedding(10, 6, mask_zero=True),
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )
    ours = tb.Sequential(
        [
            tb.layers.Embedding(10, 6, mask_zero=True),
            tb.layers.Dense(n_classes, activation="softmax"),
        ]
    )
    ours(torch.zeros(1, 5, dtype=torch.long))
    for a, b in zip(ours.layers, theirs.layers):
        a.set_weights(b.get_weights())
    return ours, theirs


def test_masked_sequence_model_evaluate_matches_keras(rng):
    ids = np.array([[3, 1, 4, 0, 0], [2, 5, 7, 4, 9], [1, 0, 0, 0, 0], [6, 6, 2, 0, 0]])
    y = rng.integers(0, 4, ids.shape)
    ours, theirs = _sequence_models()
    kw = dict(loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    theirs.compile(**kw)
    ours.compile(**kw)
    expected = theirs.evaluate(ids, y, batch_size=4, verbose=0, return_dict=True)
    got = ours.evaluate(ids, y, batch_size=4, verbose=0, return_dict=True)
    assert set(got) == set(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, err_msg=key)
    # The mask reached the loss: the unmasked mean is different.
    probs = ours.predict(ids, verbose=0)
    per = -np.log(np.take_along_axis(probs, y[..., None], -1)[..., 0])
    np.testing.assert_allclose(got["loss"], per[ids != 0].mean(), rtol=1e-5)
    assert not np.isclose(got["loss"], per.mean())


def test_masked_sequence_model_training_step_matches_keras(rng):
    # The masked loss drives the gradients: one SGD step lands on Keras's weights.
    ids = np.array([[3, 1, 4, 0, 0], [2, 5, 7, 4, 9], [1, 0, 0, 0, 0]])
    y = rng.integers(0, 4, ids.shape)
    ours, theirs = _sequence_models()
    theirs.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    ours.compile(optimizer=tb.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    before = ours.layers[0].get_weights()[0].copy()
    theirs.train_on_batch(ids, y)
    ours.train_on_batch(ids, y)
    for a, b in zip(ours.layers, theirs.layers):
        for wa, wb in zip(a.get_weights(), b.get_weights()):
            np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    # Padding (id 0) never reaches the loss, so its embedding row is untouched.
    after = ours.layers[0].get_weights()[0]
    np.testing.assert_array_equal(after[0], before[0])
    assert not np.array_equal(after[1], before[1])
