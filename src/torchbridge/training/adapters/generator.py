"""One-shot Python generators and iterators of batches.

:class:`GeneratorAdapter` reads its iterator continuously across epochs (an
epoch with no ``steps_per_epoch`` ends when the iterator runs dry, which stops
training, as Keras). ``y``, ``sample_weight`` and ``class_weight`` are refused
beside it: the generator yields them.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from torchbridge.training.adapter_registry import (
    PRIORITY_DATASETS,
    AdapterOptions,
    register_data_adapter,
)
from torchbridge.training.adapters.batches import (
    StepData,
    refuse_class_weight,
    refuse_separate_targets,
    standardize_batch,
)

__all__ = ["NAME", "GeneratorAdapter", "can_handle", "make_generator_adapter"]

NAME = "generator"


class GeneratorAdapter:
    """A one-shot iterator of batches: consumed continuously across epochs."""

    def __init__(self, iterator: Iterator[Any]) -> None:
        self.iterator = iterator
        self.num_batches: int | None = None

    def iter_epoch(self, epoch: int) -> Iterator[StepData]:
        for element in self.iterator:
            yield standardize_batch(element)


def can_handle(x: Any) -> bool:
    """A generator or any other iterator (not an array)."""
    return isinstance(x, (types.GeneratorType, Iterator)) and not isinstance(
        x, (torch.Tensor, np.ndarray)
    )


def make_generator_adapter(
    x: Any, y: Any, sample_weight: Any, options: AdapterOptions
) -> GeneratorAdapter:
    """The adapter for a generator / iterator passed as ``x``."""
    refuse_separate_targets(x, y, sample_weight)
    refuse_class_weight(x, options.class_weight)
    return GeneratorAdapter(iter(x))


register_data_adapter(
    NAME, can_handle, make_generator_adapter, priority=PRIORITY_DATASETS + 50, builtin=True
)
