"""Lazy imports of the optional Hugging Face packages, with one clear error when missing.

``transformers``, ``tokenizers`` and ``datasets`` are extras of torchbridge
(``pip install 'torchbridge[hf]'``): nothing imports them when ``torchbridge``
or ``torchbridge.hf`` is imported. Code that needs one calls
``require_transformers()`` (etc.) inside the function that uses it.

``is_pretrained_model(obj)`` recognises a ``transformers.PreTrainedModel``
without importing transformers (an MRO check), so ``Model.wrap`` can route
Hugging Face models to :class:`~torchbridge.hf.model.HFModel` for free.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = [
    "INSTALL_HINT",
    "require",
    "require_transformers",
    "require_tokenizers",
    "require_datasets",
    "is_pretrained_model",
]

INSTALL_HINT = "pip install 'torchbridge[hf]'"


def require(package: str, feature: str = "torchbridge.hf") -> ModuleType:
    """Import ``package`` or raise an ImportError naming the extra that provides it."""
    try:
        return importlib.import_module(package)
    except ImportError as exc:
        raise ImportError(
            f"{feature} needs the optional package {package!r}, which is not installed. "
            f"Install the Hugging Face extra: {INSTALL_HINT}"
        ) from exc


def require_transformers(feature: str = "torchbridge.hf") -> ModuleType:
    return require("transformers", feature)


def require_tokenizers(feature: str = "torchbridge.hf") -> ModuleType:
    return require("tokenizers", feature)


def require_datasets(feature: str = "torchbridge.hf") -> ModuleType:
    return require("datasets", feature)


def is_pretrained_model(obj: Any) -> bool:
    """True for an instance of ``transformers.PreTrainedModel`` (checked without importing it)."""
    for cls in type(obj).__mro__:
        if cls.__name__ == "PreTrainedModel" and cls.__module__.startswith("transformers."):
            return True
    return False
