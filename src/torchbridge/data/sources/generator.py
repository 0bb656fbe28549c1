"""``from_generator``: elements from a Python generator function.

``generator`` is called (with ``args``) each time the dataset is iterated, as
in tf.data. Elements are converted to tensors / strings; when
``output_signature`` (objects with a ``dtype``, e.g. ``tf.TensorSpec``) or
``output_types`` (dtypes: ``torch.float32``, ``"float32"``, ``tf.float32``) are
given, numeric components are cast to those dtypes, and a component whose shape does
not fit the signature's (``None`` dimensions match any size) is an error, as in tf.data.
A generator cannot be snapshotted, so state is the number of elements consumed, and
``set_state`` replays the generator and skips that many (exact when the
generator is deterministic).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from torchbridge.data.dataset import Dataset
from torchbridge.data.structure import leaf_shape, to_structure
from torchbridge.errors import InputError
from torchbridge.utils import nest

__all__ = ["GeneratorDataset"]


def _torch_dtype(spec: Any) -> torch.dtype | None:
    """A torch dtype from a dtype-like or a spec with ``.dtype`` (None: leave as is)."""
    if spec is None:
        return None
    dtype = getattr(spec, "dtype", spec)
    if isinstance(dtype, torch.dtype):
        return dtype
    name = getattr(dtype, "name", dtype)
    if isinstance(name, str) and isinstance(getattr(torch, name, None), torch.dtype):
        return getattr(torch, name)
    return None  # strings and unknown kinds are not cast


def _spec_shape(spec: Any) -> tuple[int | None, ...] | None:
    """The spec's shape as a tuple (``None``: unknown dims); ``None`` when unknown rank."""
    shape = getattr(spec, "shape", None)
    if shape is None:
        return None
    try:
        return tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):  # tf.TensorShape(None): unknown rank
        return None


def _caster(signature: Any) -> Callable[[Any], Any] | None:
    """Cast components to the signature's dtypes and check their shapes (as tf.data)."""
    if signature is None:
        return None
    leaves = nest.flatten(signature)
    dtypes = [_torch_dtype(leaf) for leaf in leaves]
    shapes = [_spec_shape(leaf) for leaf in leaves]
    if all(d is None for d in dtypes) and all(s is None for s in shapes):
        return None

    def cast(element: Any) -> Any:
        flat = nest.flatten(element)
        if len(flat) != len(dtypes):
            raise InputError(
                f"from_generator: an element has {len(flat)} components but the given "
                f"signature has {len(dtypes)}."
            )
        out = [
            x.to(d) if d is not None and isinstance(x, torch.Tensor) and x.dtype != d else x
            for x, d in zip(flat, dtypes)
        ]
        for x, want in zip(out, shapes):
            got = leaf_shape(x)
            if want is not None and (
                len(got) != len(want) or any(w is not None and w != g for g, w in zip(got, want))
            ):
                raise InputError(
                    f"`generator` yielded an element of shape {got} where an element of shape "
                    f"{tuple(want)} was expected (output_signature)."
                )
        return nest.pack_sequence_as(element, out)

    return cast


class _GeneratorIterator:
    def __init__(
        self, factory: Callable[[], Any], cast: Callable[[Any], Any] | None = None
    ) -> None:
        self._factory = factory
        self._cast = cast
        self._it = iter(factory())
        self._count = 0

    def __iter__(self) -> _GeneratorIterator:
        return self

    def __next__(self) -> Any:
        element = next(self._it)
        self._count += 1
        element = to_structure(element)
        return element if self._cast is None else self._cast(element)

    def get_state(self) -> dict[str, Any]:
        return {"consumed": self._count}

    def set_state(self, state: dict[str, Any]) -> None:
        self._it = iter(self._factory())
        self._count = 0
        for _ in range(int(state["consumed"])):
            next(self._it)
            self._count += 1


class GeneratorDataset(Dataset):
    def __init__(
        self,
        generator: Callable[..., Any],
        args: Sequence[Any] | None = None,
        signature: Any = None,
    ) -> None:
        if not callable(generator):
            raise TypeError(
                "from_generator takes a generator *function* (called on each iteration), got "
                f"{type(generator).__name__}; pass `lambda: gen` only if gen can be re-created."
            )
        self._generator = generator
        self._args = tuple(args or ())
        self._cast = _caster(signature)

    def _iterator(self) -> _GeneratorIterator:
        return _GeneratorIterator(lambda: self._generator(*self._args), self._cast)
