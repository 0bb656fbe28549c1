"""``keras.utils`` helpers against Keras's."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

import torchbridge as tb


@pytest.mark.parametrize(
    ("labels", "num_classes"),
    [([0, 2, 1], None), ([[1], [0]], 3), (np.array([[0, 1], [2, 0]]), 4), ([], 3)],
)
def test_to_categorical_matches_keras(labels, num_classes) -> None:
    expected = keras.utils.to_categorical(labels, num_classes)
    got = tb.utils.to_categorical(labels, num_classes)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_to_categorical_errors() -> None:
    with pytest.raises(ValueError, match="num_classes=2"):
        tb.utils.to_categorical([0, 2], 2)
    with pytest.raises(ValueError, match=">= 0"):
        tb.utils.to_categorical([-1, 0])


def test_normalize_matches_keras(rng) -> None:
    x = rng.normal(size=(4, 3)).astype("float32")
    x[0] = 0
    np.testing.assert_allclose(
        tb.utils.normalize(x), np.asarray(keras.utils.normalize(x)), rtol=1e-6, atol=1e-7
    )


def test_set_random_seed_makes_runs_repeat() -> None:
    tb.utils.set_random_seed(3)
    a = (torch.rand(2), np.random.rand(2))
    tb.utils.set_random_seed(3)
    b = (torch.rand(2), np.random.rand(2))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    with pytest.raises(ValueError, match="int"):
        tb.utils.set_random_seed(1.5)
