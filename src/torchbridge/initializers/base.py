"""The ``Initializer`` base class, Keras's fan computation, and the seeded draws that the
random initializers share.

An initializer is called as ``init(shape, dtype=None)`` (Keras's contract) and returns a
CPU torch tensor of that shape; ``dtype=None`` means ``floatx()``. Fans follow Keras on
Keras's weight layouts (Dense kernel ``(in, out)``, Conv kernel ``(*kernel_size, in,
out)``): ``fan_in = receptive * shape[-2]``, ``fan_out = receptive * shape[-1]``.

Seeds: an ``int`` seed gives the same values on every call (as in Keras), from a
private ``torch.Generator`` on the CPU, so the same on every device — torchbridge's
values, not TensorFlow's bit stream; a ``SeedGenerator`` gives new values on each call,
reproducibly. ``None`` draws from torch's global generator on each call (reproducible
under ``torch.manual_seed`` / ``keras.utils.set_random_seed``). Keras instead fixes an
unseeded instance's values at creation; torchbridge's layers call one initializer
object for several same-shaped weights (the query/key/value kernels of attention), which
must not come out equal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.backend.config import floatx
from torchbridge.backend.dtypes import keras_dtype_name, to_torch_dtype

__all__ = ["Initializer", "RandomInitializer", "compute_fans"]

_MASK64 = (1 << 64) - 1
#: P(|z| <= 2) of a standard normal's CDF endpoints: Keras truncates at two stddevs.
_CDF_LOW = 0.5 * (1.0 + math.erf(-2.0 / math.sqrt(2.0)))
_CDF_HIGH = 0.5 * (1.0 + math.erf(2.0 / math.sqrt(2.0)))


def torch_dtype(dtype: Any) -> torch.dtype:
    """An initializer's ``dtype`` argument (``None`` → floatx) as a torch dtype."""
    return to_torch_dtype(floatx() if dtype is None else dtype)


def compute_fans(
    shape: Sequence[int],
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of Keras layout ``shape``; with ``input_axes`` and
    ``output_axes`` the products of those axes instead."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive = math.prod(shape[:-2])
    return int(shape[-2] * receptive), int(shape[-1] * receptive)


class Initializer:
    """Base class of Keras initializers: ``__call__(shape, dtype=None)`` returns the
    initial tensor; ``get_config`` / ``from_config`` round-trip the arguments."""

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        raise NotImplementedError(
            f"{type(self).__name__} must implement __call__(self, shape, dtype=None)."
        )

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        return cls(**config)

    def clone(self) -> Initializer:
        return self.__class__.from_config(self.get_config())


def _is_seed_generator(seed: Any) -> bool:
    return callable(getattr(seed, "next", None)) and callable(getattr(seed, "get_config", None))


class RandomInitializer(Initializer):
    """An initializer that draws: holds Keras's ``seed`` (int, ``None`` or a
    ``SeedGenerator``) and makes the ``torch.Generator`` for each call."""

    def __init__(self, seed: Any = None) -> None:
        self._init_seed = seed
        if isinstance(seed, dict):
            from torchbridge.saving.serialization import deserialize_keras_object  # above us

            seed = deserialize_keras_object(seed)
        elif (
            seed is not None
            and not isinstance(seed, (int, np.integer))
            and not _is_seed_generator(seed)
        ):
            raise ValueError(
                "`seed` argument should be an instance of `keras.random.SeedGenerator()` or "
                f"an integer. Received: seed={seed!r}"
            )
        self.seed = int(seed) if isinstance(seed, (int, np.integer)) else seed

    def get_config(self) -> dict[str, Any]:
        seed = self._init_seed
        if seed is not None and not isinstance(seed, (int, np.integer)):
            from torchbridge.saving.serialization import serialize_keras_object

            seed = serialize_keras_object(seed)
        return {"seed": seed}

    def _generator(self) -> torch.Generator | None:
        """The generator of one call: ``None`` (torch's global one) for an unseeded draw."""
        seed = self.seed
        if seed is None:
            return None
        if isinstance(seed, int):
            value = seed
        else:  # a SeedGenerator: its current state, which then advances
            state = seed.next()
            parts = np.asarray(state.cpu() if isinstance(state, torch.Tensor) else state)
            value = 0
            for part in parts.reshape(-1).tolist():
                value = (value * 0x9E3779B97F4A7C15 + int(part) + 1) & _MASK64
        generator = torch.Generator()
        generator.manual_seed(value & _MASK64)
        return generator

    def _float_dtype(self, dtype: Any) -> tuple[torch.dtype, torch.dtype]:
        """(the dtype asked for, the dtype to draw in): float16/bfloat16 draw in float32."""
        target = torch_dtype(dtype)
        if not target.is_floating_point:
            raise ValueError(
                f"{type(self).__name__} draws floating-point values, so `dtype` must be a "
                f"float type; received dtype={keras_dtype_name(target)!r}."
            )
        return target, target if target == torch.float64 else torch.float32

    def _normal(self, shape: Sequence[int], mean: float, stddev: float, dtype: Any) -> torch.Tensor:
        target, work = self._float_dtype(dtype)
        out = torch.empty(tuple(shape), dtype=work).normal_(generator=self._generator())
        return (out * stddev + mean).to(target)

    def _uniform(
        self, shape: Sequence[int], minval: float, maxval: float, dtype: Any
    ) -> torch.Tensor:
        target, work = self._float_dtype(dtype)
        out = torch.empty(tuple(shape), dtype=work).uniform_(generator=self._generator())
        return (out * (maxval - minval) + minval).to(target)

    def _truncated_normal(
        self, shape: Sequence[int], mean: float, stddev: float, dtype: Any
    ) -> torch.Tensor:
        """Normal values within two stddevs of the mean (inverse-CDF sampling, which gives
        the distribution of Keras's redraw-outside-the-bounds rule)."""
        target, work = self._float_dtype(dtype)
        u = torch.empty(tuple(shape), dtype=work).uniform_(
            _CDF_LOW, _CDF_HIGH, generator=self._generator()
        )
        z = torch.erfinv(u * 2 - 1) * math.sqrt(2.0)
        z = torch.clamp(z, -2.0, 2.0)
        return (z * stddev + mean).to(target)
