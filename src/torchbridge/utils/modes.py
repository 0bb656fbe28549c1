"""``evaluation_mode``: run a module in inference mode for a moment, then put it back.

A torchbridge ``Model`` remembers whether the user ever chose a mode
(``train()`` / ``eval()``); until then a direct call runs in inference mode,
as in Keras. Internal probes and evaluation loops must not count as the
user's choice, so they restore that memory as well as the ``training`` flags.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from torch import nn

__all__ = ["evaluation_mode"]


@contextlib.contextmanager
def evaluation_mode(module: nn.Module) -> Iterator[None]:
    was = module.training
    chosen = module.__dict__.get("_mode_chosen")
    module.eval()
    try:
        yield
    finally:
        module.train(was)
        if chosen is None:
            module.__dict__.pop("_mode_chosen", None)
        else:
            module.__dict__["_mode_chosen"] = chosen
