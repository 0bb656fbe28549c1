"""Normalization: Keras's feature-wise ``(x - mean) / max(sqrt(variance), 1e-7)`` layer.

The mean and variance are either given at construction (broadcast as Keras
does) or learned with ``adapt``: one value per position of the kept ``axis``
(``axis=None`` keeps nothing: one scalar mean and variance). Learned state is
three buffers — ``mean``, ``variance`` and ``count`` — which are also Keras's
weights (``get_weights()`` = ``[mean, variance, count]``, ``count`` kept at 0
exactly as Keras does), so ``set_weights`` moves an adapted layer between
Keras and torchbridge and the state travels in the safetensors weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.layers.layer import KerasWeight
from torchbridge.layers.preprocessing._encoding import resolve_dtype
from torchbridge.layers.preprocessing.base import PreprocessingLayer

__all__ = ["Normalization"]

_EPSILON = 1e-7  # keras.backend.epsilon()


class Normalization(PreprocessingLayer):
    """Keras's ``Normalization`` (``axis=-1``; ``invert=True`` maps normalized values back).

    Inputs are cast to float32 (the layer's dtype), as in Keras. The layer
    passes an input mask through unchanged.
    """

    mean: torch.Tensor
    variance: torch.Tensor
    count: torch.Tensor

    def __init__(
        self,
        axis: int | Sequence[int] | None = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        if axis is None:
            self.axis: tuple[int, ...] = ()
        elif isinstance(axis, int):
            self.axis = (axis,)
        else:
            self.axis = tuple(int(a) for a in axis)
        if (mean is None) != (variance is None):
            raise ValueError(
                f"{owner}: pass both `mean` and `variance` or neither; received "
                f"mean={mean!r} and variance={variance!r}."
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    f"{owner}: `mean` and `variance` must have the same shape; received "
                    f"{np.shape(mean)} and {np.shape(variance)}."
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    f"{owner}: the rank of `mean` ({len(np.shape(mean))}) must not exceed the "
                    f"number of kept axes ({len(self.axis)}, axis={self.axis})."
                )
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True
        self._compute_dtype = resolve_dtype(self._dtype_arg, torch.float32)
        self._keep_axis: tuple[int, ...] = ()
        self._reduce_axis: tuple[int, ...] = ()
        self._ndim = 0
        self._broadcast_shape: list[int] = []
        self._mean_and_var_shape: tuple[int, ...] = ()
        self._kept_sizes: dict[int, int] = {}
        self._acc: tuple[torch.Tensor, torch.Tensor, int] | None = None
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

    # --- building -------------------------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        ndim = len(shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise InputError(
                f"Layer '{self.name}' (Normalization): every `axis` must be in [-{ndim}, {ndim}) "
                f"for inputs of rank {ndim}; received axis={self.axis} and input shape {shape}."
            )
        keep = tuple(sorted({a % ndim for a in self.axis}))
        for d in keep:
            if shape[d] is None:
                raise InputError(
                    f"Layer '{self.name}' (Normalization): the kept axis {d} must have a known "
                    f"size; received input shape {shape} with axis={self.axis}."
                )
        self._ndim = ndim
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._kept_sizes = {d: int(shape[d]) for d in keep}
        self._broadcast_shape = [int(shape[d]) if d in keep else 1 for d in range(ndim)]
        self._mean_and_var_shape = tuple(int(shape[d]) for d in keep)
        if self.input_mean is None:
            self.register_buffer(
                "mean", torch.zeros(self._mean_and_var_shape, dtype=self._compute_dtype)
            )
            self.register_buffer(
                "variance", torch.ones(self._mean_and_var_shape, dtype=self._compute_dtype)
            )
            self.register_buffer("count", torch.zeros((), dtype=torch.int64))
            return
        mean = torch.as_tensor(np.asarray(self.input_mean, dtype=np.float64))
        variance = torch.as_tensor(np.asarray(self.input_variance, dtype=np.float64))
        if mean.dim() > 0:
            # Align the given values with the kept axes from the right, as Keras does.
            expanded = [1] * ndim
            for i in range(1, mean.dim() + 1):
                expanded[keep[-i]] = mean.shape[-i]
            mean = mean.reshape(expanded)
            variance = variance.reshape(expanded)
        try:
            mean = torch.broadcast_to(mean, self._broadcast_shape)
            variance = torch.broadcast_to(variance, self._broadcast_shape)
        except RuntimeError as err:
            raise InputError(
                f"Layer '{self.name}' (Normalization): `mean` of shape "
                f"{tuple(np.shape(self.input_mean))} does not fit the kept axes "
                f"{self._mean_and_var_shape} of inputs of shape {shape}."
            ) from err
        self.register_buffer("mean", mean.to(self._compute_dtype).contiguous(), persistent=False)
        self.register_buffer(
            "variance", variance.to(self._compute_dtype).contiguous(), persistent=False
        )

    def _keras_weights(self) -> list[KerasWeight]:
        if not self.built or self.input_mean is not None:
            return []
        return [KerasWeight(self.mean), KerasWeight(self.variance), KerasWeight(self.count)]

    # --- adapt ------------------------------------------------------------------------------------
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the mean and variance of ``data`` (Keras's ``adapt``).

        A ``torchbridge.data.Dataset`` of single samples of rank 1 is batched
        first (by 128), as Keras does for an unbatched ``tf.data.Dataset``.
        """
        from torchbridge.data import Dataset

        if isinstance(data, Dataset) and batch_size is None:
            first = next(iter(data), None)
            if getattr(first, "ndim", None) == 1:
                data = data.batch(128)
        super().adapt(data, batch_size=batch_size, steps=steps)

    def reset_state(self) -> None:
        self._acc = None

    def update_state(self, batch: Any) -> None:
        if self.input_mean is not None:
            raise InputError(
                f"Layer '{self.name}' (Normalization) was given `mean` and `variance` at "
                "construction, so it cannot be adapted; create it without them to adapt."
            )
        if isinstance(batch, np.ndarray) and batch.dtype.kind not in "biuf":
            raise InputError(
                f"Layer '{self.name}' (Normalization): adapt() takes numbers; received data of "
                f"dtype {batch.dtype}."
            )
        x = torch.as_tensor(batch)
        if x.is_complex() or x.dtype == torch.bool:
            raise InputError(
                f"Layer '{self.name}' (Normalization): adapt() takes numbers; received a batch "
                f"of dtype {x.dtype}."
            )
        if not self.built:
            self.build_from_shape(tuple(x.shape))
        else:
            self._check_shape(x, "adapt() data")
        x = x.detach().to(torch.float64)
        if self._reduce_axis:
            batch_mean = x.mean(dim=self._reduce_axis)
            batch_var = x.var(dim=self._reduce_axis, unbiased=False)
            batch_count = math.prod(x.shape[d] for d in self._reduce_axis)
        else:
            batch_mean, batch_var, batch_count = x, torch.zeros_like(x), 1
        if batch_count == 0:
            return
        if self._acc is None:
            self._acc = (batch_mean, batch_var, batch_count)
            return
        mean, var, count = self._acc
        total = count + batch_count
        w_old, w_new = count / total, batch_count / total
        new_mean = mean * w_old + batch_mean * w_new
        new_var = (var + (mean - new_mean) ** 2) * w_old + (
            batch_var + (batch_mean - new_mean) ** 2
        ) * w_new
        self._acc = (new_mean, new_var, total)

    def finalize_state(self) -> None:
        if self._acc is None or self.input_mean is not None:
            return
        mean, var, _ = self._acc
        with torch.no_grad():
            self.mean.copy_(mean.reshape(self.mean.shape).to(self.mean.dtype))
            self.variance.copy_(var.reshape(self.variance.shape).to(self.variance.dtype))
        self._acc = None

    # --- calling ------------------------------------------------------------------------------------
    def forward(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(inputs, torch.Tensor):  # lists / NumPy arrays, as Keras accepts
            inputs = torch.as_tensor(np.asarray(inputs))
        return super().forward(inputs, *args, **kwargs)

    def _check_shape(self, x: torch.Tensor, what: str) -> None:
        if not self._keep_axis:
            return
        ok = x.dim() == self._ndim and all(
            x.shape[d] == size for d, size in self._kept_sizes.items()
        )
        if not ok:
            expected = tuple(
                self._kept_sizes.get(d) if d in self._kept_sizes else None
                for d in range(self._ndim)
            )
            raise InputError(
                f"Layer '{self.name}' (Normalization) expects {what} of shape {expected} (axis="
                f"{self.axis}), but received shape {tuple(x.shape)}."
            )

    def call(self, inputs: Any) -> torch.Tensor:
        x = torch.as_tensor(inputs)
        self._check_shape(x, "inputs")
        x = x.to(self._compute_dtype)
        if self._keep_axis:
            mean = self.mean.reshape(self._broadcast_shape)
            variance = self.variance.reshape(self._broadcast_shape)
        else:
            mean = self.mean.reshape(())
            variance = self.variance.reshape(())
        denom = torch.clamp_min(torch.sqrt(variance), _EPSILON)
        if self.invert:
            return mean + x * denom
        return (x - mean) / denom

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(),
                "variance": np.array(self.input_variance).tolist(),
            }
        )
        return config
