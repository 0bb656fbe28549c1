"""Which process of a distributed job this is (``torch.distributed``), for any floor.

``process_rank()`` / ``process_count()`` read the default process group when one
is initialised (``torchrun`` + :func:`torchbridge.distribute.init`) and fall
back to the launcher's ``RANK`` / ``WORLD_SIZE`` environment otherwise, so a
callback can ask :func:`is_main_process` before the group exists. Only the
main process (rank 0) writes checkpoints, CSV/TensorBoard logs and draws the
progress bar; the others compute the same decisions from the same reduced logs.
"""

from __future__ import annotations

import os

import torch

__all__ = ["process_rank", "process_count", "is_main_process", "group_initialized"]


def group_initialized() -> bool:
    """Whether ``torch.distributed``'s default process group exists."""
    dist = torch.distributed
    return bool(dist.is_available() and dist.is_initialized())


def process_rank() -> int:
    """This process's rank (0 outside a distributed job)."""
    if group_initialized():
        return int(torch.distributed.get_rank())
    return int(os.environ.get("RANK", "0") or 0)


def process_count() -> int:
    """How many processes the job has (1 outside a distributed job)."""
    if group_initialized():
        return int(torch.distributed.get_world_size())
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def is_main_process() -> bool:
    """True on rank 0 (and in every non-distributed run): the process that writes files."""
    return process_rank() == 0
