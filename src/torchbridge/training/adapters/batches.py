"""What every data adapter shares: the batch forms a step receives, and arrays made tensors.

A batch reaches ``train_step`` / ``test_step`` / ``predict_step`` in Keras 3's
form: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` with tensors
inside (:func:`pack_x_y_sample_weight`, :func:`unpack_x_y_sample_weight`).
:func:`to_tensors` turns NumPy arrays, number lists and other libraries' arrays
(:mod:`torchbridge.training.foreign_data`) into tensors, float ones float32 as
Keras casts inputs to ``floatx``; :func:`standardize_batch` does it to one
element of a dataset, loader or generator. :class:`DataAdapter` is the interface
every adapter of :mod:`torchbridge.training.adapters` implements, and
:func:`class_weight_to_sample_weight` Keras's ``class_weight`` rule.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.training.foreign_data import convert_foreign_leaf, is_foreign_array

__all__ = [
    "Batch",
    "StepData",
    "DataAdapter",
    "ClassWeighter",
    "ClassWeightedBatches",
    "arity_error",
    "class_weight_to_sample_weight",
    "pack_x_y_sample_weight",
    "refuse_class_weight",
    "refuse_separate_targets",
    "standardize_batch",
    "to_tensors",
    "unpack_x_y_sample_weight",
]

Batch = tuple[Any, Any, Any]  # (x, y, sample_weight), unpacked
StepData = Any  # a batch as a step receives it: x, (x,), (x, y) or (x, y, sample_weight)


class DataAdapter(Protocol):
    num_batches: int | None

    def iter_epoch(self, epoch: int) -> Iterator[StepData]: ...


def arity_error(n: int) -> InputError:
    return InputError(
        f"A batch must be x, (x,), (x, y) or (x, y, sample_weight); got a tuple of "
        f"{n} elements. Pack several inputs as a tuple or dict inside x: ((x1, x2), y)."
    )


def unpack_x_y_sample_weight(data: Any) -> Batch:
    """``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` → a 3-tuple (Keras's rule)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple) or hasattr(data, "_fields"):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise arity_error(len(data))


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> StepData:
    """The batch a step receives for in-memory ``x``, ``y``, ``sample_weight`` (Keras's form).

    No ``y``: ``x`` itself, or ``(x,)`` when ``x`` is a list/tuple of inputs (so it is not
    read as ``(x, y)``); then ``(x, y)``; with weights ``(x, y, sample_weight)``. Unlike
    Keras, weights without a ``y`` are kept: ``(x, None, sample_weight)``.
    """
    if sample_weight is not None:
        return (x, y, sample_weight)
    if y is not None:
        return (x, y)
    return (x,) if isinstance(x, (list, tuple)) else x


def _leaf_to_tensor(value: Any, what: str) -> Any:
    if not isinstance(value, (torch.Tensor, np.ndarray)) and value is not None:
        value = convert_foreign_leaf(value)  # pandas, SciPy sparse, tf.Tensor, __array__ ...
    if value is None or isinstance(value, torch.Tensor):
        if isinstance(value, torch.Tensor) and value.dtype == torch.float64:
            return value.float()
        return value
    if isinstance(value, (list, float, int, bool)) or np.isscalar(value):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OUS":
            # Text stays a NumPy array of str: a model whose Input has dtype="string"
            # (TextVectorization, StringLookup ...) takes it as it is.
            return value if value.dtype.kind == "O" else value.astype(object)
        if value.dtype.kind == "f" and value.dtype != np.float32:
            value = value.astype(np.float32)  # Keras casts float inputs to floatx
        value = value if value.flags.c_contiguous else np.ascontiguousarray(value)
        if not value.flags.writeable:  # a memmap or a read-only view (sklearn's checks)
            with warnings.catch_warnings():
                # shared, not copied: batches are gathered from it, never written to it
                warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
                return torch.from_numpy(value)
        return torch.from_numpy(value)
    return value


def to_tensors(structure: Any, what: str = "x") -> Any:
    """Convert every NumPy array / number list in a nested structure to a tensor.

    Float arrays become float32 (Keras casts inputs to ``floatx``); integer
    arrays keep their dtype. A top-level list of arrays is a list of inputs.
    """
    if isinstance(structure, Mapping):
        return {k: to_tensors(v, f"{what}[{k!r}]") for k, v in structure.items()}
    if isinstance(structure, (list, tuple)) and any(
        isinstance(v, (np.ndarray, torch.Tensor, Mapping, list, tuple)) or is_foreign_array(v)
        for v in structure
    ):
        return type(structure)(to_tensors(v, f"{what}[{i}]") for i, v in enumerate(structure))
    return _leaf_to_tensor(structure, what)


def class_weight_to_sample_weight(
    y: torch.Tensor, class_weight: Mapping[int, float]
) -> torch.Tensor:
    """Per-sample weights from ``class_weight`` (one-hot ``y`` is argmax-ed, as Keras)."""
    if not isinstance(y, torch.Tensor):
        raise InputError(
            "class_weight needs a single y tensor; for several outputs pass sample_weight instead."
        )
    labels = y
    if labels.ndim > 1:
        labels = labels.argmax(-1) if labels.shape[-1] != 1 else labels.squeeze(-1)
    labels = torch.round(labels.double()).long() if labels.is_floating_point() else labels.long()
    size = max(int(labels.max()) + 1 if labels.numel() else 0, max(class_weight) + 1)
    table = torch.ones(size, dtype=torch.float32)
    for k, w in class_weight.items():
        table[int(k)] = float(w)
    return table[labels]


_PARTS = ("x", "y", "sample_weight")


def standardize_batch(element: Any) -> StepData:
    """An element of a dataset / loader / generator with its arrays made tensors; its
    packing (``x``, ``(x,)``, ``(x, y)``, ``(x, y, sw)``) is kept, a top-level list made a
    tuple."""
    if isinstance(element, list) or (
        isinstance(element, tuple) and not hasattr(element, "_fields")
    ):
        if not 1 <= len(element) <= 3:
            raise arity_error(len(element))
        return tuple(to_tensors(part, what) for part, what in zip(element, _PARTS))
    return to_tensors(element, "x")


class ClassWeighter:
    """A ``Dataset.map`` function: ``(x, y)`` batches → ``(x, y, class weights of y)``."""

    def __init__(self, class_weight: Mapping[int, float]) -> None:
        self.class_weight = dict(class_weight)

    def __call__(self, *element: Any) -> Any:
        x, y, sample_weight = unpack_x_y_sample_weight(tuple(element))
        if y is None:
            raise InputError("class_weight needs targets: the dataset yields no y.")
        if sample_weight is not None:
            raise InputError(
                "Pass either class_weight or sample_weight, not both (Keras rule): the "
                "dataset already yields sample weights."
            )
        y = to_tensors(y, "y")
        return x, y, class_weight_to_sample_weight(y, self.class_weight)


class ClassWeightedBatches:
    """Batches of a re-iterable source with ``class_weight`` turned into sample weights, as
    Keras maps a ``tf.data.Dataset``."""

    def __init__(self, source: Iterable[Any], class_weight: Mapping[int, float]) -> None:
        self.source, self.weigh = source, ClassWeighter(class_weight)

    def __iter__(self) -> Iterator[Any]:
        for element in self.source:
            batch = standardize_batch(element)
            yield self.weigh(*(batch if isinstance(batch, tuple) else (batch,)))


def refuse_separate_targets(x: Any, y: Any, sample_weight: Any) -> None:
    """A source of batches carries its own targets and weights: ``y`` and ``sample_weight``
    passed beside it are refused."""
    if y is not None or sample_weight is not None:
        raise InputError(
            f"When x is a {type(x).__name__}, it must yield (x, y) or (x, y, sample_weight) "
            "itself; do not pass y or sample_weight separately."
        )


def refuse_class_weight(x: Any, class_weight: Mapping[int, float] | None) -> None:
    """``class_weight`` is refused for a source of batches that cannot map it in."""
    if class_weight is not None:
        raise InputError(
            "class_weight is supported for in-memory arrays only; for a "
            f"{type(x).__name__}, yield (x, y, sample_weight) with the weights you want."
        )
