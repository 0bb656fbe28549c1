"""Binary, categorical and sparse categorical crossentropy against keras.losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchbridge.losses as tb
from torchbridge.errors import LossInputError


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.2}, {"axis": 0}], ids=str)
@pytest.mark.parametrize("shape", [(6, 3), (3, 4, 2), (5, 1)], ids=str)
def test_binary_matches_keras(oracle, inputs, kwargs, from_logits, shape):
    y, p = inputs.make("binary", shape, logits=from_logits)
    oracle.function("binary_crossentropy", y, p, from_logits=from_logits, **kwargs)
    oracle.cls("BinaryCrossentropy", y, p, from_logits=from_logits, **kwargs)


def test_binary_flat_labels_against_one_unit(oracle, inputs):
    y, p = inputs.make("binary", (6, 1))
    oracle.cls("BinaryCrossentropy", y[:, 0], p)


def test_binary_extreme_probabilities_are_clipped(oracle):
    y = np.array([[0.0, 1.0, 1.0]])
    p = np.array([[1.0, 0.0, 1.0]])
    oracle.function("binary_crossentropy", y, p)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.1}], ids=str)
@pytest.mark.parametrize("shape", [(6, 4), (3, 5, 4)], ids=str)
def test_categorical_matches_keras(oracle, inputs, kwargs, from_logits, shape):
    y, p = inputs.make("categorical", shape, logits=from_logits)
    oracle.function("categorical_crossentropy", y, p, from_logits=from_logits, **kwargs)
    oracle.cls("CategoricalCrossentropy", y, p, from_logits=from_logits, **kwargs)


@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_channels_first_axis(oracle, inputs, from_logits):
    y, p = inputs.make("categorical", (3, 5, 4), logits=from_logits)
    y, p = np.moveaxis(y, -1, 1).copy(), np.moveaxis(p, -1, 1).copy()
    oracle.function("categorical_crossentropy", y, p, from_logits=from_logits, axis=1)


def test_categorical_unnormalised_probabilities_like_keras(oracle, inputs):
    y, _ = inputs.make("categorical", (4, 3))
    p = np.abs(inputs.rng.normal(size=(4, 3))) * 0.3
    oracle.function("categorical_crossentropy", y, p)


def test_categorical_single_class_warns():
    with pytest.warns(UserWarning, match="binary_crossentropy"):
        tb.categorical_crossentropy(torch.ones(3, 1), torch.full((3, 1), 0.7))


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_shape", ["flat", "column"])
@pytest.mark.parametrize("shape", [(6, 4), (3, 5, 4), (2, 3, 2, 5)], ids=str)
def test_sparse_matches_keras(oracle, inputs, from_logits, label_shape, shape):
    y, p = inputs.make("sparse", shape, logits=from_logits)
    if label_shape == "column":
        y = y[..., None]
    oracle.function("sparse_categorical_crossentropy", y, p, from_logits=from_logits)
    oracle.cls("SparseCategoricalCrossentropy", y, p, from_logits=from_logits)


@pytest.mark.parametrize(
    "reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight", None]
)
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("ignore_class", [0, -1, 255])
@pytest.mark.parametrize("shape", [(8, 4), (3, 5, 4)], ids=str)
def test_sparse_ignore_class_matches_keras(
    oracle, inputs, shape, ignore_class, from_logits, reduction
):
    y, p = inputs.make("sparse", shape, logits=from_logits)
    y = np.where(inputs.rng.random(y.shape) < 0.3, ignore_class, y)
    kw = {"from_logits": from_logits, "ignore_class": ignore_class}
    oracle.function("sparse_categorical_crossentropy", y, p, **kw)
    oracle.cls("SparseCategoricalCrossentropy", y, p, reduction=reduction, **kw)
    sw = inputs.rng.uniform(0.5, 2.0, size=y.shape)
    oracle.cls("SparseCategoricalCrossentropy", y, p, sample_weight=sw, reduction=reduction, **kw)


def test_sparse_all_ignored_gives_zero(oracle):
    y = np.full((3,), 7)
    p = np.full((3, 2), 0.5)
    out = oracle.cls("SparseCategoricalCrossentropy", y, p, ignore_class=7)
    assert out.item() == 0.0


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_channels_first_axis(oracle, inputs, from_logits):
    # Keras's TensorFlow backend only takes axis=-1: compare with the moved class axis.
    y, p = inputs.make("sparse", (3, 5, 4), logits=from_logits)
    ours = tb.sparse_categorical_crossentropy(
        torch.from_numpy(y),
        torch.from_numpy(np.moveaxis(p, -1, 1).copy()),
        from_logits=from_logits,
        axis=1,
    )
    theirs = oracle.keras.losses.sparse_categorical_crossentropy(y, p, from_logits=from_logits)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("labels_dtype", [torch.int32, torch.int64, torch.uint8, torch.float32])
def test_sparse_label_dtypes(labels_dtype):
    y = torch.tensor([0, 2, 1]).to(labels_dtype)
    p = torch.randn(3, 3)
    expected = torch.nn.functional.cross_entropy(p, y.long(), reduction="none")
    torch.testing.assert_close(tb.sparse_categorical_crossentropy(y, p, from_logits=True), expected)


def test_sparse_with_one_hot_labels_suggests_categorical():
    with pytest.raises(LossInputError, match="categorical_crossentropy"):
        tb.SparseCategoricalCrossentropy()(torch.eye(3), torch.full((3, 3), 1 / 3))


def test_sparse_shape_mismatch_names_both_shapes():
    with pytest.raises(LossInputError, match=r"\(4,\).*\(3, 5\)"):
        tb.sparse_categorical_crossentropy(torch.zeros(4, dtype=torch.long), torch.zeros(3, 5))


@pytest.mark.parametrize("labels", [torch.tensor([0, 2, 1]), torch.tensor([[0], [2], [1]])])
def test_categorical_with_integer_labels_suggests_sparse(labels):
    with pytest.raises(LossInputError, match="sparse_categorical_crossentropy") as info:
        tb.CategoricalCrossentropy()(labels, torch.full((3, 3), 1 / 3))
    assert "(3, 3)" in str(info.value)


def test_binary_shape_mismatch_names_both_shapes():
    with pytest.raises(LossInputError, match=r"\(4, 3\).*\(4, 1\).*categorical_crossentropy"):
        tb.BinaryCrossentropy()(torch.zeros(4, 3), torch.full((4, 1), 0.5))


@pytest.mark.parametrize(
    "name", ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"]
)
def test_clipping_follows_backend_epsilon_as_keras(oracle, name):
    """Keras clips probabilities at ``backend.epsilon()``, not a fixed 1e-7: the loss
    functions and ``ops.nn`` share that maths (one kernel each)."""
    import keras

    import torchbridge.backend as tb_backend

    y = np.array([[0.0, 1.0, 0.0]], dtype="float32")
    p = np.array([[0.5, 0.0, 0.5]], dtype="float32")
    if name.startswith("sparse"):
        y = np.array([1])
    before, before_keras = tb_backend.epsilon(), keras.backend.epsilon()
    tb_backend.set_epsilon(1e-3)
    keras.backend.set_epsilon(1e-3)
    try:
        oracle.function(name, y, p)
        from torchbridge import ops

        ours = getattr(ops.nn, name)(y, p)
        theirs = getattr(keras.ops, name)(y, p)
        np.testing.assert_allclose(
            ops.convert_to_numpy(ours), np.asarray(theirs), rtol=1e-6, atol=1e-7
        )
    finally:
        tb_backend.set_epsilon(before)
        keras.backend.set_epsilon(before_keras)
