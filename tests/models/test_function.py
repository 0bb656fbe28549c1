"""``keras.Function``: a callable graph of layers and ops, equal to Keras's."""

from __future__ import annotations

import numpy as np
import pytest

import torchbridge as tb

keras = pytest.importorskip("keras")


def _build(lib):
    a = lib.Input((3,), name="a")
    b = lib.Input((3,), name="b")
    h = lib.layers.Dense(2, name="dense")(a)
    out = [h, lib.ops.sum(h * b[:, :2], axis=-1)]
    return lib.Function([a, b], out, name="fn"), h


def test_function_matches_keras():
    ours, _ = _build(tb)
    theirs, _ = _build(keras)
    dense_theirs = next(op for op in theirs.operations if op.name == "dense")
    dense_ours = next(op for op in ours.operations if op.name == "dense")
    dense_ours.set_weights(dense_theirs.get_weights())
    x = np.arange(6, dtype="float32").reshape(2, 3)
    y = np.ones((2, 3), "float32")
    got = ours([x, y])
    want = theirs([x, y])
    assert len(got) == len(want) == 2
    for g, w in zip(got, want):
        np.testing.assert_allclose(tb.ops.convert_to_numpy(g), np.asarray(w), rtol=1e-5, atol=1e-6)
    assert ours.name == "fn"
    assert [op.name for op in ours.operations][:3] == [op.name for op in theirs.operations][:3]
    assert len(ours.inputs) == 2 and len(ours.outputs) == 2


def test_one_output_list_is_unpacked_by_a_model_not_by_a_function():
    """Keras: Model(i, [o])(x) and predict give the tensor; Function(i, [o])(x) a list."""
    for lib in (tb, keras):
        i = lib.Input((2,))
        o = lib.layers.Dense(1)(i)
        x = np.ones((3, 2), "float32")
        model = lib.Model(i, [o])
        assert not isinstance(model(x), (list, tuple)), lib.__name__
        assert isinstance(model.predict(x, verbose=0), np.ndarray), lib.__name__
        assert isinstance(lib.Function(i, [o])(x), list), lib.__name__
