"""Data from other libraries, as Keras 3's data adapters take it: recognised without importing them.

``fit`` / ``evaluate`` / ``predict`` accept what Keras 3 accepts on its torch
backend. Besides NumPy arrays and torch tensors that is

* array-likes, converted to tensors: pandas ``DataFrame`` / ``Series`` (their
  values), SciPy sparse matrices (densified once, as Keras's torch backend does),
  TensorFlow ``tf.Tensor`` / ``tf.Variable`` (shared through DLPack when the
  dtype allows, else copied), ``tf.RaggedTensor`` (padded with zeros to a dense
  tensor) and ``tf.SparseTensor`` (densified), JAX arrays and any other object
  with ``__dlpack__`` or ``__array__``; TensorFlow string tensors become NumPy
  arrays of ``str``, as torchbridge's text layers take them;
* a ``tf.data.Dataset``: iterated once per epoch, its elements converted as
  above (:func:`is_tf_dataset`, :func:`tf_dataset_cardinality`).

Types are recognised by the module they come from (``type(x).__module__``), so
TensorFlow, pandas or SciPy are never imported here: a user who did not import
them pays nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = [
    "convert_foreign_leaf",
    "is_foreign_array",
    "is_tf_dataset",
    "tf_dataset_cardinality",
]


def _origin(x: Any) -> str:
    """The top-level package ``type(x)`` comes from (``"tensorflow"``, ``"pandas"``...)."""
    return type(x).__module__.partition(".")[0]


def _type_names(x: Any) -> set[str]:
    return {cls.__name__ for cls in type(x).__mro__}


def is_tf_dataset(x: Any) -> bool:
    """A ``tf.data.Dataset`` (any of its subclasses), without importing TensorFlow."""
    return _origin(x) == "tensorflow" and "DatasetV2" in _type_names(x)


def tf_dataset_cardinality(x: Any) -> int | None:
    """The number of elements of a ``tf.data.Dataset``; ``-1`` when it is infinite
    (``repeat()``), ``None`` when TensorFlow cannot tell."""
    n = int(x.cardinality())
    if n == -1:  # tf.data.INFINITE_CARDINALITY
        return -1
    return None if n < 0 else n  # -2: tf.data.UNKNOWN_CARDINALITY


def _is_tf_tensor_like(x: Any) -> bool:
    names = _type_names(x)
    return _origin(x) == "tensorflow" and bool(
        names & {"Tensor", "EagerTensor", "RaggedTensor", "SparseTensor", "BaseResourceVariable"}
    )


def _is_scipy_sparse(x: Any) -> bool:
    return _origin(x) == "scipy" and hasattr(x, "toarray") and hasattr(x, "tocsr")


def is_foreign_array(x: Any) -> bool:
    """An array from another library that ``fit`` reads as arrays (not as a stream of
    batches): pandas, SciPy sparse, TensorFlow tensors, or anything with ``__array__`` /
    ``__dlpack__`` that is not itself iterable as batches."""
    if isinstance(x, (np.ndarray, torch.Tensor)):
        return False
    origin = _origin(x)
    if origin == "pandas":
        return hasattr(x, "to_numpy")
    if _is_scipy_sparse(x) or _is_tf_tensor_like(x):
        return True
    if origin == "tensorflow":  # a tf.data.Dataset and other TF objects are not arrays
        return False
    return hasattr(x, "__array__") or hasattr(x, "__dlpack__")


def _from_tensorflow(x: Any) -> Any:
    import tensorflow as tf  # x is a TensorFlow object: TensorFlow is already loaded

    names = _type_names(x)
    if "RaggedTensor" in names:
        x = x.to_tensor()  # Keras's torch backend pads ragged batches the same way
    elif "SparseTensor" in names:
        x = tf.sparse.to_dense(x)
    if x.dtype.name == "string":
        values = np.asarray(x.numpy(), dtype=object)
        if not values.size:
            return values
        return np.vectorize(
            lambda b: b.decode("utf-8") if isinstance(b, bytes) else b, otypes=[object]
        )(values)
    try:  # zero-copy where TensorFlow can hand the buffer over
        return torch.from_dlpack(tf.experimental.dlpack.to_dlpack(x))
    except Exception:  # bool tensors, resource variables...: one copy through NumPy
        return np.asarray(x.numpy())


def _pandas_values(x: Any) -> Any:
    return x.to_numpy()


def _dense(x: Any) -> Any:
    return x.toarray()


def _unchanged(x: Any) -> Any:
    return x


# type -> how its values convert, decided once per type (a pipeline's batches share it)
_CONVERTERS: dict[type, Any] = {}


def _converter(x: Any) -> Any:
    kind = type(x)
    found = _CONVERTERS.get(kind)
    if found is not None:
        return found
    if _origin(x) == "pandas" and hasattr(x, "to_numpy"):
        found = _pandas_values
    elif _is_scipy_sparse(x):
        found = _dense
    elif _is_tf_tensor_like(x):
        found = _from_tensorflow
    elif hasattr(x, "__dlpack__") and not hasattr(x, "__array__"):
        found = torch.from_dlpack
    elif hasattr(x, "__array__") and not isinstance(x, (str, bytes)):
        found = np.asarray
    else:
        found = _unchanged
    _CONVERTERS[kind] = found
    return found


def convert_foreign_leaf(x: Any) -> Any:
    """One leaf of ``x`` / ``y`` / ``sample_weight`` from another library as a NumPy array or
    a torch tensor; anything else is returned unchanged."""
    if isinstance(x, (np.ndarray, torch.Tensor)) or x is None:
        return x
    return _converter(x)(x)
