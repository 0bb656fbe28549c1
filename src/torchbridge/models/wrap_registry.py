"""The wrapper registry: which Model ``Model.wrap(module)`` builds for modules from packages above.

``Model.wrap`` gives any ``nn.Module`` the Keras API through
:class:`~torchbridge.models.wrapped.WrappedModel`. Some modules deserve a
richer wrapper that lives in a package above ``models`` (a
``transformers.PreTrainedModel`` gets :class:`torchbridge.hf.model.HFModel`).
Such a package *registers* its wrapper here, so ``models`` never imports it:

    register_wrapper("my_models", is_my_model, MyWrapper)

``torchbridge.hf.model`` registers ``HFModel`` when it is imported. A user who
wraps a transformers model without importing ``torchbridge.hf`` is covered by
a *lazy* entry, as in :mod:`torchbridge.training.adapter_registry` (whose
package detection this module shares): when no registered wrapper accepts
the module and a class in its MRO comes from the top-level package
``"transformers"``, the module named for it is imported (registering its
wrapper) and the lookup is repeated. Plain torch modules cost one walk over
their MRO.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from torch import nn

from torchbridge.errors import InputError
from torchbridge.training.adapter_registry import lazy_registrars

if TYPE_CHECKING:
    from torchbridge.models.model import Model

__all__ = [
    "RegisteredWrapper",
    "WrapperFactory",
    "find_wrapper",
    "register_lazy_wrapper",
    "register_wrapper",
    "registered_wrappers",
    "unregister_wrapper",
]


class WrapperFactory(Protocol):
    """Build the Model for ``module`` (``name`` as passed to ``Model.wrap``)."""

    def __call__(self, module: nn.Module, name: str | None = None) -> Model: ...


@dataclass(frozen=True)
class RegisteredWrapper:
    name: str
    accepts: Callable[[nn.Module], bool]
    factory: WrapperFactory


_wrappers: dict[str, RegisteredWrapper] = {}  # in registration order
# top-level package of a module's class -> the module whose import registers its wrapper
_lazy: dict[str, str] = {}


def register_wrapper(
    name: str, accepts: Callable[[nn.Module], bool], factory: WrapperFactory
) -> RegisteredWrapper:
    """Make ``Model.wrap(module)`` return ``factory(module, name=...)`` for every module with
    ``accepts(module)``. Wrappers are tried in order of registration, before the default
    :class:`~torchbridge.models.wrapped.WrappedModel`; registering a ``name`` again replaces
    it."""
    if not name or not callable(accepts) or not callable(factory):
        raise InputError(
            "register_wrapper(name, accepts, factory) needs a non-empty name, a predicate "
            "accepts(module) -> bool and a factory(module, name=None) -> Model; got "
            f"name={name!r}, accepts={accepts!r}, factory={factory!r}."
        )
    entry = RegisteredWrapper(name, accepts, factory)
    _wrappers.pop(name, None)
    _wrappers[name] = entry
    return entry


def unregister_wrapper(name: str) -> None:
    """Remove the wrapper registered as ``name`` (nothing happens if there is none)."""
    _wrappers.pop(name, None)


def registered_wrappers() -> list[str]:
    """The names of the registered wrappers, in the order they are tried."""
    return list(_wrappers)


def register_lazy_wrapper(package: str, module: str) -> None:
    """When a module whose class comes from the top-level ``package`` finds no wrapper,
    import ``module`` (whose import registers one) and look again."""
    _lazy[package] = module


def _match(module: nn.Module) -> RegisteredWrapper | None:
    for entry in _wrappers.values():
        if entry.accepts(module):
            return entry
    return None


def find_wrapper(module: nn.Module) -> RegisteredWrapper | None:
    """The registered wrapper for ``module``, importing a lazily named registrar if needed;
    ``None``: wrap it in the default ``WrappedModel``."""
    entry = _match(module) if _wrappers else None
    if entry is not None or not _lazy:
        return entry
    registrars = lazy_registrars(module, _lazy)
    if not registrars:
        return None
    for registrar in registrars:
        try:
            importlib.import_module(registrar)
        except ImportError as e:
            raise InputError(
                f"Wrapping a {type(module).__module__}.{type(module).__name__} needs "
                f"{registrar}, which failed to import ({e}). Install the extra that provides "
                "it (for transformers models: pip install 'torchbridge[hf]')."
            ) from e
    return _match(module)  # the imports registered their wrappers (a second import is a no-op)


# The packages whose models torchbridge wraps specially out of the box. Only names: nothing
# is imported until such a module reaches Model.wrap.
register_lazy_wrapper("transformers", "torchbridge.hf.model")
