"""Which parameters get weight decay: Keras's exclusions and the Hugging Face default.

* Keras: ``optimizer.exclude_from_weight_decay(var_list=None, var_names=None)``
  — the parameters in ``var_list`` and every parameter whose *name* contains
  one of ``var_names`` (joined into one regular expression and searched, as
  Keras does) get no decay.
* torchbridge addition: ``exclude_bias_and_norm=True`` on any optimizer — the
  rule of the Hugging Face ``Trainer`` (no decay on biases and on normalisation
  weights): a parameter is excluded when its lower-cased name matches
  ``bias``, ``layernorm``, ``rmsnorm``, ``norm`` as a path component or
  ``_norm`` (:data:`BIAS_AND_NORM_PATTERNS`), or when it belongs directly to a
  normalisation module (``nn.LayerNorm`` for the Trainer; here any module whose
  class name contains "Norm": BatchNorm, GroupNorm, RMSNorm, Keras's
  ``LayerNormalization`` ...).

Parameter names are the ``named_parameters()`` names (a model's own
``state_dict`` keys), known when an optimizer is built from a module, from
``(name, parameter)`` pairs, or by ``Model.fit``. The split happens once, at
``build``: excluded parameters go into their own param group with
``weight_decay`` 0, so the step itself does no extra work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

__all__ = [
    "BIAS_AND_NORM_PATTERNS",
    "is_norm_module",
    "norm_parameter_ids",
    "DecayRule",
]

#: The Hugging Face Trainer's name patterns for parameters without weight decay
#: (searched in the lower-cased parameter name).
BIAS_AND_NORM_PATTERNS: tuple[str, ...] = (
    r"bias",
    r"layernorm",
    r"rmsnorm",
    r"(?:^|\.)norm(?:$|\.)",
    r"_norm(?:$|\.)",
)
_BIAS_AND_NORM = re.compile("|".join(BIAS_AND_NORM_PATTERNS))


def is_norm_module(module: nn.Module) -> bool:
    """A normalisation layer: a torch norm class, or a class whose name contains "norm"."""
    if isinstance(
        module,
        (nn.LayerNorm, nn.GroupNorm, nn.RMSNorm, nn.modules.batchnorm._NormBase),
    ):
        return True
    return "norm" in type(module).__name__.lower()


def norm_parameter_ids(module: nn.Module) -> set[int]:
    """``id``s of the parameters owned directly by the normalisation layers in ``module``."""
    return {
        id(p) for m in module.modules() if is_norm_module(m) for p in m.parameters(recurse=False)
    }


class DecayRule:
    """The exclusions configured on one optimizer; splits param groups at build time."""

    def __init__(self) -> None:
        self.excluded_ids: set[int] = set()
        self.pattern: re.Pattern[str] | None = None
        self.bias_and_norm = False

    @property
    def active(self) -> bool:
        return bool(self.excluded_ids) or self.pattern is not None or self.bias_and_norm

    def set_keras_exclusions(
        self, var_list: Iterable[torch.Tensor] | None, var_names: Iterable[str] | None
    ) -> None:
        """Keras's ``exclude_from_weight_decay``: replaces earlier ``var_list``/``var_names``."""
        self.excluded_ids = {id(v) for v in var_list} if var_list else set()
        names = sorted(set(var_names)) if var_names else []
        self.pattern = re.compile("|".join(names)) if names else None

    def excludes(self, param: torch.Tensor, name: str | None, norm_ids: set[int]) -> bool:
        if id(param) in self.excluded_ids:
            return True
        if name is not None:
            if self.pattern is not None and self.pattern.search(name):
                return True
            if self.bias_and_norm and _BIAS_AND_NORM.search(name.lower()):
                return True
        return self.bias_and_norm and id(param) in norm_ids

    def split(
        self,
        groups: list[dict[str, Any]],
        names: dict[int, str],
        norm_ids: set[int],
        optimizer_name: str,
    ) -> list[dict[str, Any]]:
        """Each group → (decayed, excluded with ``weight_decay`` 0); empty halves dropped."""
        if not self.active:
            return groups
        if (self.pattern is not None or self.bias_and_norm) and not names:
            what = "exclude_bias_and_norm=True" if self.bias_and_norm else "var_names"
            raise ValueError(
                f"The optimizer {optimizer_name!r} excludes parameters from weight decay by name "
                f"({what}), but it was built on parameters without names. Build it on the "
                "model (`optimizer.build(model)`) or on `model.named_parameters()`; fit() does "
                "this for you."
            )
        out: list[dict[str, Any]] = []
        for group in groups:
            params = group["params"]
            keep = [p for p in params if not self.excludes(p, names.get(id(p)), norm_ids)]
            skip = [p for p in params if self.excludes(p, names.get(id(p)), norm_ids)]
            if keep:
                out.append({**group, "params": keep})
            if skip:
                out.append({**group, "params": skip, "weight_decay": 0.0})
        return out
