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
from torchbridge.utils import nest

__all__ = ["wrap_for_training", "gather_sharded_weights", "reshard_weights"]


def _is_sharded(model: Any) -> bool:
    from torch.distributed.fsdp import FSDPModule

    return isinstance(model, FSDPModule)


def gather_sharded_weights(model: Any) -> None:
    """FSDP2: all-gather the full weights into the modules (every rank, collectively), so
    ``get_weights``, ``save`` and rank 0's checkpoints see plain tensors; the next
    training step reshards them. A no-op for a model that is not sharded."""
    from torch.distributed.fsdp import FSDPModule

    if not _is_sharded(model):
        return
    for module in model.modules():
        if isinstance(module, FSDPModule):
            module.unshard()
    # Callbacks and saving see copies: a NumPy view of FSDP's own gathered storage would
    # keep FSDP from freeing it when the next step reshards.
    for module in model.modules():
        for name, p in list(module._parameters.items()):
            if p is not None and type(p.data) is torch.Tensor:
                module._parameters[name] = torch.nn.Parameter(
                    p.detach().clone(), requires_grad=p.requires_grad
                )


def reshard_weights(model: Any) -> None:
    """FSDP2: put the sharded parameters back before a training step (drops the copies
    :func:`gather_sharded_weights` made). A no-op for a model that is not sharded."""
    from torch.distributed.fsdp import FSDPModule

    if _is_sharded(model):
        for module in model.modules():
            if isinstance(module, FSDPModule):
                module.reshard()


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
        return _fsdp(model, weight)
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


def _fsdp(model: Any, weight: Any) -> Callable[[Any], Any]:
    from torch.distributed.fsdp import FSDPModule, fully_shard

    if not isinstance(model, FSDPModule):  # a second fit reuses the sharding
        with torch.no_grad():
            for p in model.parameters():
                torch.distributed.broadcast(p.data, src=0)
        # reshard_after_forward=False: a forward-only pass (validation, predict) leaves the
        # full weights in place, so callbacks and get_weights read plain tensors.
        for layer in getattr(model, "layers", []):  # Keras's layers, not ModuleList holders
            if isinstance(layer, torch.nn.Module) and any(True for _ in layer.parameters()):
                fully_shard(layer, reshard_after_forward=False)
        fully_shard(model, reshard_after_forward=False)
    # torch's fused/foreach optimizer kernels have no DTensor rule: the per-tensor loop.
    kwargs = getattr(getattr(model, "optimizer", None), "_torch_kwargs", None)
    if isinstance(kwargs, dict) and "foreach" not in kwargs and "fused" not in kwargs:
        kwargs["foreach"] = False
    # The optimizer must hold the sharded parameters: build it now, while they are sharded
    # (the train step would build it after the forward pass, on the gathered ones).
    if not getattr(model, "_optimizer_built", True):
        model._build_optimizer()
    inner = type(model).call_inputs

    world = torch.distributed.get_world_size()

    def scale(grad: torch.Tensor) -> torch.Tensor:
        # FSDP2 averages gradients over ranks; weighting the gradient that reaches the
        # outputs by (share of the global batch × world) makes that the global-batch mean.
        factor = weight.value * world
        return grad if factor == 1.0 else grad * factor

    def forward(x: Any) -> Any:
        out = inner(model, x)
        if torch.is_grad_enabled():
            for leaf in nest.flatten(out):
                if isinstance(leaf, torch.Tensor) and leaf.requires_grad:
                    leaf.register_hook(scale)
        return out

    return forward
