"""Re-iterable sources of batches: torchbridge pipelines, torch ``DataLoader`` / ``Dataset``, iterables.

:class:`IterableAdapter` reads one pass of its source per epoch, each element a
batch kept in its packing (``x``, ``(x,)``, ``(x, y)``, ``(x, y, sw)``). Four
registry entries use it:

* a ``torchbridge.data.Dataset`` pipeline (already batched; ``class_weight`` is
  mapped into its batches as Keras maps a ``tf.data.Dataset``; ``repeat()``
  without a count is infinite and needs ``steps_per_epoch``);
* a torch ``DataLoader`` (its own batches, its length when it has one);
* a torch ``Dataset`` (batched by a ``DataLoader`` of ``batch_size``, shuffled
  when ``fit(shuffle=True)`` and it is map-style);
* any other iterable that is not an array (read as it comes).

Each refuses ``y`` / ``sample_weight`` beside it, the last three ``class_weight``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from torch.utils.data import DataLoader
from torch.utils.data import Dataset as TorchDataset
from torch.utils.data import IterableDataset as TorchIterableDataset

from torchbridge.errors import InputError
from torchbridge.training.adapter_registry import (
    PRIORITY_DATASETS,
    AdapterOptions,
    register_data_adapter,
)
from torchbridge.training.adapters.array import is_array_structure
from torchbridge.training.adapters.batches import (
    ClassWeighter,
    StepData,
    refuse_class_weight,
    refuse_separate_targets,
    standardize_batch,
)
from torchbridge.training.foreign_data import is_foreign_array

__all__ = [
    "IterableAdapter",
    "is_pipeline_dataset",
    "is_plain_iterable",
    "is_torch_dataloader",
    "is_torch_dataset",
    "safe_len",
]


class IterableAdapter:
    """A re-iterable source of batches: a DataLoader, or a torch Dataset we batch."""

    def __init__(self, source: Iterable[Any], num_batches: int | None = None) -> None:
        self.source = source
        self.num_batches = num_batches
        self.infinite = False

    def iter_epoch(self, epoch: int) -> Iterator[StepData]:
        for element in self.source:
            yield standardize_batch(element)


def safe_len(obj: Any) -> int | None:
    try:
        return len(obj)
    except TypeError:
        return None


# --- torchbridge.data.Dataset ------------------------------------------------------------------
def is_pipeline_dataset(x: Any) -> bool:
    from torchbridge.data.dataset import Dataset  # data sits beside training: imported late

    return isinstance(x, Dataset)


def _pipeline_adapter(x: Any, y: Any, sample_weight: Any, options: AdapterOptions) -> Any:
    if y is not None or sample_weight is not None:
        raise InputError(
            "When x is a torchbridge.data.Dataset, its elements carry the targets: yield "
            "(x, y) or (x, y, sample_weight) batches and do not pass y or sample_weight "
            "to fit()."
        )
    if options.class_weight is not None:  # as Keras does for a tf.data.Dataset
        x = x.map(ClassWeighter(options.class_weight))
    n = x.cardinality()
    adapter = IterableAdapter(x, n if n >= 0 else None)
    adapter.infinite = n == -1
    return adapter


# --- torch DataLoader / Dataset ----------------------------------------------------------------
def is_torch_dataloader(x: Any) -> bool:
    return isinstance(x, DataLoader)


def _dataloader_adapter(x: Any, y: Any, sample_weight: Any, options: AdapterOptions) -> Any:
    refuse_separate_targets(x, y, sample_weight)
    refuse_class_weight(x, options.class_weight)
    return IterableAdapter(x, safe_len(x))


def is_torch_dataset(x: Any) -> bool:
    return isinstance(x, TorchDataset)


def _torch_dataset_adapter(x: Any, y: Any, sample_weight: Any, options: AdapterOptions) -> Any:
    refuse_separate_targets(x, y, sample_weight)
    refuse_class_weight(x, options.class_weight)
    loader = DataLoader(
        x,
        batch_size=options.batch_size or 32,
        shuffle=bool(options.shuffle) and not isinstance(x, TorchIterableDataset),
        pin_memory=options.pin_memory,
    )
    return IterableAdapter(loader, safe_len(loader))


# --- any other iterable ------------------------------------------------------------------------
def is_plain_iterable(x: Any) -> bool:
    """Iterable and neither an array structure nor another library's array."""
    return not is_array_structure(x) and hasattr(x, "__iter__") and not is_foreign_array(x)


def _iterable_adapter(x: Any, y: Any, sample_weight: Any, options: AdapterOptions) -> Any:
    refuse_separate_targets(x, y, sample_weight)
    refuse_class_weight(x, options.class_weight)
    return IterableAdapter(x, safe_len(x))


_ENTRIES = (
    ("torchbridge_dataset", is_pipeline_dataset, _pipeline_adapter, 0),
    ("torch_dataloader", is_torch_dataloader, _dataloader_adapter, 30),
    ("torch_dataset", is_torch_dataset, _torch_dataset_adapter, 40),
    ("iterable", is_plain_iterable, _iterable_adapter, 60),
)
for _name, _accepts, _factory, _offset in _ENTRIES:
    register_data_adapter(
        _name, _accepts, _factory, priority=PRIORITY_DATASETS + _offset, builtin=True
    )
