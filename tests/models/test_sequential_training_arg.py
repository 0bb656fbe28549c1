"""``Sequential(...)(x, training=True)`` passes ``training`` to every layer, as Keras does:
the keras-io pattern ``ds.map(lambda x, y: (augment(x, training=True), y))`` augments, and
Dropout in a Sequential called with ``training=True`` drops."""

from __future__ import annotations

import numpy as np
import pytest

import torchbridge as tb


@pytest.mark.parametrize("training", [True, False, None])
def test_training_reaches_the_layers_as_keras(training):
    keras = pytest.importorskip("keras")
    x = np.ones((64, 32), "float32")
    results = {}
    for lib in (tb, keras):
        model = lib.Sequential([lib.layers.Dropout(0.5, seed=1)])
        out = np.asarray(lib.ops.convert_to_numpy(model(x, training=training)))
        results[lib.__name__] = bool((out == 0).any())
    assert results["torchbridge"] == results["keras"] == bool(training)


def test_augmentation_sequential_in_dataset_map():
    augment = tb.Sequential([tb.layers.RandomFlip("horizontal", seed=3)])
    x = np.arange(2 * 4 * 4 * 1, dtype="float32").reshape(2, 4, 4, 1)
    ds = tb.data.Dataset.from_tensor_slices(x).batch(2).repeat(8)
    flipped = [
        bool((tb.ops.convert_to_numpy(b) != x).any())
        for b in ds.map(lambda b: augment(b, training=True))
    ]
    assert any(flipped)
    unchanged = [tb.ops.convert_to_numpy(augment(x, training=False))]
    np.testing.assert_array_equal(unchanged[0], x)
