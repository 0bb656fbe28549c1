"""keras.ops on symbolic tensors (``keras.Input`` and layer outputs) build functional graphs,
as in Keras 3: the same model code run under real Keras and under torchbridge."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest

import torchbridge as tb
from torchbridge.layers.op_layer import OpLayer


def _masked_mean_model(k: Any) -> Any:
    """Embeddings averaged over the non-padding positions, written with ops only."""
    ops = k.ops
    ids = k.Input(shape=(6,), dtype="int32", name="ids")
    emb = k.layers.Embedding(12, 4, name="emb")(ids)
    mask = ops.cast(ops.not_equal(ids, 0), "float32")
    total = ops.sum(emb * ops.expand_dims(mask, -1), axis=1)
    mean = ops.divide(total, ops.maximum(ops.sum(mask, axis=1, keepdims=True), 1.0))
    hidden = k.layers.Dense(5, name="dense")(mean)
    both = ops.concatenate([ops.relu(hidden), ops.softmax(hidden, axis=-1)], axis=-1)
    return k.Model(ids, ops.reshape(both, (-1, 2, 5)))


def _ids() -> np.ndarray:
    return np.array([[1, 2, 3, 0, 0, 0], [4, 5, 6, 7, 8, 9], [3, 0, 0, 0, 0, 0]], dtype="int32")


def test_ops_on_keras_tensors_build_the_same_model_as_keras() -> None:
    theirs, ours = _masked_mean_model(keras), _masked_mean_model(tb)
    ours.set_weights(theirs.get_weights())
    expected = keras.ops.convert_to_numpy(theirs(_ids()))
    np.testing.assert_allclose(ours.predict(_ids(), verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert ours.output_shape == theirs.output_shape == (None, 2, 5)
    assert any(isinstance(layer, OpLayer) for layer in ours.layers)


def test_a_model_with_op_nodes_saves_loads_and_trains(tmp_path: Any) -> None:
    model = _masked_mean_model(tb)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(_ids(), np.zeros((3, 2, 5), dtype="float32"), verbose=0)
    path = tmp_path / "ops.keras"
    model.save(path)
    loaded = tb.models.load_model(path)
    np.testing.assert_allclose(
        loaded.predict(_ids(), verbose=0), model.predict(_ids(), verbose=0), rtol=1e-6, atol=1e-7
    )


def test_shape_and_dtype_of_a_keras_tensor_are_static_as_in_keras() -> None:
    for k in (keras, tb):
        x = k.Input(shape=(3, 4), dtype="float16")
        assert tuple(k.ops.shape(x)) == (None, 3, 4)
        assert k.ops.dtype(x) == "float16"


def test_multi_output_ops_and_python_constants() -> None:
    x = tb.Input(shape=(5,))
    values, indices = tb.ops.top_k(x, k=2)
    scaled = tb.ops.multiply(values, np.array([1.0, 2.0], dtype="float32"))
    model = tb.Model(x, [scaled, indices])
    data = np.array([[1.0, 5.0, 3.0, 4.0, 2.0]], dtype="float32")
    got_values, got_indices = model.predict(data, verbose=0)
    np.testing.assert_allclose(got_values, [[5.0, 8.0]])
    np.testing.assert_array_equal(got_indices, [[1, 3]])


def test_an_argument_that_cannot_be_recorded_names_the_op() -> None:
    x = tb.Input(shape=(3,))
    with pytest.raises(TypeError, match=r"ops\..*add.*cannot be recorded"):
        tb.ops.add(x, object())


def test_the_wrappers_are_shared_and_cheap_to_skip() -> None:
    assert tb.ops.add is tb.ops.numpy.add
    assert tb.ops.relu is tb.ops.nn.relu
    a = np.ones(3, dtype="float32")
    np.testing.assert_allclose(tb.ops.add(a, a).numpy(), 2 * a)  # eager calls unchanged


def test_a_keras_written_config_with_op_nodes_loads() -> None:
    # Keras saves ops on KerasTensors as operation entries (class "Add", "Cast", "Sum" ...);
    # an Embedding with mask_zero records a "NotEqual" op in a functional config.
    x = keras.Input((4,))
    y = keras.ops.add(x, 1.0)
    theirs = keras.Model(x, [keras.ops.cast(y, "int32"), keras.ops.sum(y, axis=1, keepdims=True)])
    ours = tb.models.model_from_json(theirs.to_json())
    data = np.arange(8, dtype="float32").reshape(2, 4)
    for got, expected in zip(ours.predict(data, verbose=0), theirs(data), strict=True):
        expected = keras.ops.convert_to_numpy(expected)
        np.testing.assert_allclose(got, expected)
        assert got.dtype == expected.dtype

    ids = keras.Input((5,), dtype="int32")
    pooled = keras.layers.GlobalAveragePooling1D()(
        keras.layers.Embedding(10, 3, mask_zero=True)(ids)
    )
    theirs = keras.Model(ids, pooled)
    ours = tb.models.model_from_json(theirs.to_json())
    ours.set_weights(theirs.get_weights())
    batch = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 7]], dtype="int32")
    np.testing.assert_allclose(
        ours.predict(batch, verbose=0),
        keras.ops.convert_to_numpy(theirs(batch)),
        rtol=1e-6,
        atol=1e-7,
    )


def test_an_op_torchbridge_lacks_in_a_keras_config_is_named() -> None:
    from torchbridge.errors import UnknownClassError
    from torchbridge.saving.keras_ops import keras_op_call

    with pytest.raises(UnknownClassError, match="NoSuchOp"):
        keras_op_call({"module": "keras.src.ops.numpy", "class_name": "NoSuchOp", "config": {}})
    assert keras_op_call({"module": "keras.layers", "class_name": "Dense"}) is None
