"""``torchbridge.distribute``: the torch.distributed helpers for scripts run under ``torchrun``.

``init()`` creates the process group from the launcher's environment (gloo on
CPU, nccl on CUDA; ``fit`` / ``evaluate`` / ``predict`` call it lazily anyway)
and picks the strategy (``"ddp"``, the default, or ``"fsdp"`` for FSDP2);
``rank()``, ``world_size()``, ``is_main_process()`` and ``barrier()`` are what a
script needs around ``fit``; ``shutdown()`` ends the group. Keras's own names
live in :mod:`torchbridge.distribution`.
"""

from __future__ import annotations

import torch

from torchbridge.training.distributed import init, set_strategy, shutdown, strategy
from torchbridge.utils.process_rank import is_main_process
from torchbridge.utils.process_rank import process_count as world_size
from torchbridge.utils.process_rank import process_rank as rank

__all__ = [
    "init",
    "shutdown",
    "set_strategy",
    "strategy",
    "rank",
    "world_size",
    "is_main_process",
    "barrier",
]


def barrier() -> None:
    """Wait for every process (a no-op outside a distributed job)."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
