"""pad_sequences against real Keras."""

from __future__ import annotations

import numpy as np
import pytest

from torchbridge.preprocessing.sequence import pad_sequences

SEQS = [[1, 2, 3], [4, 5], [], [6, 7, 8, 9, 10]]
CASES = [
    (SEQS, {}),
    (SEQS, {"maxlen": 3}),
    (SEQS, {"maxlen": 3, "padding": "post", "truncating": "post"}),
    (SEQS, {"maxlen": 7, "padding": "post", "value": -1}),
    (SEQS, {"dtype": "float32", "value": 0.5}),
    ([[[1, 2], [3, 4]], [[5, 6]]], {"maxlen": 3}),
    ([["a", "b"], ["c"]], {"dtype": object, "value": "<pad>"}),
    ([np.array([1.5, 2.5]), np.array([3.5])], {"dtype": "float64", "truncating": "post"}),
]


@pytest.mark.parametrize(("seqs", "kwargs"), CASES, ids=[str(k) for _, k in CASES])
def test_pad_sequences_matches_keras(seqs, kwargs):
    import keras

    ours = pad_sequences(seqs, **kwargs)
    theirs = keras.utils.pad_sequences(seqs, **kwargs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(
    ("seqs", "kwargs", "match"),
    [
        (5, {}, "iterable"),
        ([[1], 2], {}, "non-iterable"),
        ([[1]], {"padding": "middle"}, "Padding"),
        ([[1]], {"truncating": "middle"}, "Truncating"),
        ([["a"]], {"value": "x"}, "dtype=object"),
        ([[[1, 2]], [[1, 2, 3]]], {}, "Shape of sample"),
    ],
)
def test_pad_sequences_errors(seqs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pad_sequences(seqs, **kwargs)
