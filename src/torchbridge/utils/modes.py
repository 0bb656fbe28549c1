"""``evaluation_mode``: run a module in inference mode for a moment, then put it back.

A torchbridge ``Model`` or ``Layer`` remembers whether the user ever chose a mode
(``train()`` / ``eval()``); until then a direct call runs in inference mode,
as in Keras. Internal probes and evaluation loops must not count as the
user's choice, so they restore that memory as well as the ``training`` flags,
of the module and of every submodule.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from torch import nn

__all__ = ["evaluation_mode"]


@contextlib.contextmanager
def evaluation_mode(module: nn.Module) -> Iterator[None]:
    modes = [(m, m.training, m.__dict__.get("_mode_chosen")) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, was, chosen in modes:
            m.training = was
            if chosen is None:
                m.__dict__.pop("_mode_chosen", None)
            else:
                m.__dict__["_mode_chosen"] = chosen
