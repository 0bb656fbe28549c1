"""A ``tf.data.Dataset`` as batches, recognised without importing TensorFlow.

Iterated once per epoch, as Keras iterates it; its cardinality gives the number
of batches (unknown: ``None``; ``repeat()`` without a count: infinite, which
needs ``steps_per_epoch``). Each element's tensors are converted by
:mod:`torchbridge.training.foreign_data`. ``class_weight`` is mapped into its
``(x, y)`` batches, as Keras does; ``y`` / ``sample_weight`` beside it are refused.
"""

from __future__ import annotations

from typing import Any

from torchbridge.training.adapter_registry import (
    PRIORITY_DATASETS,
    AdapterOptions,
    register_data_adapter,
)
from torchbridge.training.adapters.batches import ClassWeightedBatches, refuse_separate_targets
from torchbridge.training.adapters.iterable import IterableAdapter
from torchbridge.training.foreign_data import is_tf_dataset, tf_dataset_cardinality

__all__ = ["NAME", "can_handle", "make_tf_dataset_adapter"]

NAME = "tf_data"


def can_handle(x: Any) -> bool:
    """A ``tf.data.Dataset`` (read from the type's module: TensorFlow is not imported)."""
    return is_tf_dataset(x)


def make_tf_dataset_adapter(
    x: Any, y: Any, sample_weight: Any, options: AdapterOptions
) -> IterableAdapter:
    """The adapter for a ``tf.data.Dataset`` passed as ``x``."""
    refuse_separate_targets(x, y, sample_weight)
    n = tf_dataset_cardinality(x)
    source = x if options.class_weight is None else ClassWeightedBatches(x, options.class_weight)
    adapter = IterableAdapter(source, None if n == -1 else n)
    adapter.infinite = n == -1
    return adapter


register_data_adapter(
    NAME, can_handle, make_tf_dataset_adapter, priority=PRIORITY_DATASETS + 10, builtin=True
)
