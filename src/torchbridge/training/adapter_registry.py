"""The data-adapter registry: how the engine learns about input types from packages above it.

``fit`` / ``evaluate`` / ``predict`` turn their ``x`` into batches through a
:class:`~torchbridge.training.data_adapter.DataAdapter`. Arrays, tensors,
torch ``Dataset`` / ``DataLoader`` objects, generators and
``torchbridge.data.Dataset`` pipelines are handled by
:mod:`torchbridge.training.data_adapter` itself. Any other kind of input
(a Hugging Face ``datasets.Dataset``, a third party's dataset class) is
handled by an adapter *registered here* by the package that knows it:

    register_data_adapter("my_dataset", is_my_dataset, make_my_adapter)

so the engine never imports a package above ``training`` (``torchbridge.hf``
registers its ``datasets`` adapter when it is imported).

A user who passes a ``datasets.Dataset`` to ``fit`` without ever importing
``torchbridge.hf`` is covered by a *lazy* entry: a top-level package name
(``"datasets"``) mapped to the module that registers its adapter
(``"torchbridge.hf.dataset_adapter"``). When no registered adapter accepts
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
    from torchbridge.training.data_adapter import Batch, DataAdapter

__all__ = [
    "AdapterFactory",
    "AdapterOptions",
    "RegisteredAdapter",
    "ValidationSplitter",
    "find_data_adapter",
    "lazy_registrars",
    "register_data_adapter",
    "register_lazy_data_adapter",
    "registered_data_adapters",
    "unregister_data_adapter",
]


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


_adapters: dict[str, RegisteredAdapter] = {}  # in registration order
# top-level package of a type -> the module whose import registers its adapter
_lazy: dict[str, str] = {}


def register_data_adapter(
    name: str,
    accepts: Callable[[Any], bool],
    factory: AdapterFactory,
    *,
    split: ValidationSplitter | None = None,
) -> RegisteredAdapter:
    """Make ``fit`` / ``evaluate`` / ``predict`` read every ``x`` with ``accepts(x)`` through
    ``factory(x, y, sample_weight, options)``. Registered adapters are tried, in order of
    registration, before the built-in ones; registering a ``name`` again replaces it."""
    if not name or not callable(accepts) or not callable(factory):
        raise InputError(
            "register_data_adapter(name, accepts, factory) needs a non-empty name, a predicate "
            "accepts(x) -> bool and a factory(x, y, sample_weight, options) -> adapter; got "
            f"name={name!r}, accepts={accepts!r}, factory={factory!r}."
        )
    entry = RegisteredAdapter(name, accepts, factory, split)
    _adapters.pop(name, None)
    _adapters[name] = entry
    return entry


def unregister_data_adapter(name: str) -> None:
    """Remove the adapter registered as ``name`` (nothing happens if there is none)."""
    _adapters.pop(name, None)


def registered_data_adapters() -> list[str]:
    """The names of the registered adapters, in the order they are tried."""
    return list(_adapters)


def register_lazy_data_adapter(package: str, module: str) -> None:
    """When an ``x`` whose type comes from the top-level ``package`` finds no adapter, import
    ``module`` (whose import registers one) and look again."""
    _lazy[package] = module


def _match(x: Any) -> RegisteredAdapter | None:
    for entry in _adapters.values():
        if entry.accepts(x):
            return entry
    return None


def lazy_registrars(x: Any, lazy: Mapping[str, str]) -> list[str]:
    """The modules ``lazy`` (top-level package → registrar module) names for the packages
    that the classes in ``type(x).__mro__`` come from, read from ``cls.__module__`` (no
    package is imported). Shared with :mod:`torchbridge.models.wrap_registry`."""
    packages = {cls.__module__.partition(".")[0] for cls in type(x).__mro__}
    return [lazy[p] for p in sorted(packages) if p in lazy]


def find_data_adapter(x: Any) -> RegisteredAdapter | None:
    """The registered adapter for ``x``, importing a lazily named registrar if needed."""
    entry = _match(x) if _adapters else None
    if entry is not None or not _lazy:
        return entry
    modules = lazy_registrars(x, _lazy)
    if not modules:
        return None
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


# The optional packages torchbridge adapts out of the box. Only names: nothing is imported
# until such an object reaches fit/evaluate/predict.
register_lazy_data_adapter("datasets", "torchbridge.hf.dataset_adapter")
