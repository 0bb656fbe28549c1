"""Turn what users pass to ``fit``/``evaluate``/``predict`` into batches of tensors.

One adapter per kind of input, all with the same small interface
(:class:`DataAdapter`): ``num_batches`` (or ``None`` if unknown) and
``iter_epoch(epoch)`` yielding each batch in the form Keras 3 hands it to
``train_step`` / ``test_step`` / ``predict_step`` (tensors inside):

* arrays: ``x`` alone when there is no ``y`` (``(x,)`` if ``x`` is a list or
  tuple of inputs), ``(x, y)``, or ``(x, y, sample_weight)`` when there are
  sample or class weights (:func:`pack_x_y_sample_weight`);
* a dataset, loader or generator: each element as it comes — ``x``,
  ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` — with a list at the top
  made a tuple (a ``DataLoader`` collates ``(x, y)`` samples into ``[x, y]``).

Steps read a batch with :func:`unpack_x_y_sample_weight`; a custom step may
write ``x, y = data`` as in Keras's guides.

* :class:`ArrayAdapter` — NumPy arrays / torch tensors (nested in lists,
  tuples, dicts). The shuffle order of epoch *e* is a pure function of
  ``(seed, e)``, so resuming at an epoch reproduces the same order.
* :class:`IterableAdapter` — a torch ``Dataset`` / ``DataLoader`` or any
  re-iterable of batches (e.g. a torchbridge Dataset later).
* :class:`GeneratorAdapter` — a one-shot Python generator/iterator of batches.
* Any other type a package registered an adapter for in
  :mod:`torchbridge.training.adapter_registry` (a Hugging Face
  ``datasets.Dataset``: :mod:`torchbridge.hf.dataset_adapter`) goes to that
  adapter; registered adapters are tried first. This module imports nothing
  above ``training``.

``make_adapter`` picks one; ``split_validation`` implements Keras's
``validation_split`` (the last fraction of the arrays, taken before shuffling).
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

import numpy as np
import torch
from torch.utils.data import DataLoader
from torch.utils.data import Dataset as TorchDataset
from torch.utils.data import IterableDataset as TorchIterableDataset

from torchbridge.errors import InputError
from torchbridge.training.adapter_registry import AdapterOptions, find_data_adapter
from torchbridge.training.foreign_data import (
    convert_foreign_leaf,
    is_foreign_array,
    is_tf_dataset,
    tf_dataset_cardinality,
)
from torchbridge.utils import nest

__all__ = [
    "Batch",
    "DataAdapter",
    "ArrayAdapter",
    "IterableAdapter",
    "GeneratorAdapter",
    "make_adapter",
    "split_validation",
    "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight",
    "to_tensors",
    "class_weight_to_sample_weight",
]

Batch = tuple[Any, Any, Any]  # (x, y, sample_weight), unpacked
StepData = Any  # a batch as a step receives it: x, (x,), (x, y) or (x, y, sample_weight)


class DataAdapter(Protocol):
    num_batches: int | None

    def iter_epoch(self, epoch: int) -> Iterator[StepData]: ...


def _arity_error(n: int) -> InputError:
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
    raise _arity_error(len(data))


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


def _num_samples(structure: Any) -> set[int]:
    return {
        int(t.shape[0])
        for t in nest.flatten(structure)
        if isinstance(t, (torch.Tensor, np.ndarray)) and t.ndim > 0
    }


def _take(t: Any, order: torch.Tensor) -> Any:
    if isinstance(t, torch.Tensor):
        return t.index_select(0, order)
    if isinstance(t, np.ndarray):  # text
        return t[order.numpy()]
    return t


def _rows(t: Any, start: int, stop: int | None) -> Any:
    return t[start:stop] if isinstance(t, (torch.Tensor, np.ndarray)) else t


def _check_cardinality(x: Any, y: Any, sample_weight: Any) -> int:
    sizes = {
        name: _num_samples(part)
        for name, part in (("x", x), ("y", y), ("sample_weight", sample_weight))
    }
    all_sizes = set().union(*sizes.values())
    if len(all_sizes) > 1:
        detail = ", ".join(f"{k}: {sorted(v)}" for k, v in sizes.items() if v)
        raise InputError(
            f"Data cardinality is ambiguous: the arrays have different numbers of samples "
            f"({detail}). Make sure x, y and sample_weight all have the same first dimension."
        )
    if not all_sizes:
        raise InputError("x contains no arrays or tensors to train on.")
    return all_sizes.pop()


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


class ArrayAdapter:
    """Batches sliced from in-memory tensors; shuffled once per epoch with one gather."""

    def __init__(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        *,
        batch_size: int | None = None,
        shuffle: bool | str = False,
        seed: int | None = None,
        pin_memory: bool = False,
    ) -> None:
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.num_samples = _check_cardinality(x, y, sample_weight)
        self.batch_size = int(batch_size or 32)
        if self.batch_size <= 0:
            raise InputError(f"batch_size must be a positive integer, got {batch_size}.")
        self.shuffle = shuffle
        if seed is None:
            seed = int(torch.randint(0, 2**62, (1,)).item())  # follows torch.manual_seed
        self.seed = seed
        self.pin_memory = pin_memory
        self.num_batches: int | None = math.ceil(self.num_samples / self.batch_size)

    def _order(self, epoch: int) -> torch.Tensor | None:
        if not self.shuffle:
            return None
        g = torch.Generator().manual_seed(self.seed + epoch)
        if self.shuffle == "batch":  # Keras: shuffle whole batches, keep order inside
            starts = torch.randperm(self.num_batches or 0, generator=g) * self.batch_size
            return torch.cat(
                [
                    torch.arange(s, min(s + self.batch_size, self.num_samples))
                    for s in starts.tolist()
                ]
            )
        return torch.randperm(self.num_samples, generator=g)

    def iter_epoch(self, epoch: int) -> Iterator[StepData]:
        data = pack_x_y_sample_weight(self.x, self.y, self.sample_weight)
        order = self._order(epoch)
        if order is not None:
            # One gather per epoch, then contiguous slices: the same work a hand-written
            # loop over pre-shuffled tensors does.
            data = nest.map_structure(lambda t: _take(t, order), data)
        if self.pin_memory:
            data = nest.map_structure(
                lambda t: (
                    t.pin_memory() if isinstance(t, torch.Tensor) and t.device.type == "cpu" else t
                ),
                data,
            )
        bs, n = self.batch_size, self.num_samples
        # Fast paths (one input tensor, one target tensor or none): the batch is built
        # directly, with no walk over the structure.
        if isinstance(data, torch.Tensor):
            for i in range(0, n, bs):
                yield data[i : i + bs]
            return
        if type(data) is tuple and len(data) == 2:
            x, y = data
            if isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor):
                for i in range(0, n, bs):
                    yield x[i : i + bs], y[i : i + bs]
                return
        for i in range(0, n, bs):
            yield nest.map_structure(lambda t, i=i: _rows(t, i, i + bs), data)


class _ClassWeighter:
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


class _ClassWeightedBatches:
    """Batches of a re-iterable source with ``class_weight`` turned into sample weights, as
    Keras maps a ``tf.data.Dataset``."""

    def __init__(self, source: Iterable[Any], class_weight: Mapping[int, float]) -> None:
        self.source, self.weigh = source, _ClassWeighter(class_weight)

    def __iter__(self) -> Iterator[Any]:
        for element in self.source:
            batch = _standardize_batch(element)
            yield self.weigh(*(batch if isinstance(batch, tuple) else (batch,)))


_PARTS = ("x", "y", "sample_weight")


def _standardize_batch(element: Any) -> StepData:
    """An element of a dataset / loader / generator with its arrays made tensors; its
    packing (``x``, ``(x,)``, ``(x, y)``, ``(x, y, sw)``) is kept, a top-level list made a
    tuple."""
    if isinstance(element, list) or (
        isinstance(element, tuple) and not hasattr(element, "_fields")
    ):
        if not 1 <= len(element) <= 3:
            raise _arity_error(len(element))
        return tuple(to_tensors(part, what) for part, what in zip(element, _PARTS))
    return to_tensors(element, "x")


class IterableAdapter:
    """A re-iterable source of batches: a DataLoader, or a torch Dataset we batch."""

    def __init__(self, source: Iterable[Any], num_batches: int | None = None) -> None:
        self.source = source
        self.num_batches = num_batches
        self.infinite = False

    def iter_epoch(self, epoch: int) -> Iterator[StepData]:
        for element in self.source:
            yield _standardize_batch(element)


class GeneratorAdapter:
    """A one-shot iterator of batches: consumed continuously across epochs."""

    def __init__(self, iterator: Iterator[Any]) -> None:
        self.iterator = iterator
        self.num_batches: int | None = None

    def iter_epoch(self, epoch: int) -> Iterator[StepData]:
        for element in self.iterator:
            yield _standardize_batch(element)


def _is_generator(x: Any) -> bool:
    return isinstance(x, (types.GeneratorType, Iterator)) and not isinstance(
        x, (torch.Tensor, np.ndarray)
    )


def make_adapter(
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    *,
    batch_size: int | None = None,
    shuffle: bool | str = False,
    class_weight: Mapping[int, float] | None = None,
    pin_memory: bool = False,
    for_what: str = "fit",
) -> DataAdapter:
    """Pick the adapter for ``x`` (and ``y``/``sample_weight`` for in-memory data)."""
    if x is None:
        raise InputError(f"{for_what}() needs data: pass x (and y), a DataLoader or a generator.")
    from torchbridge.data.dataset import Dataset as PipelineDataset
    from torchbridge.utils.py_dataset import PyDataset

    if isinstance(x, PyDataset):  # keras.utils.PyDataset: batches by index, epoch hooks
        from torchbridge.training.py_dataset_adapter import make_py_dataset_adapter

        options = AdapterOptions(batch_size, shuffle, class_weight, pin_memory, for_what)
        return make_py_dataset_adapter(x, y, sample_weight, options)
    registered = find_data_adapter(x)
    if registered is not None:
        options = AdapterOptions(batch_size, shuffle, class_weight, pin_memory, for_what)
        return registered.factory(x, y, sample_weight, options)
    if isinstance(x, PipelineDataset):  # already batched: elements are (x, y[, sw]) batches
        if y is not None or sample_weight is not None:
            raise InputError(
                "When x is a torchbridge.data.Dataset, its elements carry the targets: yield "
                "(x, y) or (x, y, sample_weight) batches and do not pass y or sample_weight "
                "to fit()."
            )
        if class_weight is not None:  # as Keras does for a tf.data.Dataset
            x = x.map(_ClassWeighter(class_weight))
        n = x.cardinality()
        adapter = IterableAdapter(x, n if n >= 0 else None)
        adapter.infinite = n == -1
        return adapter
    streaming = isinstance(x, (DataLoader, TorchDataset)) or _is_generator(x)
    if not streaming and not isinstance(x, (np.ndarray, torch.Tensor, Mapping, list, tuple)):
        streaming = hasattr(x, "__iter__") and not is_foreign_array(x)
    if streaming:
        if y is not None or sample_weight is not None:
            raise InputError(
                f"When x is a {type(x).__name__}, it must yield (x, y) or (x, y, sample_weight) "
                "itself; do not pass y or sample_weight separately."
            )
        if is_tf_dataset(x):  # a tf.data.Dataset: one pass per epoch, as Keras iterates it
            n = tf_dataset_cardinality(x)
            source = x if class_weight is None else _ClassWeightedBatches(x, class_weight)
            adapter = IterableAdapter(source, None if n == -1 else n)
            adapter.infinite = n == -1
            return adapter
        if class_weight is not None:
            raise InputError(
                "class_weight is supported for in-memory arrays only; for a "
                f"{type(x).__name__}, yield (x, y, sample_weight) with the weights you want."
            )
        if isinstance(x, DataLoader):
            return IterableAdapter(x, _safe_len(x))
        if isinstance(x, TorchDataset):
            loader = DataLoader(
                x,
                batch_size=batch_size or 32,
                shuffle=bool(shuffle) and not isinstance(x, TorchIterableDataset),
                pin_memory=pin_memory,
            )
            return IterableAdapter(loader, _safe_len(loader))
        if _is_generator(x):
            return GeneratorAdapter(iter(x))
        return IterableAdapter(x, _safe_len(x))

    if _is_number_rows(x):
        raise InputError(
            f"x is a Python list of {len(x)} lists of numbers. A list passed as x holds several "
            "inputs (one per model input), so it is not read as one array, as in Keras 3. "
            "Pass np.asarray(x) for a single input."
        )
    x = to_tensors(x, "x")
    y = to_tensors(y, "y")
    sample_weight = to_tensors(sample_weight, "sample_weight")
    if class_weight is not None:
        if sample_weight is not None:
            raise InputError(
                "Pass either class_weight or sample_weight, not both (Keras rule): fold the "
                "class weights into sample_weight yourself if you need both."
            )
        if y is None:
            raise InputError("class_weight needs targets y.")
        sample_weight = class_weight_to_sample_weight(y, class_weight)
    return ArrayAdapter(
        x, y, sample_weight, batch_size=batch_size, shuffle=shuffle, pin_memory=pin_memory
    )


def _is_number_rows(x: Any) -> bool:
    """A list of lists of Python numbers (``array.tolist()``), which Keras refuses as ``x``."""
    return (
        isinstance(x, list)
        and len(x) > 1
        and all(
            isinstance(row, (list, tuple))
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)
            for row in x[:8]
        )
    )


def _safe_len(obj: Any) -> int | None:
    try:
        return len(obj)
    except TypeError:
        return None


def split_validation(
    x: Any, y: Any, sample_weight: Any, validation_split: float
) -> tuple[Batch, Batch]:
    """Keras's ``validation_split``: the last fraction of the samples, before shuffling."""
    if not 0.0 < validation_split < 1.0:
        raise InputError(f"validation_split must be in (0, 1), got {validation_split}.")
    if is_foreign_array(x):  # a DataFrame, a tf.Tensor ...: arrays, split as arrays
        x = to_tensors(x, "x")
    registered = find_data_adapter(x)
    if registered is not None and registered.split is not None:
        return registered.split(x, y, sample_weight, validation_split)
    if (
        registered is not None
        or _is_generator(x)
        or isinstance(x, (DataLoader, TorchDataset))
        or (not isinstance(x, (np.ndarray, torch.Tensor, Mapping, list, tuple)))
    ):
        raise InputError(
            "validation_split is only supported for NumPy arrays, tensors and a "
            "datasets.Dataset, not for a "
            f"{type(x).__name__}: the data cannot be split without reading it. Pass "
            "validation_data=(x_val, y_val) or a separate DataLoader instead."
        )
    data = (to_tensors(x, "x"), to_tensors(y, "y"), to_tensors(sample_weight, "sample_weight"))
    n = _check_cardinality(*data)
    split_at = math.floor(n * (1.0 - validation_split))
    if split_at in (0, n):
        raise InputError(
            f"Training data contains {n} samples, which is not enough to split off "
            f"validation_split={validation_split}. Provide more data or a different split."
        )
    train = nest.map_structure(lambda t: _rows(t, 0, split_at), data)
    val = nest.map_structure(lambda t: _rows(t, split_at, None), data)
    return train, val
