"""The data-adapter registry: the one table that says how each kind of ``x`` becomes batches.

``fit`` / ``evaluate`` / ``predict`` (and ``validation_split``) look ``x`` up
here (:func:`adapter_for`) and hand it to the first entry whose ``accepts(x)``
is true; the training loop knows no kind of input. Each entry is one module's
``can_handle`` test, its factory ``factory(x, y, sample_weight, options) ->
DataAdapter`` and, where Keras allows ``validation_split`` for the kind, its
splitter. Entries are tried by ``priority`` (lower first), equal priorities
in order of registration:

====  ==========================================================================
  10  ``keras.utils.PyDataset`` (:mod:`~torchbridge.training.adapters.py_dataset`)
 100  packages' adapters (the default): Hugging Face ``datasets``
      (:mod:`torchbridge.hf.dataset_adapter`), a third party's types
 200  ``torchbridge.data.Dataset`` pipelines, then ``tf.data.Dataset`` (210),
      ``grain`` datasets and loaders (220), torch ``DataLoader`` (230), torch
      ``Dataset`` (240), generators and iterators (250), other iterables (260)
1000  arrays: everything else (:mod:`~torchbridge.training.adapters.array`)
====  ==========================================================================

so a package's adapter for an iterable type wins over the generic iterable
reading, and arrays are the default. The built-in entries live in
:mod:`torchbridge.training.adapters`, one module each; a package registers its
own with :func:`register_data_adapter`:

    register_data_adapter("my_dataset", is_my_dataset, make_my_adapter)

so the engine never imports a package above ``training`` (``torchbridge.hf``
registers its ``datasets`` adapter when it is imported).

A user who passes a ``datasets.Dataset`` to ``fit`` without ever importing
``torchbridge.hf`` is covered by a *lazy* entry: a top-level package name
(``"datasets"``) mapped to the module that registers its adapter
(``"torchbridge.hf.dataset_adapter"``). When only a built-in entry accepts
``x`` and a class in ``type(x).__mro__`` comes from such a package — read
from ``cls.__module__``, so the package itself is never imported here — the
named module is imported (it registers itself on its first import) and the
lookup is repeated. Types that come from nowhere lazy cost one walk over their MRO.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from torchbridge.errors import InputError

if TYPE_CHECKING:
    from torchbridge.training.adapters.batches import Batch, DataAdapter

__all__ = [
    "PRIORITY_ARRAYS",
    "PRIORITY_DATASETS",
    "PRIORITY_PACKAGES",
    "PRIORITY_PY_DATASET",
    "AdapterFactory",
    "AdapterOptions",
    "RegisteredAdapter",
    "ValidationSplitter",
    "adapter_for",
    "find_data_adapter",
    "lazy_registrars",
    "register_data_adapter",
    "register_lazy_data_adapter",
    "registered_data_adapters",
    "unregister_data_adapter",
    "validation_split_refused",
]

PRIORITY_PY_DATASET = 10
PRIORITY_PACKAGES = 100  # the default: packages' and third parties' adapters
PRIORITY_DATASETS = 200  # the built-in streaming kinds, 200-299
PRIORITY_ARRAYS = 1000  # the default reading, last


@dataclass(frozen=True)
class AdapterOptions:
    """What ``fit`` / ``evaluate`` / ``predict`` ask of an adapter besides the data."""

    batch_size: int | None = None
    shuffle: bool | str = False
    class_weight: Mapping[int, float] | None = None
    pin_memory: bool = False
    for_what: str = "fit"  # the calling method, for error messages


class AdapterFactory(Protocol):
    """Build the adapter for ``x`` (with the ``y`` / ``sample_weight`` passed beside it)."""

    def __call__(
        self, x: Any, y: Any, sample_weight: Any, options: AdapterOptions
    ) -> DataAdapter: ...


class ValidationSplitter(Protocol):
    """Keras's ``validation_split`` for ``x``: ``((x, y, sw) train, (x, y, sw) validation)``."""

    def __call__(
        self, x: Any, y: Any, sample_weight: Any, validation_split: float
    ) -> tuple[Batch, Batch]: ...


@dataclass(frozen=True)
class RegisteredAdapter:
    name: str
    accepts: Callable[[Any], bool]
    factory: AdapterFactory
    split: ValidationSplitter | None = None  # None: validation_split is refused for this type
    priority: int = PRIORITY_PACKAGES
    builtin: bool = False  # one of torchbridge.training.adapters


_adapters: dict[str, RegisteredAdapter] = {}  # in registration order
_order: list[RegisteredAdapter] = []  # the order they are tried in
_builtins_loaded = False
# top-level package of a type -> the module whose import registers its adapter
_lazy: dict[str, str] = {}


def register_data_adapter(
    name: str,
    accepts: Callable[[Any], bool],
    factory: AdapterFactory,
    *,
    split: ValidationSplitter | None = None,
    priority: int = PRIORITY_PACKAGES,
    builtin: bool = False,
) -> RegisteredAdapter:
    """Make ``fit`` / ``evaluate`` / ``predict`` read every ``x`` with ``accepts(x)`` through
    ``factory(x, y, sample_weight, options)``, and ``validation_split`` through
    ``split(x, y, sample_weight, fraction)`` (refused without one).

    Adapters are tried by ``priority``, lower first (see the module's table: the default
    comes before every built-in kind but ``PyDataset``), equal ones in order of
    registration; registering a ``name`` again replaces it (and moves it last among its
    priority). ``builtin`` marks torchbridge's own entries."""
    if not name or not callable(accepts) or not callable(factory):
        raise InputError(
            "register_data_adapter(name, accepts, factory) needs a non-empty name, a predicate "
            "accepts(x) -> bool and a factory(x, y, sample_weight, options) -> adapter; got "
            f"name={name!r}, accepts={accepts!r}, factory={factory!r}."
        )
    entry = RegisteredAdapter(name, accepts, factory, split, int(priority), builtin)
    _adapters.pop(name, None)
    _adapters[name] = entry
    _reorder()
    return entry


def _reorder() -> None:
    # sorted() is stable: equal priorities keep their order of registration
    _order[:] = sorted(_adapters.values(), key=lambda entry: entry.priority)


def unregister_data_adapter(name: str) -> None:
    """Remove the adapter registered as ``name`` (nothing happens if there is none)."""
    if _adapters.pop(name, None) is not None:
        _reorder()


def _load_builtins() -> None:
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        importlib.import_module("torchbridge.training.adapters")  # registers the built-ins


def registered_data_adapters() -> list[str]:
    """The names of the registered adapters (built-in ones included), in the order they are
    tried."""
    _load_builtins()
    return [entry.name for entry in _order]


def register_lazy_data_adapter(package: str, module: str) -> None:
    """When an ``x`` whose type comes from the top-level ``package`` finds no adapter, import
    ``module`` (whose import registers one) and look again."""
    _lazy[package] = module


def _match(x: Any) -> RegisteredAdapter | None:
    for entry in _order:
        if entry.accepts(x):
            return entry
    return None


def lazy_registrars(x: Any, lazy: Mapping[str, str]) -> list[str]:
    """The modules ``lazy`` (top-level package → registrar module) names for the packages
    that the classes in ``type(x).__mro__`` come from, read from ``cls.__module__`` (no
    package is imported). Shared with :mod:`torchbridge.models.wrap_registry`."""
    packages = {cls.__module__.partition(".")[0] for cls in type(x).__mro__}
    return [lazy[p] for p in sorted(packages) if p in lazy]


def adapter_for(x: Any) -> RegisteredAdapter | None:
    """The entry that reads ``x``: the first that accepts it, importing a lazily named
    registrar first when only a built-in entry does."""
    _load_builtins()
    entry = _match(x)
    if (entry is not None and not entry.builtin) or not _lazy:
        return entry
    modules = lazy_registrars(x, _lazy)
    if not modules:
        return entry
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as e:
            raise InputError(
                f"Reading a {type(x).__module__}.{type(x).__name__} needs {name}, which failed "
                f"to import ({e}). Install the extra that provides it (for Hugging Face "
                "datasets: pip install 'torchbridge[hf]'), or pass arrays or a DataLoader."
            ) from e
    return _match(x)  # the imports registered their adapters (a second import is a no-op)


def find_data_adapter(x: Any) -> RegisteredAdapter | None:
    """The adapter a package registered for ``x`` (``None`` when ``x`` is one of the built-in
    kinds), importing a lazily named registrar if needed."""
    entry = adapter_for(x)
    return None if entry is None or entry.builtin else entry


def validation_split_refused(x: Any) -> InputError:
    """The error for ``validation_split`` with an ``x`` whose adapter has no splitter."""
    return InputError(
        "validation_split is only supported for NumPy arrays, tensors and a "
        "datasets.Dataset, not for a "
        f"{type(x).__name__}: the data cannot be split without reading it. Pass "
        "validation_data=(x_val, y_val) or a separate DataLoader instead."
    )


# The optional packages torchbridge adapts out of the box. Only names: nothing is imported
# until such an object reaches fit/evaluate/predict.
register_lazy_data_adapter("datasets", "torchbridge.hf.dataset_adapter")
