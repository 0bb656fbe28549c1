"""Data-parallel ``fit`` / ``evaluate`` / ``predict`` on ``torch.distributed``.

The trainer asks :func:`loop_parallel` for the run's parallel plan once per
call; outside a distributed job it gets :data:`SINGLE`, whose methods do
nothing, so the single-process loop is unchanged. Under ``torchrun`` (``RANK``
/ ``WORLD_SIZE`` / ``LOCAL_RANK`` set) :func:`init` creates the process group
(gloo on CPU, nccl on CUDA) lazily and :class:`DataParallelPlan` does the rest:

* **Sharding.** ``batch_size`` is the *global* batch, as in Keras's
  ``DataParallel``: every rank reads the same stream of global batches (same
  shuffle: the array shuffle seed is broadcast from rank 0) and keeps its
  contiguous slice (sizes differ by at most one when the batch does not divide).
  Each example is seen once per epoch across ranks; a last global batch with
  fewer examples than ranks is dropped (a warning says so).
* **Gradients.** The model's forward runs through a
  ``DistributedDataParallel`` wrapper (DDP, the default) held outside the
  model, so ``model.weights`` / ``get_weights`` / ``save`` stay the plain
  model's. Each rank's gradient is weighted by its share of the global batch
  before the all-reduce (a DDP communication hook), so the update equals one
  process on the global batch, even for an uneven last batch.
  :class:`~torchbridge.distribution.ModelParallel` (or ``strategy="fsdp"`` in
  :func:`torchbridge.distribute.init`) shards parameters with FSDP2
  (``fully_shard``) instead.
* **Metrics.** Metric states (sums and counts) are all-reduced before logs are
  read, so epoch logs, validation logs and ``evaluate`` equal a single-process
  run on the global batches, on every rank (EarlyStopping / ReduceLROnPlateau
  decide alike everywhere).
* **predict** gathers every rank's outputs, in the single-process order, on
  every rank.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.utils import nest
from torchbridge.utils.process_rank import group_initialized, is_main_process

__all__ = [
    "init",
    "shutdown",
    "loop_parallel",
    "set_strategy",
    "strategy",
    "SINGLE",
    "SingleProcessPlan",
    "DataParallelPlan",
    "shard_bounds",
]

_STRATEGIES = ("ddp", "fsdp")
_state: dict[str, Any] = {"strategy": "ddp", "distribution": None, "find_unused": False}


def set_strategy(name: str, *, find_unused_parameters: bool = False) -> None:
    """Choose how ``fit`` synchronises replicas: ``"ddp"`` (default) or ``"fsdp"`` (FSDP2)."""
    if name not in _STRATEGIES:
        raise InputError(f"strategy must be one of {_STRATEGIES}, got {name!r}.")
    _state["strategy"] = name
    _state["find_unused"] = bool(find_unused_parameters)


def strategy() -> str:
    """The strategy ``fit`` uses (a ``ModelParallel`` distribution means ``"fsdp"``)."""
    dist_obj = _state["distribution"]
    if dist_obj is not None and getattr(dist_obj, "_torch_strategy", None):
        return str(dist_obj._torch_strategy)
    return str(_state["strategy"])


def _launched_world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def init(
    backend: str | None = None,
    *,
    strategy: str | None = None,
    timeout_s: float | None = None,
) -> bool:
    """Create the default process group from ``torchrun``'s environment (once).

    ``backend`` defaults to ``"nccl"`` when CUDA is available, else ``"gloo"``; on CUDA
    the process uses GPU ``LOCAL_RANK``. Returns whether a multi-process group exists.
    Called lazily by the first ``fit`` / ``evaluate`` / ``predict`` under ``torchrun``.
    """
    if strategy is not None:
        set_strategy(strategy)
    dist = torch.distributed
    if group_initialized():
        return bool(dist.get_world_size() > 1)
    if _launched_world_size() <= 1:
        return False
    if not dist.is_available():
        raise InputError(
            "WORLD_SIZE > 1 but this torch build has no torch.distributed; install a torch "
            "wheel with distributed support or run a single process."
        )
    missing = [k for k in ("RANK", "MASTER_ADDR", "MASTER_PORT") if k not in os.environ]
    if missing:
        raise InputError(
            f"WORLD_SIZE={_launched_world_size()} but {', '.join(missing)} is not set: start "
            "the script with torchrun (python -m torch.distributed.run --nproc_per_node N "
            "script.py), which sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT."
        )
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    kwargs: dict[str, Any] = {"backend": backend}
    if timeout_s is not None:
        kwargs["timeout"] = timedelta(seconds=timeout_s)
    dist.init_process_group(**kwargs)
    return bool(dist.get_world_size() > 1)


def shutdown() -> None:
    """Destroy the default process group (call at the end of a ``torchrun`` script)."""
    if group_initialized():
        torch.distributed.destroy_process_group()


def shard_bounds(n: int, rank: int, world: int) -> tuple[int, int]:
    """This rank's contiguous ``[start, end)`` of a global batch of ``n`` examples."""
    base, extra = divmod(n, world)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


def _batch_length(batch: Any) -> int | None:
    for leaf in nest.flatten(batch):
        if isinstance(leaf, (torch.Tensor, np.ndarray)) and leaf.ndim > 0:
            return int(leaf.shape[0])
    return None


def _slice(batch: Any, start: int, end: int) -> Any:
    def cut(leaf: Any) -> Any:
        if isinstance(leaf, (torch.Tensor, np.ndarray)) and leaf.ndim > 0:
            return leaf[start:end]
        return leaf

    return nest.map_structure(cut, batch)


def _whole_stream(adapter: Any) -> Callable[[int], Iterator[Any]] | None:
    """A torchbridge Dataset iterated on a torch.distributed rank gives that rank every
    world-th element (reader sharding, for loops written by hand). fit instead reads the
    whole stream of global batches on every rank and slices each one (Keras's global
    batch), so it iterates the pipeline without the reader sharding."""
    from torchbridge.data.dataset import Dataset
    from torchbridge.data.iterator import DatasetIterator
    from torchbridge.training.data_adapter import IterableAdapter, _standardize_batch

    source = getattr(adapter, "source", None)
    if not isinstance(adapter, IterableAdapter) or not isinstance(source, Dataset):
        return None

    def iter_epoch(epoch: int) -> Iterator[Any]:
        for element in DatasetIterator(source._iterator()):
            yield _standardize_batch(element)

    return iter_epoch


class SingleProcessPlan:
    """One process: every hook is a no-op."""

    world = 1
    rank = 0
    is_main = True

    def shard(self, adapter: Any) -> Any:
        return adapter

    def train_step(self, model: Any, step: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return step

    def reduce_metrics(self, model: Any) -> None:
        return None

    def gather(self, outputs: list[Any]) -> list[Any]:
        return outputs


SINGLE = SingleProcessPlan()


class _Weight:
    """The share of the global batch this rank holds at the current step (comm hook state)."""

    def __init__(self, world: int) -> None:
        self.value = 1.0 / world


def _weighted_allreduce(state: _Weight, bucket: Any) -> Any:
    buf = bucket.buffer()
    buf.mul_(state.value)
    fut = torch.distributed.all_reduce(buf, async_op=True).get_future()
    return fut.then(lambda f: f.value()[0])


# DDP checks a hook's annotations as objects (this module's are strings).
_weighted_allreduce.__annotations__ = {
    "state": _Weight,
    "bucket": torch.distributed.GradBucket,
    "return": torch.futures.Future[torch.Tensor],
}


class DataParallelPlan:
    """Several processes: shard batches, synchronise gradients, reduce metrics."""

    def __init__(self, model: Any) -> None:
        dist = torch.distributed
        self.world = int(dist.get_world_size())
        self.rank = int(dist.get_rank())
        self.is_main = self.rank == 0
        self.model = model
        self.weight = _Weight(self.world)
        self._warned_drop = False
        self._gathered = False
        self._forward: Callable[[Any], Any] | None = None

    # --- data ---------------------------------------------------------------------
    def shard(self, adapter: Any) -> Any:
        """Make ``adapter`` yield this rank's slice of each global batch (in place, so the
        adapter keeps its type for the epoch iterator and exact resume)."""
        if getattr(adapter, "_tb_sharded", False):
            return adapter
        seed = getattr(adapter, "seed", None)
        if isinstance(seed, int):  # one shuffle order on every rank
            box = [seed]
            torch.distributed.broadcast_object_list(box, src=0)
            adapter.seed = box[0]
        inner = _whole_stream(adapter) or adapter.iter_epoch

        def iter_epoch(epoch: int) -> Iterator[Any]:
            for index, batch in enumerate(inner(epoch)):
                if index == 0:
                    self._check_same_batches(batch)
                n = _batch_length(batch)
                if n is None:
                    raise InputError(
                        "Distributed fit/evaluate/predict splits each batch along its first "
                        "axis, but this batch holds no array or tensor with one."
                    )
                if n < self.world:
                    self._warn_drop(n)
                    continue
                start, end = shard_bounds(n, self.rank, self.world)
                self.weight.value = (end - start) / n
                yield _slice(batch, start, end)

        adapter.iter_epoch = iter_epoch
        adapter._tb_sharded = True
        return adapter

    def _check_same_batches(self, batch: Any) -> None:
        """The first global batch of each pass must be the same on every rank (one small
        all-reduce per pass): an unseeded shuffle would silently train on a mix."""
        leaves = [t for t in nest.flatten(batch) if isinstance(t, (torch.Tensor, np.ndarray))]
        total = 0.0
        for leaf in leaves:
            values = torch.as_tensor(leaf).detach()
            if values.is_floating_point() or values.dtype in (torch.int32, torch.int64):
                total += float(values.double().sum())
        device = torch.device("cuda") if _backend_is_nccl() else torch.device("cpu")
        probe = torch.tensor([total, -total], dtype=torch.float64, device=device)
        torch.distributed.all_reduce(probe, op=torch.distributed.ReduceOp.MAX)
        high, low = float(probe[0]), -float(probe[1])
        if high - low > 1e-6 * max(1.0, abs(high)):
            raise InputError(
                "The processes read different batches from the same input (the first global "
                "batch of this pass differs between ranks): each rank must see the same "
                "stream, which it then slices. Seed the pipeline's shuffle "
                "(Dataset.shuffle(buffer, seed=...)) or call keras.utils.set_random_seed(...) "
                "with the same seed on every process before building the data."
            )

    def _warn_drop(self, n: int) -> None:
        if not self._warned_drop and self.is_main:
            warnings.warn(
                f"A global batch of {n} examples is smaller than the {self.world} processes, "
                "so it was skipped (each rank needs at least one example). Choose a dataset "
                "size or batch_size that leaves a last batch of at least world-size examples.",
                UserWarning,
                stacklevel=2,
            )
        self._warned_drop = True

    # --- gradients ----------------------------------------------------------------
    def train_step(self, model: Any, step: Callable[[Any], Any]) -> Callable[[Any], Any]:
        from torchbridge.training.distributed_wrap import reshard_weights, wrap_for_training

        def run(batch: Any) -> Any:
            if self._forward is None:  # one wrapper per model, reused by later fit calls
                self._forward = wrap_for_training(model, batch, self.weight, strategy())
            if self._gathered:  # FSDP2: weights were gathered for the callbacks
                reshard_weights(model)
                self._gathered = False
            forward = self._forward
            saved_jit = model.__dict__.get("_jit_call")
            model.__dict__["call_inputs"] = forward
            model.__dict__["_jit_call"] = None
            try:
                return step(batch)
            finally:
                model.__dict__.pop("call_inputs", None)
                model.__dict__["_jit_call"] = saved_jit

        return run

    # --- metrics ------------------------------------------------------------------
    def reduce_metrics(self, model: Any) -> None:
        """Sum every metric state over ranks, in one all-reduce (float64: exact counts).
        Called where the loop reads logs (end of epoch, end of evaluation): FSDP2's sharded
        weights are gathered here too, so the epoch-end callbacks see full weights."""
        from torchbridge.training.distributed_wrap import gather_sharded_weights

        gather_sharded_weights(model)
        self._gathered = True
        tensors: list[torch.Tensor] = []
        counters: list[Any] = []
        seen: set[int] = set()
        for metric in model.metrics:
            for v in getattr(metric, "variables", []):
                if isinstance(v, torch.Tensor) and id(v) not in seen:
                    seen.add(id(v))
                    tensors.append(v)
            if isinstance(getattr(metric, "count", None), int):
                counters.append(metric)
        if not tensors and not counters:
            return
        device = torch.device("cuda") if _backend_is_nccl() else torch.device("cpu")
        flat = [t.detach().reshape(-1).to(device, torch.float64) for t in tensors]
        flat.append(torch.tensor([float(m.count) for m in counters], dtype=torch.float64))
        packed = torch.cat([f.to(device) for f in flat])
        torch.distributed.all_reduce(packed)
        offset = 0
        with torch.no_grad():
            for t in tensors:
                n = t.numel()
                t.copy_(packed[offset : offset + n].reshape(t.shape).to(t.device, t.dtype))
                offset += n
        for m in counters:
            m.count = round(float(packed[offset]))
            offset += 1

    # --- predict ------------------------------------------------------------------
    def gather(self, outputs: list[Any]) -> list[Any]:
        """Every rank's per-batch outputs, interleaved back into single-process order."""
        parts: list[Any] = [None] * self.world
        torch.distributed.all_gather_object(parts, outputs)
        return [parts[r][b] for b in range(len(outputs)) for r in range(self.world)]


def _backend_is_nccl() -> bool:
    return bool(torch.distributed.get_backend() == "nccl")


def current_distribution() -> Any:
    """The ``keras.distribution`` object set with ``set_distribution`` (or ``None``)."""
    return _state["distribution"]


def set_current_distribution(value: Any) -> None:
    _state["distribution"] = value


def loop_parallel(model: Any) -> SingleProcessPlan | DataParallelPlan:
    """The plan for one ``fit`` / ``evaluate`` / ``predict`` call."""
    if not group_initialized() and _launched_world_size() <= 1:
        return SINGLE
    if not init() or not torch.distributed.get_world_size() > 1:
        return SINGLE
    plan = model.__dict__.get("_tb_parallel_plan")
    if plan is None:
        plan = DataParallelPlan(model)
        model.__dict__["_tb_parallel_plan"] = plan
    return plan  # type: ignore[no-any-return]


def main_process() -> bool:
    """Whether this process writes files and draws the progress bar."""
    return is_main_process()
