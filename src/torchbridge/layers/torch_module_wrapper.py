"""Keras's ``TorchModuleWrapper``: any ``torch.nn.Module`` used as a layer.

The module stays as it is (``wrapper.module``, a submodule: ``state_dict`` keys
are ``module.<its keys>``); its parameters are the layer's weights, in
``module.parameters()`` order (floating-point buffers such as BatchNorm's
running statistics follow each submodule's parameters, as for any plain module
in torchbridge). ``training=False`` puts the module in ``eval()`` mode, any other
call in ``train()`` mode, as Keras's torch backend does. The config carries the
pickled module (base64), so loading it needs unsafe deserialization, as in Keras.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import torch
from torch import nn

from torchbridge.errors import InputError
from torchbridge.layers.layer import Layer

__all__ = ["TorchModuleWrapper"]


class TorchModuleWrapper(Layer):
    """Keras's ``TorchModuleWrapper(module, name=None, output_shape=None)``."""

    def __init__(
        self, module: nn.Module, name: str | None = None, output_shape: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(name=name, **kwargs)
        if not isinstance(module, nn.Module):
            raise InputError(
                f"TorchModuleWrapper: `module` must be a torch.nn.Module, got "
                f"{type(module).__name__}."
            )
        lazy = isinstance(module, nn.modules.lazy.LazyModuleMixin)
        if lazy and module.has_uninitialized_params():  # type: ignore[union-attr,operator]
            raise InputError(
                "TorchModuleWrapper: lazy modules must be initialized before wrapping (run "
                f"the module once on an example input). Received: {type(module).__name__}."
            )
        self.module = module
        self.output_shape = output_shape
        self.built = True

    def call(self, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        self.module.train(training is not False)
        return self.module(*args, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self.output_shape is None:
            return super().compute_output_shape(input_shape)
        return self.output_shape

    def get_config(self) -> dict[str, Any]:
        buffer = io.BytesIO()
        torch.save(self.module, buffer)
        encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
        return {**super().get_config(), "module": encoded, "output_shape": self.output_shape}

    @classmethod
    def from_config(cls, config: dict[str, Any], safe_mode: bool | None = None) -> Any:
        from torchbridge.layers.lambda_code import _unsafe_allowed

        config = dict(config)
        if isinstance(config.get("module"), str):
            if safe_mode is not False and not _unsafe_allowed():
                raise InputError(
                    "TorchModuleWrapper: its config holds a pickled torch.nn.Module, and "
                    "unpickling can run arbitrary code, so it is refused by default. If you "
                    "trust the file, load it with safe_mode=False or call "
                    "keras.config.enable_unsafe_deserialization()."
                )
            raw = base64.b64decode(config["module"].encode("ascii"))
            config["module"] = torch.load(io.BytesIO(raw), weights_only=False)
        return cls(**config)
