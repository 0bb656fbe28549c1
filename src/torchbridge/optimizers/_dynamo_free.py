"""Drive a ``torch.optim`` optimizer without importing ``torch._dynamo`` when nothing compiles.

``torch.optim.Optimizer`` marks ``add_param_group``, ``zero_grad`` and every ``step`` as
"never compile" through wrappers that ``import torch._dynamo`` on their first call. That
import loads ~840 modules (sympy among them) and cost 1.4-1.7 s of CPU in the first
``fit`` of every process on the 2-core machine (issue 17) — a fifth of a small model's
whole fit. While ``torch._dynamo`` has not been imported nothing can be compiling, so
the wrappers' only effect is that import; these helpers call the wrapped functions
directly in that case and fall back to the public methods otherwise (dynamo already
loaded, step hooks registered, a ``differentiable`` optimizer, or a torch whose
wrappers look different). The update itself is the same kernel call either way.
"""

from __future__ import annotations

import sys
from typing import Any

import torch
from torch.optim import optimizer as _torch_optimizer

__all__ = ["construct", "step", "zero_grad"]


def _dynamo_loaded() -> bool:
    return "torch._dynamo" in sys.modules


def _unwrapped(function: Any) -> Any:
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return function


def construct(torch_class: type[torch.optim.Optimizer], groups: Any, **kwargs: Any) -> Any:
    """``torch_class(groups, **kwargs)``, without the dynamo import of ``add_param_group``."""
    wrapped = getattr(torch.optim.Optimizer.add_param_group, "__wrapped__", None)
    if _dynamo_loaded() or wrapped is None or hasattr(wrapped, "__dynamo_disable"):
        return torch_class(groups, **kwargs)
    # The wrapper caches its "disabled" function on the wrapped one; the plain function is
    # that while dynamo is not loaded. Removed again right after, so a later compile is
    # unaffected.
    wrapped.__dynamo_disable = wrapped
    try:
        return torch_class(groups, **kwargs)
    finally:
        del wrapped.__dynamo_disable


def zero_grad(inner: torch.optim.Optimizer, set_to_none: bool = True) -> None:
    """``inner.zero_grad(set_to_none)``; with ``set_to_none`` and no dynamo, set ``.grad = None``."""
    if not set_to_none or _dynamo_loaded():
        inner.zero_grad(set_to_none=set_to_none)
        return
    for group in inner.param_groups:
        for param in group["params"]:
            param.grad = None


def step(inner: torch.optim.Optimizer) -> None:
    """``inner.step()``; without dynamo, hooks or ``differentiable``, its undecorated body."""
    if (
        _dynamo_loaded()
        or not type(inner).__module__.startswith("torch.optim.")
        or inner.defaults.get("differentiable")
        or inner._optimizer_step_pre_hooks
        or inner._optimizer_step_post_hooks
        or getattr(_torch_optimizer, "_global_optimizer_pre_hooks", True)
        or getattr(_torch_optimizer, "_global_optimizer_post_hooks", True)
    ):
        inner.step()
        return
    body = _unwrapped(type(inner).step)
    with torch.no_grad():
        body(inner)
    inner._optimizer_step_code()
