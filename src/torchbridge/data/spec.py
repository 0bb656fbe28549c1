"""``TensorSpec``: the shape and dtype of one component of a dataset's elements — what
``Dataset.element_spec`` returns, in the element's structure (``tf.TensorSpec``'s fields:
``shape``, ``dtype``, ``name``).

tf.data knows element specs statically; torchbridge pipelines are plain Python, so
``element_spec`` reads the first element and reports its shapes (a batch dimension is its
size in the first batch, not ``None``). Strings have ``dtype="string"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from torchbridge.data.structure import is_string_leaf, leaf_shape
from torchbridge.utils import nest

__all__ = ["TensorSpec", "spec_of"]


@dataclass(frozen=True)
class TensorSpec:
    """``tf.TensorSpec(shape, dtype=float32, name=None)``; usable as ``output_signature``."""

    shape: tuple[int | None, ...]
    dtype: Any = torch.float32
    name: str | None = None

    def __post_init__(self) -> None:
        shape = tuple(None if d is None or d == -1 else int(d) for d in self.shape)
        object.__setattr__(self, "shape", shape)

    def is_compatible_with(self, value: Any) -> bool:
        """Whether ``value`` (a spec or a leaf) has this dtype and a compatible shape."""
        other = value if isinstance(value, TensorSpec) else _leaf_spec(value)
        if other.dtype != self.dtype or len(other.shape) != len(self.shape):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self.shape, other.shape))


def _leaf_spec(leaf: Any) -> TensorSpec:
    if isinstance(leaf, torch.Tensor):
        return TensorSpec(tuple(leaf.shape), leaf.dtype)
    if is_string_leaf(leaf):
        return TensorSpec(leaf_shape(leaf), "string")
    if isinstance(leaf, np.ndarray):
        return TensorSpec(tuple(leaf.shape), leaf.dtype)
    return TensorSpec((), type(leaf).__name__)


def spec_of(element: Any) -> Any:
    """The element's structure with every leaf replaced by its :class:`TensorSpec`."""
    return nest.map_structure(_leaf_spec, element)
