"""fit / evaluate / predict on data from other libraries, against real Keras 3.

Each input kind is fed to Keras and to torchbridge, starting from the same weights, with
SGD and no shuffling: both accept it or both refuse it; where both accept, the trained
weights, the evaluated loss and the predictions agree.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import tensorflow as tf
import torch

import torchbridge as tb
from torchbridge.errors import InputError

rng = np.random.default_rng(0)
X = rng.random((48, 4)).astype("float32")
Y = rng.integers(0, 3, 48)


class _ArrayLike:
    """A third-party array (JAX-style): only ``__array__``, ``shape`` and ``len``."""

    def __init__(self, a):
        self.a, self.shape = a, a.shape

    def __array__(self, dtype=None, copy=None):
        return self.a

    def __len__(self):
        return len(self.a)


def _tf_batches(x, y, batch=16):
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)


# name -> (fit kwargs maker, predict x maker); makers take (x, y)
KINDS = {
    "numpy": (lambda x, y: {"x": x, "y": y}, lambda x: x),
    "pandas": (lambda x, y: {"x": pd.DataFrame(x), "y": pd.Series(y)}, pd.DataFrame),
    "scipy_sparse": (lambda x, y: {"x": scipy.sparse.csr_matrix(x), "y": y}, None),
    "tf_tensor": (lambda x, y: {"x": tf.constant(x), "y": tf.constant(y)}, tf.constant),
    "tf_sparse": (lambda x, y: {"x": tf.sparse.from_dense(x), "y": y}, None),
    "tf_data": (
        lambda x, y: {"x": _tf_batches(x, y)},
        lambda x: tf.data.Dataset.from_tensor_slices(x).batch(16),
    ),
    "tf_data_repeat": (
        lambda x, y: {"x": _tf_batches(x, y).repeat(), "steps_per_epoch": 3},
        None,
    ),
    "tf_data_class_weight": (
        lambda x, y: {"x": _tf_batches(x, y), "class_weight": {0: 1.0, 1: 3.0, 2: 0.5}},
        None,
    ),
    "array_like": (lambda x, y: {"x": _ArrayLike(x), "y": y}, _ArrayLike),
}

REFUSED = {
    "nested_lists": lambda x, y: {"x": x.tolist(), "y": y},
    "tf_data_with_y": lambda x, y: {"x": _tf_batches(x, y), "y": y},
    "tf_data_validation_split": lambda x, y: {"x": _tf_batches(x, y), "validation_split": 0.2},
}


def _pair():
    """The same Sequential model in Keras and torchbridge, with equal weights."""
    models = []
    for lib in (keras, tb):
        model = lib.Sequential(
            [lib.Input((4,)), lib.layers.Dense(5, activation="tanh"), lib.layers.Dense(3)]
        )
        model.compile(
            lib.optimizers.SGD(0.1),
            lib.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    return models


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fit_evaluate_predict_agree_with_keras(kind) -> None:
    make_fit, make_predict = KINDS[kind]
    k_model, t_model = _pair()
    for model in (k_model, t_model):
        model.fit(**make_fit(X, Y), epochs=2, shuffle=False, batch_size=16, verbose=0)
    for kw, tw in zip(k_model.get_weights(), t_model.get_weights()):
        np.testing.assert_allclose(tw, kw, rtol=1e-5, atol=1e-6)
    fit_kwargs = make_fit(X, Y)
    fit_kwargs.pop("class_weight", None)
    fit_kwargs.pop("steps_per_epoch", None)
    if kind != "tf_data_repeat":
        k_loss = k_model.evaluate(**fit_kwargs, batch_size=16, verbose=0)
        t_loss = t_model.evaluate(**fit_kwargs, batch_size=16, verbose=0)
        np.testing.assert_allclose(t_loss, k_loss, rtol=1e-5)
    if make_predict is not None:
        np.testing.assert_allclose(
            t_model.predict(make_predict(X), batch_size=16, verbose=0),
            k_model.predict(make_predict(X), batch_size=16, verbose=0),
            rtol=1e-5,
            atol=1e-6,
        )


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_what_keras_refuses_is_refused_with_an_input_error(kind) -> None:
    k_model, t_model = _pair()
    with pytest.raises(ValueError):
        k_model.fit(**REFUSED[kind](X, Y), verbose=0)
    with pytest.raises(InputError) as info:
        t_model.fit(**REFUSED[kind](X, Y), verbose=0)
    assert len(str(info.value)) > 60


def test_tf_ragged_and_string_batches() -> None:
    """A ragged batch is padded as Keras pads it; string tensors arrive as str arrays."""
    ragged = tf.ragged.constant([[1.0, 2.0], [3.0]])
    model = tb.Sequential([tb.Input((2,)), tb.layers.Dense(1)])
    out = model.predict(ragged, verbose=0)
    expected = model.predict(np.array([[1.0, 2.0], [3.0, 0.0]], "float32"), verbose=0)
    np.testing.assert_allclose(out, expected)

    texts = tf.constant(["Hello world", "été à Paris"])
    vectorize = tb.layers.TextVectorization(output_mode="int", output_sequence_length=3)
    vectorize.adapt(["hello world", "été à paris"])
    inputs = tb.Input((1,), dtype="string")
    text_model = tb.Model(inputs, vectorize(inputs))
    from_tf = text_model.predict(tf.data.Dataset.from_tensor_slices(texts).batch(2), verbose=0)
    from_numpy = text_model.predict(np.array(["Hello world", "été à Paris"]), verbose=0)
    np.testing.assert_array_equal(from_tf, from_numpy)


def test_tf_tensors_are_shared_not_copied_where_dlpack_allows() -> None:
    from torchbridge.training.foreign_data import convert_foreign_leaf

    t = tf.constant(X)
    converted = convert_foreign_leaf(t)
    assert isinstance(converted, torch.Tensor)
    assert converted.data_ptr() == torch.from_dlpack(tf.experimental.dlpack.to_dlpack(t)).data_ptr()
    np.testing.assert_array_equal(converted.numpy(), X)


def test_foreign_types_are_recognised_without_importing_their_packages() -> None:
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, torchbridge as tb\n"
        "m = tb.Sequential([tb.Input((2,)), tb.layers.Dense(1)])\n"
        "m.compile('sgd', 'mse')\n"
        "m.fit(np.ones((4, 2), 'float32'), np.ones((4, 1), 'float32'), verbose=0)\n"
        "print(sorted(k for k in ('tensorflow', 'pandas', 'scipy') if k in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_sequential_without_input_still_passes_dicts_to_its_first_layer() -> None:
    """Only a Sequential with an Input (one array) refuses a dict; Keras's fallback path
    hands nested structures to the first layer as they are."""

    class Pick(tb.layers.Layer):
        def call(self, inputs):
            return inputs["a"]

    model = tb.Sequential([Pick(), tb.layers.Dense(2)])
    assert tuple(model({"a": torch.ones(3, 4)}).shape) == (3, 2)
