"""The built-in data adapters, one module per kind of input, each registered on import.

Importing this package registers every built-in kind in
:mod:`torchbridge.training.adapter_registry`, which tries them by priority:
:mod:`.py_dataset` (``keras.utils.PyDataset``), then packages' adapters, then
:mod:`.iterable` (torchbridge pipelines), :mod:`.tf_data`, :mod:`.grain_dataset`,
:mod:`.iterable` again (torch ``DataLoader`` / ``Dataset``), :mod:`.generator`,
:mod:`.iterable` (other iterables) and last :mod:`.array` (everything else).
:mod:`.batches` holds what they share: batch forms and the conversion to tensors.
"""

from __future__ import annotations

from torchbridge.training.adapters import (
    array,
    batches,
    generator,
    grain_dataset,
    iterable,
    py_dataset,
    tf_data,
)

__all__ = ["array", "batches", "generator", "grain_dataset", "iterable", "py_dataset", "tf_data"]
