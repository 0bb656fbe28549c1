"""What a served model takes and gives: ``TensorSpec`` and the checks that turn JSON into arrays.

* :class:`TensorSpec` — one named input or output: dtype (NumPy name, or
  ``"string"``) and shape with ``None`` for the batch axis (and any other
  free axis).
* The dtype tables of both protocols: KServe v2 datatypes (``FP32``,
  ``BYTES`` ...) and TensorFlow's ``DT_*`` enum names (TF Serving metadata).
* :func:`coerce` — a decoded JSON value (nested lists) or an array, checked
  against a spec and converted: strings to a numeric input, a wrong rank or
  a wrong fixed dimension are :class:`RequestError` naming the input, the
  expected and the received shape/dtype.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from torchbridge.serving.errors import RequestError

__all__ = [
    "TensorSpec",
    "KSERVE_DATATYPES",
    "TF_DTYPES",
    "coerce",
    "kserve_datatype",
    "numpy_dtype_of_kserve",
    "tf_dtype",
]

#: NumPy dtype name (or "string") -> KServe / Open Inference Protocol v2 datatype.
KSERVE_DATATYPES: dict[str, str] = {
    "bool": "BOOL",
    "uint8": "UINT8",
    "uint16": "UINT16",
    "uint32": "UINT32",
    "uint64": "UINT64",
    "int8": "INT8",
    "int16": "INT16",
    "int32": "INT32",
    "int64": "INT64",
    "float16": "FP16",
    "float32": "FP32",
    "float64": "FP64",
    "string": "BYTES",
}
#: NumPy dtype name (or "string") -> TensorFlow DataType enum name (TF Serving metadata).
TF_DTYPES: dict[str, str] = {
    "bool": "DT_BOOL",
    "uint8": "DT_UINT8",
    "uint16": "DT_UINT16",
    "uint32": "DT_UINT32",
    "uint64": "DT_UINT64",
    "int8": "DT_INT8",
    "int16": "DT_INT16",
    "int32": "DT_INT32",
    "int64": "DT_INT64",
    "float16": "DT_HALF",
    "bfloat16": "DT_BFLOAT16",
    "float32": "DT_FLOAT",
    "float64": "DT_DOUBLE",
    "string": "DT_STRING",
}
_FROM_KSERVE = {v: k for k, v in KSERVE_DATATYPES.items()}


@dataclass(frozen=True)
class TensorSpec:
    """A named tensor of a model's signature; ``None`` in ``shape`` is a free dimension."""

    name: str
    dtype: str
    shape: tuple[int | None, ...]

    @property
    def is_string(self) -> bool:
        return self.dtype == "string"

    def describe(self) -> str:
        dims = ", ".join("None" if d is None else str(d) for d in self.shape)
        return f"{self.name!r} ({self.dtype}, shape ({dims}{',' if len(self.shape) == 1 else ''}))"


def kserve_datatype(dtype: str) -> str:
    """The v2 datatype of a NumPy dtype name (``"float32"`` -> ``"FP32"``)."""
    return KSERVE_DATATYPES.get(dtype, "FP32" if dtype == "bfloat16" else dtype.upper())


def numpy_dtype_of_kserve(datatype: str, name: str) -> str:
    """The NumPy dtype name of a v2 datatype; an unknown one is a :class:`RequestError`."""
    if datatype not in _FROM_KSERVE:
        raise RequestError(
            f"Input {name!r} has datatype {datatype!r}, which is not a v2 datatype; use one "
            f"of {sorted(_FROM_KSERVE)}."
        )
    return _FROM_KSERVE[datatype]


def tf_dtype(dtype: str) -> str:
    """The ``DT_*`` name of a NumPy dtype name (``"float32"`` -> ``"DT_FLOAT"``)."""
    return TF_DTYPES.get(dtype, "DT_INVALID")


def _flat_strings(value: Any, name: str) -> list[Any]:
    out: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, np.ndarray):
            stack.extend(reversed(item.tolist()))
        else:
            out.append(item)
    return out


def _as_array(value: Any, spec: TensorSpec) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    try:
        arr = np.asarray(value, dtype=object if spec.is_string else None)
    except (ValueError, TypeError) as e:
        raise RequestError(
            f"Input {spec.name!r} is not a rectangular array ({e}); every row must have the "
            f"same length. Expected {spec.describe()}."
        ) from None
    return arr


def coerce(spec: TensorSpec, value: Any, batched: bool = True) -> np.ndarray:
    """``value`` as an array of ``spec`` (with its batch axis when ``batched``), or a
    :class:`RequestError` saying what does not fit."""
    arr = _as_array(value, spec)
    want = spec.shape if batched else spec.shape[1:]
    # A (None, 1) input (Keras's string Input(shape=(1,))) also takes one value per row.
    if arr.ndim == len(want) - 1 and len(want) >= 1 and want[-1] == 1:
        arr = arr.reshape((*arr.shape, 1))
    if arr.ndim != len(want):
        raise RequestError(
            f"Input {spec.name!r} got an array of shape {tuple(arr.shape)} but the model "
            f"takes {spec.describe()}: send {len(want)}-D data"
            + (" (one row per example)." if batched else ".")
        )
    for axis, (got, need) in enumerate(zip(arr.shape, want)):
        if need is not None and got != need:
            raise RequestError(
                f"Input {spec.name!r} has size {got} on axis {axis} but the model takes "
                f"{spec.describe()}."
            )
    if batched and arr.ndim and arr.shape[0] == 0:
        raise RequestError(f"Input {spec.name!r} has no rows; send at least one example.")
    if spec.is_string:
        items = _flat_strings(arr, spec.name)
        texts = []
        for item in items:
            if isinstance(item, bytes):
                try:
                    item = item.decode("utf-8")
                except UnicodeDecodeError:
                    raise RequestError(
                        f"Input {spec.name!r} has bytes that are not UTF-8 text; send text."
                    ) from None
            if not isinstance(item, str):
                raise RequestError(
                    f"Input {spec.name!r} takes strings, got {type(item).__name__} "
                    f"({item!r:.40}). Send every value as a JSON string."
                )
            texts.append(item)
        return np.array(texts, dtype=object).reshape(arr.shape)
    if arr.dtype.kind in "OUSV":
        kinds = {type(x).__name__ for x in _flat_strings(arr, spec.name)}
        raise RequestError(
            f"Input {spec.name!r} takes {spec.dtype} numbers, got {', '.join(sorted(kinds))} "
            f"values. Send numbers (this model has no string inputs)."
        )
    target = np.dtype(spec.dtype)
    if (
        arr.dtype.kind == "f"
        and target.kind in "iub"
        and (not np.all(np.isfinite(arr)) or not np.array_equal(arr, np.round(arr)))
    ):
        raise RequestError(
            f"Input {spec.name!r} takes {spec.dtype} values, got non-integral numbers."
        )
    return arr.astype(target, copy=False)
