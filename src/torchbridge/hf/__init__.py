"""``torchbridge.hf``: Hugging Face Transformers models, tokenizers and datasets, the Keras way.

* :class:`HFModel`, :func:`wrap`, :func:`from_pretrained` — any
  ``transformers.PreTrainedModel`` under ``compile / fit / evaluate /
  predict`` (``torchbridge.Model.wrap(model)`` gives the same ``HFModel``).

``transformers``, ``tokenizers`` and ``datasets`` are optional
(``pip install 'torchbridge[hf]'``): importing this module imports none of
them; the functions that need one import it when called.
"""

from __future__ import annotations

import importlib
from typing import Any

from torchbridge.hf._imports import is_pretrained_model
from torchbridge.hf.model import TASKS, HFModel, from_pretrained, infer_task, wrap

__all__ = [
    "HFModel",
    "TASKS",
    "from_pretrained",
    "infer_task",
    "is_pretrained_model",
    "wrap",
]

# --- lazily re-exported names of the sibling modules (tokenization, data) ----------------
# Each submodule lists the public names it exports here; they are imported on first
# access, so a missing submodule never breaks `import torchbridge.hf`. When a name
# below is final, add it to __all__ above as well.
_LAZY_SUBMODULES: dict[str, tuple[str, ...]] = {
    "torchbridge.hf.tokenization": (),
    "torchbridge.hf.data": (),
}
_LAZY_NAMES: dict[str, str] = {
    name: module for module, names in _LAZY_SUBMODULES.items() for name in names
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY_NAMES.get(name)
    if module_name is None:
        raise AttributeError(f"module 'torchbridge.hf' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_NAMES))


# --- end of the lazily re-exported names ---------------------------------------------------
