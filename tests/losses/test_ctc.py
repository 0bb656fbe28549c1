"""The CTC loss (function and class) against keras.losses."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from torchbridge import losses


def _batch(rng, batch=3, time=8, classes=5, max_label=4):
    y_true = np.zeros((batch, max_label), dtype="int32")
    for i in range(batch):
        length = rng.integers(1, max_label + 1)
        y_true[i, :length] = rng.integers(1, classes, size=length)
    y_pred = rng.normal(size=(batch, time, classes)).astype("float32")
    return y_true, y_pred


def test_function_matches_keras(rng):
    y_true, y_pred = _batch(rng)
    ours = losses.ctc(torch.as_tensor(y_true), torch.as_tensor(y_pred))
    theirs = np.asarray(keras.losses.ctc(y_true, y_pred))
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", None])
def test_class_matches_keras(rng, reduction):
    y_true, y_pred = _batch(rng)
    weight = np.array([1.0, 0.5, 2.0], dtype="float32")
    ours = losses.CTC(reduction=reduction)(
        torch.as_tensor(y_true), torch.as_tensor(y_pred), sample_weight=torch.as_tensor(weight)
    )
    theirs = keras.losses.CTC(reduction=reduction)(y_true, y_pred, sample_weight=weight)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-5)


def test_config_and_shape_errors():
    assert losses.CTC().get_config() == keras.losses.CTC().get_config()
    with pytest.raises(ValueError, match="batch_size, max_length"):
        losses.ctc(torch.zeros(3, dtype=torch.int64), torch.zeros(3, 4, 5))
    with pytest.raises(ValueError, match="num_classes"):
        losses.ctc(torch.zeros(3, 2, dtype=torch.int64), torch.zeros(3, 4))
