"""Keras 3 ``.weights.h5`` files: the same files as real Keras, in both directions.

Each architecture is written once as a function of the ``keras`` module, so the
very same code builds the Keras model and the torchbridge one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import h5py
import keras
import numpy as np
import pytest

import torchbridge

# --- the architectures (the same code for keras and torchbridge) ------------------------------


def mlp(k: Any) -> Any:
    return k.Sequential(
        [
            k.Input((4,)),
            k.layers.Dense(8, activation="relu", name="zzz"),
            k.layers.Dropout(0.1),
            k.layers.Dense(3, name="aaa"),
        ]
    )


def convnet_bn(k: Any) -> Any:
    inp = k.Input((8, 8, 3))
    x = k.layers.Conv2D(4, 3, activation="relu")(inp)
    x = k.layers.BatchNormalization()(x)
    x = k.layers.MaxPooling2D()(x)
    x = k.layers.Conv2D(5, 3, padding="same")(x)
    x = k.layers.Flatten()(x)
    return k.Model(inp, k.layers.Dense(2)(x))


def embedding_bilstm(k: Any) -> Any:
    return k.Sequential(
        [
            k.Input((6,), dtype="int32"),
            k.layers.Embedding(10, 4),
            k.layers.Bidirectional(k.layers.LSTM(3, return_sequences=True)),
            k.layers.Bidirectional(k.layers.GRU(2)),
            k.layers.Dense(1),
        ]
    )


def multi_input_nested(k: Any) -> Any:
    a = k.Input((4,), name="a")
    b = k.Input((3,), name="b")
    head = k.Sequential([k.layers.Dense(5, activation="tanh"), k.layers.Dense(2)], name="head")
    h = k.layers.Concatenate()([k.layers.Dense(6)(a), b])
    return k.Model([a, b], head(h))


def two_dense_subclass(k: Any) -> Any:
    class TwoDense(k.Model):
        def __init__(self) -> None:
            super().__init__()
            # declared out of alphabetical order: Keras files them by attribute walk,
            # "first" by its attribute, "second" under layers/dense
            self.second = k.layers.Dense(2, name="b_layer")
            self.first = k.layers.Dense(5, name="a_layer")

        def call(self, x: Any) -> Any:
            return self.second(self.first(x))

    model = TwoDense()
    model(np.zeros((1, 4), "float32"))
    return model


ARCHITECTURES: dict[str, tuple[Callable[[Any], Any], Callable[[np.random.Generator], Any]]] = {
    "sequential_mlp": (mlp, lambda r: r.standard_normal((3, 4)).astype("float32")),
    "functional_convnet_batchnorm": (
        convnet_bn,
        lambda r: r.standard_normal((2, 8, 8, 3)).astype("float32"),
    ),
    "embedding_bidirectional_rnn": (
        embedding_bilstm,
        lambda r: r.integers(0, 10, (3, 6)).astype("int32"),
    ),
    "multi_input_nested_sequential": (
        multi_input_nested,
        lambda r: [
            r.standard_normal((3, 4)).astype("float32"),
            r.standard_normal((3, 3)).astype("float32"),
        ],
    ),
    "subclass_two_dense": (
        two_dense_subclass,
        lambda r: r.standard_normal((3, 4)).astype("float32"),
    ),
}


def random_weights(keras_model: Any, rng: np.random.Generator) -> list[np.ndarray]:
    """Random values for every weight (variances positive), in Keras's order."""
    out = []
    for w in keras_model.weights:
        value = rng.standard_normal(tuple(w.shape)).astype("float32") * 0.5
        if "variance" in w.path:
            value = np.abs(value) + 0.5
        out.append(value)
    return out


def predict(model: Any, x: Any) -> np.ndarray:
    return np.asarray(model.predict(x, verbose=0))


def h5_tree(path: str) -> dict[str, Any]:
    """Every group and dataset of a file: datasets as (shape, dtype)."""
    tree: dict[str, Any] = {}

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset):
            tree[name] = (obj.shape, obj.dtype.str)
        else:
            tree[name] = "group"

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return tree


# --- both directions -----------------------------------------------------------------------


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_keras_file_loads_into_torchbridge(arch: str, tmp_path: Any, rng: Any) -> None:
    build, make_x = ARCHITECTURES[arch]
    theirs, ours = build(keras), build(torchbridge)
    theirs.set_weights(random_weights(theirs, rng))
    path = str(tmp_path / "keras.weights.h5")
    theirs.save_weights(path)
    x = make_x(rng)
    before = predict(ours, x)
    ours.load_weights(path)
    expected = predict(theirs, x)
    assert not np.allclose(before, expected, atol=1e-3)  # the load changed something
    np.testing.assert_allclose(predict(ours, x), expected, atol=1e-5, rtol=1e-5)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_torchbridge_file_loads_into_keras(arch: str, tmp_path: Any, rng: Any) -> None:
    build, make_x = ARCHITECTURES[arch]
    theirs, ours = build(keras), build(torchbridge)
    ours.set_weights(random_weights(theirs, rng))
    ours_path, keras_path = str(tmp_path / "ours.weights.h5"), str(tmp_path / "k.weights.h5")
    ours.save_weights(ours_path)
    theirs.load_weights(ours_path)
    x = make_x(rng)
    np.testing.assert_allclose(predict(theirs, x), predict(ours, x), atol=1e-5, rtol=1e-5)
    # the same file as Keras writes: every group and dataset, shapes and dtypes
    theirs.save_weights(keras_path)
    assert h5_tree(ours_path) == h5_tree(keras_path)
