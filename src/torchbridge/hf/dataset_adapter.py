"""``fit`` / ``evaluate`` / ``predict`` on Hugging Face ``datasets``: the engine's adapter for them.

Importing this module registers, in :mod:`torchbridge.training.adapter_registry`,
an adapter for ``datasets.Dataset`` / ``IterableDataset`` (and a clear error
for a ``DatasetDict``): the dataset becomes
:func:`torchbridge.hf.data.prepare_dataset` ``(ds, batch_size=...,
shuffle=...)`` — label column → ``y``, model input columns → the ``x`` dict,
dynamic padding — read through an :class:`IterableAdapter`; and
``validation_split`` takes the last rows, as for arrays.

``import torchbridge.hf`` imports this module; so does the engine, through
the registry's lazy entry for the ``datasets`` package, the first time such
an object reaches ``fit`` — the user need not import ``torchbridge.hf``.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from torchbridge.errors import InputError
from torchbridge.hf.data import hf_dataset_kind, prepare_dataset
from torchbridge.training.adapter_registry import AdapterOptions, register_data_adapter
from torchbridge.training.data_adapter import Batch, IterableAdapter

__all__ = ["NAME", "make_datasets_adapter", "split_datasets_dataset"]

NAME = "huggingface_datasets"


def _check_one_split_alone(x: Any, y: Any, sample_weight: Any) -> None:
    if hf_dataset_kind(x) == "dict":
        raise InputError(
            f"Got a {type(x).__name__} with the splits {list(x)}; pass one split, e.g. "
            "fit(ds['train'], validation_data=ds['validation'])."
        )
    if y is not None or sample_weight is not None:
        raise InputError(
            f"When x is a datasets.{type(x).__name__}, y comes from its label column ('label' "
            "or 'labels'); do not pass y or sample_weight. For another column, or a tokenizer's "
            "padding id, use torchbridge.hf.prepare_dataset(ds, tokenizer, label_column=...)."
        )


def make_datasets_adapter(
    x: Any, y: Any, sample_weight: Any, options: AdapterOptions
) -> IterableAdapter:
    """The batches of a ``datasets.Dataset`` / ``IterableDataset`` for fit/evaluate/predict."""
    _check_one_split_alone(x, y, sample_weight)
    seed = int(torch.randint(0, 2**62, (1,)).item())  # follows torch.manual_seed
    pipeline = prepare_dataset(
        x,
        batch_size=options.batch_size or 32,
        shuffle=bool(options.shuffle),
        seed=seed,
        class_weight=options.class_weight,
    )
    n = pipeline.cardinality()
    adapter = IterableAdapter(pipeline, n if n >= 0 else None)
    adapter.seed = seed  # type: ignore[attr-defined]
    return adapter


def split_datasets_dataset(
    x: Any, y: Any, sample_weight: Any, validation_split: float
) -> tuple[Batch, Batch]:
    """Keras's ``validation_split`` on a map-style ``datasets.Dataset``: its last rows."""
    _check_one_split_alone(x, y, sample_weight)
    if hf_dataset_kind(x) != "map":
        raise InputError(
            f"validation_split needs a map-style datasets.Dataset, not a {type(x).__name__}: a "
            "stream cannot be split without reading it. Pass validation_data=<a second "
            "dataset> instead."
        )
    n = len(x)
    split_at = math.floor(n * (1.0 - validation_split))
    if split_at in (0, n):
        raise InputError(
            f"The dataset has {n} rows, which is not enough to split off "
            f"validation_split={validation_split}. Provide more data or a different split."
        )
    return (x.select(range(split_at)), None, None), (x.select(range(split_at, n)), None, None)


def _is_datasets_object(x: Any) -> bool:
    return hf_dataset_kind(x) is not None


register_data_adapter(
    NAME, _is_datasets_object, make_datasets_adapter, split=split_datasets_dataset
)
