"""HashedCrossing: Keras's feature-cross layer, with TensorFlow's ``cross_hashed`` bins.

Keras crosses its inputs with ``tf.sparse.cross_hashed``: starting from the
key ``0xDECAFCAFFE``, each input's value hash is folded in with
``FingerprintCat64`` (integers are taken as their own 64-bit value, strings by
FarmHash ``Fingerprint64``), and the result modulo ``num_bins`` is the bin.
This is written here with NumPy ``uint64`` arithmetic, so the bins are
TensorFlow's without TensorFlow.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.layers.layer import Layer
from torchbridge.layers.preprocessing._encoding import encode_categorical, resolve_dtype
from torchbridge.layers.preprocessing.hashing import fingerprint64

__all__ = ["HashedCrossing", "cross_hashed"]

_U64 = np.uint64
_KMUL = _U64(0xC6A4A7935BD1E995)
_HASH_KEY = 0xDECAFCAFFE


def _shift_mix(v: np.ndarray) -> np.ndarray:
    return v ^ (v >> _U64(47))


def _fingerprint_cat64(fp1: np.ndarray, fp2: np.ndarray) -> np.ndarray:
    """TensorFlow's ``FingerprintCat64`` (uint64 wrap-around arithmetic)."""
    result = fp1 ^ _KMUL
    result ^= _shift_mix(fp2 * _KMUL) * _KMUL
    result *= _KMUL
    result = _shift_mix(result) * _KMUL
    return _shift_mix(result)


def _value_hashes(values: Any) -> np.ndarray:
    """One input's 64-bit feature hashes: ints as themselves, strings fingerprinted."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64).view(_U64)
    if arr.dtype.kind in "OUS":
        flat = arr.reshape(-1).tolist()
        return fingerprint64(flat).reshape(arr.shape)
    raise InputError(
        f"HashedCrossing inputs must be integers or strings; received an input of dtype "
        f"{arr.dtype}. Cast floats to integers (or strings) first."
    )


def cross_hashed(inputs: list[Any], num_bins: int) -> np.ndarray:
    """``tf.sparse.cross_hashed`` of equally shaped dense inputs, as an int64 array."""
    out: np.ndarray | None = None
    with np.errstate(over="ignore"):
        for values in inputs:
            h = _value_hashes(values)
            if out is None:
                out = np.full(h.shape, _HASH_KEY, dtype=_U64)
            out = _fingerprint_cat64(out, h)
    assert out is not None
    return np.asarray(out % _U64(num_bins)).astype(np.int64)


class HashedCrossing(Layer):
    """Keras's ``HashedCrossing``: ``hash((x1, x2, ...)) % num_bins`` of two or more inputs.

    Inputs are a list/tuple of equally shaped integer or string values of shape
    ``()``, ``(batch,)`` or ``(batch, 1)``. ``output_mode="int"`` gives int64
    bins, ``"one_hot"`` a float32 one-hot encoding. ``sparse=True`` is refused
    (Keras allows it on the TensorFlow backend only).
    """

    def __init__(
        self,
        num_bins: int,
        output_mode: str = "int",
        sparse: bool = False,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                f"{owner}: `output_mode` must be 'int' or 'one_hot'; received "
                f"output_mode={output_mode!r}."
            )
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError(
                f"{owner}: `sparse=True` can only be used with Keras's TensorFlow backend; "
                "use the dense output (sparse=False)."
            )
        if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins <= 0:
            raise ValueError(f"{owner}: `num_bins` must be a positive int; got {num_bins!r}.")
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = bool(sparse)
        self._out_dtype = resolve_dtype(dtype, torch.float32)
        self.built = True

    def _check(self, inputs: Any) -> list[Any]:
        if not isinstance(inputs, (list, tuple)):
            raise InputError(
                "`HashedCrossing` should be called on a list or tuple of inputs; received "
                f"{type(inputs).__name__}."
            )
        if len(inputs) < 2:
            raise InputError(
                f"`HashedCrossing` should be called on at least two inputs; received {len(inputs)}."
            )
        shapes = [tuple(np.shape(x)) for x in inputs]
        first = shapes[0]
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise InputError(
                "All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                f"`(batch_size, 1)`; received shapes {shapes}."
            )
        if any(s != first for s in shapes[1:]):
            raise InputError(f"All `HashedCrossing` inputs should have equal shape; got {shapes}.")
        return list(inputs)

    def call(self, inputs: Any) -> torch.Tensor:
        values = self._check(inputs)
        device = next(
            (x.device for x in values if isinstance(x, torch.Tensor)), torch.device("cpu")
        )
        bins = torch.from_numpy(np.asarray(cross_hashed(values, self.num_bins)))
        if self.output_mode == "int":
            return bins.to(device=device, dtype=self._out_dtype)
        out = encode_categorical(bins, "one_hot", self.num_bins, dtype=self._out_dtype)
        return out.to(device)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if (
            len(input_shape) != 2
            or not isinstance(input_shape[0], tuple)
            or not isinstance(input_shape[1], tuple)
        ):
            raise ValueError(
                f"Expected as input a list/tuple of 2 tensors; received input_shape={input_shape}."
            )
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        if not shape:
            return (self.num_bins,)
        if shape[-1] != 1:
            return (*shape, self.num_bins)
        return (*shape[:-1], self.num_bins)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("trainable", None)  # Keras's HashedCrossing config has no "trainable"
        config.update(
            {"num_bins": self.num_bins, "output_mode": self.output_mode, "sparse": self.sparse}
        )
        return config
