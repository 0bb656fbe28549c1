"""Former home of the ``PyDataset`` adapter, kept so that old imports keep working.

The adapter lives in :mod:`torchbridge.training.adapters.py_dataset`.
"""

from __future__ import annotations

from torchbridge.training.adapters.py_dataset import PyDatasetAdapter, make_py_dataset_adapter

__all__ = ["PyDatasetAdapter", "make_py_dataset_adapter"]
