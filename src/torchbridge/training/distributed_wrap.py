"""Wrap a model for one distributed training run: DDP (default) or FSDP2.

:func:`wrap_for_training` is called at the first training batch (the model is
built by then: a lazily built model is built from that batch under a forked
RNG, so its random stream matches a single-process run). It returns the
callable the train step uses for its forward pass:

* **DDP** — a ``DistributedDataParallel`` around the model, kept out of the
  model's attributes (``model.weights``, ``state_dict`` and saving see only the
  plain model). Rank 0's weights are broadcast at construction. Buffers are
  not broadcast each step (metric states live in buffers and are reduced on
  their own); BatchNorm statistics are per rank, as with Keras's
  ``DataParallel`` on TensorFlow. The gradient all-reduce is weighted by each
  rank's share of the global batch (:class:`~torchbridge.training.distributed._Weight`).
* **FSDP2** — ``torch.distributed.fsdp.fully_shard`` on each top-level layer
  and the model (parameters become sharded ``DTensor``\\ s after rank 0's values
  are broadcast); the forward is the model itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchbridge.errors import InputError
from torchbridge.training.data_adapter import unpack_x_y_sample_weight

__all__ = ["wrap_for_training"]


def _ensure_built(model: Any, batch: Any) -> None:
    if any(True for _ in model.parameters()):
        return
    x, _, _ = unpack_x_y_sample_weight(batch)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        model.call_inputs(x)


def wrap_for_training(model: Any, batch: Any, weight: Any, strategy: str) -> Callable[[Any], Any]:
    _ensure_built(model, batch)
    if not any(p.requires_grad for p in model.parameters()):
        raise InputError(
            "Distributed fit needs trainable weights, but the model has none (all frozen?)."
        )
    if strategy == "fsdp":
        return _fsdp(model)
    return _ddp(model, weight)


def _ddp(model: Any, weight: Any) -> Callable[[Any], Any]:
    from torch.nn.parallel import DistributedDataParallel

    from torchbridge.training.distributed import _state, _weighted_allreduce

    device = model.device
    ddp = DistributedDataParallel(
        model,
        device_ids=[device] if device.type == "cuda" else None,
        forward_sync_buffers=False,
        find_unused_parameters=bool(_state["find_unused"]),
    )
    ddp.register_comm_hook(weight, _weighted_allreduce)
    model.__dict__["_tb_ddp"] = ddp  # a plain attribute: not a submodule, not saved

    def forward(x: Any) -> Any:
        return ddp(x)

    return forward


def _fsdp(model: Any) -> Callable[[Any], Any]:
    from torch.distributed.fsdp import fully_shard

    with torch.no_grad():
        for p in model.parameters():
            torch.distributed.broadcast(p.data, src=0)
    for child in model.children():
        if any(True for _ in child.parameters()):
            fully_shard(child)
    fully_shard(model)
    inner = type(model).call_inputs

    def forward(x: Any) -> Any:
        return inner(model, x)

    return forward
