"""Keras's ``build`` contract: a layer is built once its ``build()`` has returned.

Keras wraps every layer class's ``build`` so that calling it — from the first
``__call__``, from ``build_from_config``, or directly, as composite layers do
with ``self.dense.build(shape)`` — marks the layer built and records the
shapes for its build config. :func:`wrap_build` does the same for each
subclass of ``Layer`` (from ``Layer.__init_subclass__``): the outermost
``build`` of a call chain (a subclass's ``super().build(...)`` is inner)
finishes the layer through ``Layer._finish_build``.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

__all__ = ["wrap_build", "build_shapes"]


def wrap_build(cls: type) -> None:
    """Wrap ``cls.build`` (when the class defines one) so a finished build marks the layer."""
    build = cls.__dict__.get("build")
    if build is None or getattr(build, "_finishes_layer", False):
        return

    @functools.wraps(build)
    def build_and_finish(self: Any, *args: Any, **kwargs: Any) -> Any:
        outermost = not self.__dict__.get("_building", False)
        self.__dict__["_building"] = True
        try:
            result = build(self, *args, **kwargs)
        finally:
            if outermost:
                self.__dict__["_building"] = False
        if outermost:
            self._finish_build(*build_shapes(build, self, args, kwargs))
        return result

    build_and_finish._finishes_layer = True  # type: ignore[attr-defined]
    cls.build = build_and_finish  # type: ignore[attr-defined]


def build_shapes(
    build: Any, layer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, dict[str, Any] | None]:
    """What Keras's build config records: the one input shape, or the shapes by argument
    name for a ``build(query_shape, value_shape, ...)`` signature."""
    if len(args) == 1 and not kwargs:
        return args[0], None
    bound = inspect.signature(build).bind(layer, *args, **kwargs)
    named = {k: v for k, v in list(bound.arguments.items())[1:] if v is not None}
    return None, named
