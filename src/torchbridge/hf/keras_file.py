"""An :class:`~torchbridge.hf.HFModel` in a ``.keras`` file: its config names the checkpoint.

``HFModel.get_config()`` is ``{"name", "architecture", "transformers_config"}``:
the ``transformers`` model class (``"BertForTokenClassification"``) and its
``config.to_dict()``. ``HFModel.from_config`` builds that class from that config
(random weights; ``load_model`` then restores the file's weights, and its
``compile`` arguments and optimizer state). The class is looked up among
``transformers``' exported model classes only: nothing else named in a file is
imported. ``HFModel`` is registered as ``"torchbridge.hf>HFModel"``; the saving
registry imports :mod:`torchbridge.hf.model` when a file names it, so
``load_model`` works in a fresh process without ``import torchbridge.hf``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from torchbridge.errors import SavedFormatError
from torchbridge.hf._imports import is_pretrained_model, require_transformers

__all__ = ["hf_model_config", "build_hf_module"]


def hf_model_config(module: nn.Module, name: str) -> dict[str, Any]:
    """The JSON config of a wrapped ``transformers`` model (architecture + its config)."""
    config: Any = getattr(module, "config", None)
    if config is None:
        raise NotImplementedError(
            f"{type(module).__name__} has no transformers config, so it cannot be saved as a "
            "config: use model.save_weights(...) or module.save_pretrained(dir)."
        )
    return {
        "name": name,
        "architecture": type(module).__name__,
        "transformers_config": config.to_dict(),
    }


def build_hf_module(config: Mapping[str, Any]) -> nn.Module:
    """The ``transformers`` model a :func:`hf_model_config` config describes (new weights)."""
    transformers = require_transformers("loading an HFModel from a .keras file")
    architecture = config.get("architecture")
    hf_config = config.get("transformers_config")
    if not isinstance(architecture, str) or not isinstance(hf_config, Mapping):
        raise SavedFormatError(
            "An HFModel config needs 'architecture' (a transformers model class name) and "
            "'transformers_config' (its config dict); the file is damaged or was not written "
            "by HFModel.save."
        )
    cls = getattr(transformers, architecture, None) if architecture.isidentifier() else None
    if not isinstance(cls, type) or not issubclass(cls, transformers.PreTrainedModel):
        raise SavedFormatError(
            f"The file names the model class {architecture!r}, which this transformers "
            f"({transformers.__version__}) does not have. Install the transformers version "
            "that saved it."
        )
    fields = dict(hf_config)
    model_type = fields.pop("model_type", None)
    config_class = getattr(cls, "config_class", None)
    if config_class is not None and callable(getattr(config_class, "from_dict", None)):
        hf = config_class.from_dict(fields)
    else:
        hf = transformers.AutoConfig.for_model(model_type, **fields)
    module = cls(hf)
    if not is_pretrained_model(module):  # pragma: no cover - guarded by issubclass above
        raise SavedFormatError(f"{architecture} did not build a transformers model.")
    return module
