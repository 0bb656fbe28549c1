"""The ``Initializer`` base class, Keras's fan computation, and the seeded draws that the
random initializers share.

An initializer is called as ``init(shape, dtype=None)`` (Keras's contract) and returns a
torch tensor of that shape; ``dtype=None`` means ``floatx()``. Fans follow Keras on
Keras's weight layouts (Dense kernel ``(in, out)``, Conv kernel ``(*kernel_size, in,
out)``): ``fan_in = receptive * shape[-2]``, ``fan_out = receptive * shape[-1]``.

Seeds: draws go through :mod:`torchbridge.random` (torchbridge's values, not
TensorFlow's bit stream). An ``int`` seed gives the same values on every call and a
``SeedGenerator`` new values on each call, reproducibly, as in Keras. ``None`` takes a
fresh seed from torch's global generator on each call (reproducible under
``torch.manual_seed`` / ``keras.utils.set_random_seed``). Keras instead fixes an
unseeded instance's values at creation; torchbridge's layers call one initializer
object for several same-shaped weights (the query/key/value kernels of attention),
which must not come out equal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.backend.config import floatx
from torchbridge.backend.dtypes import keras_dtype_name, to_torch_dtype
from torchbridge.random import draws
from torchbridge.random.seed_generator import SeedGenerator

__all__ = ["Initializer", "RandomInitializer", "compute_fans"]


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


class RandomInitializer(Initializer):
    """An initializer that draws: holds Keras's ``seed`` (an int, ``None``, a
    ``SeedGenerator`` or its config) and draws through :mod:`torchbridge.random`."""

    def __init__(self, seed: Any = None) -> None:
        self._init_seed = seed
        if isinstance(seed, dict):  # a SeedGenerator's config, as Keras writes it
            if seed.get("class_name") == "SeedGenerator":
                seed = SeedGenerator.from_config(dict(seed.get("config") or {}))
            else:
                from torchbridge.saving.serialization import deserialize_keras_object

                seed = deserialize_keras_object(seed)
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            seed = int(seed)
        elif seed is not None and not isinstance(seed, SeedGenerator):
            raise ValueError(
                "`seed` argument should be an instance of `keras.random.SeedGenerator()` or "
                f"an integer. Received: seed={seed!r}"
            )
        self.seed = seed

    def get_config(self) -> dict[str, Any]:
        seed = self._init_seed
        if isinstance(seed, SeedGenerator):
            seed = {
                "module": "keras.random",
                "class_name": "SeedGenerator",
                "config": seed.get_config(),
                "registered_name": None,
            }
        return {"seed": seed}

    def _seed(self) -> int | SeedGenerator:
        """The seed of one draw; an unseeded one takes it from torch's global generator."""
        if self.seed is None:
            return int(torch.randint(0, 2**62, (), device="cpu"))
        return self.seed

    def _float_dtype(self, dtype: Any) -> tuple[torch.dtype, torch.dtype]:
        """(the dtype asked for, the dtype to compute in): float16/bfloat16 use float32."""
        target = torch_dtype(dtype)
        if not target.is_floating_point:
            raise ValueError(
                f"{type(self).__name__} draws floating-point values, so `dtype` must be a "
                f"float type; received dtype={keras_dtype_name(target)!r}."
            )
        return target, target if target == torch.float64 else torch.float32

    def _normal(self, shape: Sequence[int], mean: float, stddev: float, dtype: Any) -> torch.Tensor:
        target, _ = self._float_dtype(dtype)
        return draws.normal(tuple(shape), mean, stddev, dtype=target, seed=self._seed())

    def _uniform(
        self, shape: Sequence[int], minval: float, maxval: float, dtype: Any
    ) -> torch.Tensor:
        target, _ = self._float_dtype(dtype)
        return draws.uniform(tuple(shape), minval, maxval, dtype=target, seed=self._seed())

    def _truncated_normal(
        self, shape: Sequence[int], mean: float, stddev: float, dtype: Any
    ) -> torch.Tensor:
        """Normal values within two stddevs of the mean."""
        target, _ = self._float_dtype(dtype)
        return draws.truncated_normal(tuple(shape), mean, stddev, dtype=target, seed=self._seed())
