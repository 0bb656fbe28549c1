"""Keras's ``build`` contract: a layer is built once its ``build()`` has returned.

Keras wraps every layer class's ``build`` so that calling it — from the first
``__call__``, from ``build_from_config``, or directly, as composite layers do
with ``self.dense.build(shape)`` — marks the layer built and records the
shapes for its build config. :func:`wrap_build` does the same for each
subclass of ``Layer`` (from ``Layer.__init_subclass__``): the outermost
``build`` of a call chain (a subclass's ``super().build(...)`` is inner)
finishes the layer through ``Layer._finish_build``. :class:`BuildConfigMixin`
holds Keras's ``get_build_config`` / ``build_from_config`` saving hooks.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["BuildConfigMixin", "build_shapes", "shape_from_config", "wrap_build"]


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


class BuildConfigMixin:
    """Keras's build-config saving hooks for ``Layer`` (which provides ``built``,
    ``_build_input_shape`` and ``_run_build``)."""

    built: bool
    _build_input_shape: Any
    _run_build: Callable[..., None]

    def get_build_config(self) -> dict[str, Any] | None:
        """Keras's build config: ``{"input_shape": ...}`` once built by a call (or
        ``build_from_shape``), ``{"shapes_dict": ...}`` for a multi-input ``build``,
        else ``None``. ``build_from_config`` reads it back."""
        named = self.__dict__.get("_build_shapes_dict")
        if named is not None:
            return {"shapes_dict": dict(named)}
        if not self.built or self._build_input_shape is None:
            return None
        return {"input_shape": self._build_input_shape}

    def build_from_config(self, config: dict[str, Any] | None) -> None:
        """Build from :meth:`get_build_config`'s dict (a JSON round trip's lists are fine);
        nothing happens for an empty config or a layer already built."""
        if not config or self.built:
            return
        if "input_shape" in config:
            self._run_build(shape_from_config(config["input_shape"]))
        elif "shapes_dict" in config:
            named = {k: shape_from_config(v) for k, v in config["shapes_dict"].items()}
            self._run_build(None, named)


def shape_from_config(shape: Any) -> Any:
    """A shape read back from a config (JSON lists) in the form a build gets: a tuple,
    or a list / dict of them for several inputs."""
    if isinstance(shape, dict):
        return {k: shape_from_config(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and any(isinstance(d, (list, tuple, dict)) for d in shape):
        return [shape_from_config(d) for d in shape]
    if isinstance(shape, (list, tuple)):
        return tuple(shape)
    return shape
