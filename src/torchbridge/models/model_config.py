"""Keras's config side of ``Model``: what a model says about itself as data.

:class:`ModelConfigMixin` holds ``get_config`` / ``from_config`` (a subclass's
constructor arguments, recorded automatically when they are plain data),
``to_json``, ``get_build_config`` / ``build_from_config`` (the input shapes
the model was first called on) and ``get_compile_config`` /
``compile_from_config`` (the ``compile`` arguments in Keras's layout). The
layouts themselves live in :mod:`torchbridge.saving.serialization` and
:mod:`torchbridge.saving.compile_config`.
"""

from __future__ import annotations

import inspect
import json
import warnings
from typing import Any

import torch

from torchbridge.layers.symbolic import probe_from_spec
from torchbridge.utils.modes import evaluation_mode

__all__ = ["DEFAULT_GET_CONFIGS", "ModelConfigMixin"]


def _spec_from_shape(config: Any) -> Any:
    """Keras's build ``input_shape`` (a shape list, or nested shapes) as an input spec."""
    if isinstance(config, (list, tuple)) and all(d is None or isinstance(d, int) for d in config):
        return {"shape": list(config), "dtype": "float32"}
    if isinstance(config, (list, tuple)):
        return [_spec_from_shape(c) for c in config]
    if isinstance(config, dict) and not ("shape" in config and "dtype" in config):
        return {k: _spec_from_shape(v) for k, v in config.items()}
    return config


class ModelConfigMixin:
    """Config, JSON, build-config and compile-config methods of ``Model``."""

    name: Any
    trainable: Any
    compiled: Any
    _build_config: Any

    def get_config(self) -> dict[str, Any]:
        """Keras's model config: a subclass's constructor arguments, recorded automatically
        when they are plain data (as Keras 3 does); otherwise override ``get_config``."""
        params = inspect.signature(type(self).__init__).parameters
        accepts_name = "name" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
        base = {"name": self.name, "trainable": self.trainable} if accepts_name else {}
        auto = self.__dict__.get("_auto_config")
        if auto is None:
            raise NotImplementedError(
                f"{type(self).__name__} has constructor arguments that are not plain data, so "
                "its config cannot be recorded automatically: override get_config() to return "
                "them (and, to load it by name, use "
                "@torchbridge.saving.register_keras_serializable())."
            )
        return {**base, **auto}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Any:
        """The model ``get_config`` describes (``cls(**config)``)."""
        config = dict(config)
        config.pop("dtype", None)  # Keras's dtype policy of the model (weights keep theirs)
        params = inspect.signature(cls.__init__).parameters
        trainable = True
        if "trainable" not in params and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            trainable = config.pop("trainable", True)
        model = cls(**config)
        if not trainable:
            model.trainable = False
        return model

    def to_json(self, **kwargs: Any) -> str:
        """The model's config as a JSON string (Keras's layout; ``kwargs`` go to
        ``json.dumps``). ``torchbridge.models.model_from_json`` reads it back."""
        from torchbridge.saving.serialization import serialize_keras_object

        return json.dumps(serialize_keras_object(self), **kwargs)

    def get_build_config(self) -> dict[str, Any] | None:
        """Keras's build config: the inputs the model was first called on (``None`` before)."""
        if self._build_config is None:
            return None
        return {"input_shape": self._build_config}

    def build_from_config(self, config: Any) -> None:
        """Create lazily built weights by calling the model once on zeros of the shapes in
        ``config`` (Keras's ``{"input_shape": ...}``; a shape list means float32 inputs)."""
        if isinstance(config, dict) and "input_shape" in config:
            config = config["input_shape"]
        if config is None:
            return
        config = _spec_from_shape(config)
        with evaluation_mode(self), torch.no_grad():  # type: ignore[arg-type]
            self(probe_from_spec(config))  # type: ignore[operator]

    def get_compile_config(self) -> dict[str, Any] | None:
        """The ``compile`` arguments as JSON data in Keras's layout (``{}`` when not
        compiled; ``None`` when one of them is not data, e.g. a torch loss module)."""
        if not self.compiled:
            return {}
        from torchbridge.saving.compile_config import serialize_compile_config

        return serialize_compile_config(self)

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Compile with what :meth:`get_compile_config` returned (a subclass that overrides
        ``compile`` is left uncompiled, with a warning, as in Keras)."""
        if not config:
            return
        from torchbridge.models.model import Model
        from torchbridge.saving.compile_config import deserialize_compile_config

        if type(self).compile is not Model.compile:  # type: ignore[attr-defined]
            warnings.warn(
                "`compile()` was not called as part of model loading because the model's "
                "`compile()` method is custom. All subclassed Models that have `compile()` "
                "overridden should also override `get_compile_config()` and "
                "`compile_from_config(config)`. Alternatively, you can call `compile()` "
                "manually after loading.",
                stacklevel=2,
            )
            return
        self.compile(**deserialize_compile_config(config))  # type: ignore[attr-defined]


#: ``get_config`` methods that record a subclass's constructor arguments (Functional adds its own).
DEFAULT_GET_CONFIGS: set[Any] = {ModelConfigMixin.get_config}
