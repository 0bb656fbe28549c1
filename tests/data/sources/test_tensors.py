"""``from_tensor_slices`` on array-likes: pandas columns are sliced as tf.data slices them."""

from __future__ import annotations

import numpy as np
import pytest

from torchbridge.data import Dataset


def test_pandas_columns_slice_like_tf_data():
    """keras-io passes ``dict(dataframe)``: each column (a pandas Series) is a leaf."""
    pd = pytest.importorskip("pandas")
    tf = pytest.importorskip("tensorflow")
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "c": [0.5, 1.5, 2.5]})
    ours = list(Dataset.from_tensor_slices(dict(frame)).batch(2))
    theirs = list(tf.data.Dataset.from_tensor_slices(dict(frame)).batch(2).as_numpy_iterator())
    assert len(ours) == len(theirs) == 2
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o["a"].numpy(), t["a"])
        np.testing.assert_array_equal(o["c"].numpy(), t["c"])
        assert o["c"].numpy().dtype == t["c"].dtype
        assert list(o["b"]) == [v.decode() for v in t["b"]]
