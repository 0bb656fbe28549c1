"""Exact resume: what a checkpoint holds beyond weights and optimizer, and putting it back.

:func:`capture_resume_state` gathers, at the moment of a save, everything the
rest of a ``fit()`` depends on besides the weights and the optimizer (which
the checkpoint stores itself, loss scale and schedule included): the trainer's
counters, every random generator (:func:`~.state.capture_rng`) and the state
of every :class:`~torchbridge.random.SeedGenerator` a layer holds (dropout,
noise and augmentation layers), the metrics' running totals (a resumed epoch
reports the same epoch logs), the data position
(:meth:`~.epoch_iterator.EpochIterator.position`) and the callbacks' states
(each callback with a ``state_dict()`` method: ``EarlyStopping``,
``ReduceLROnPlateau``, ``ModelCheckpoint``, ``BackupAndRestore``). The result
holds plain values and tensors only: the checkpoint stores it as JSON plus
safetensors.

:class:`Resume` applies such a state to a starting ``fit()``: :meth:`Resume.begin`
(after the callbacks' ``on_train_begin``) puts back counters, seed
generators and callback states and returns the epoch to start at; a run
stopped mid-epoch then continues in that epoch, where the epoch iterator
replays the data up to the position (:mod:`.data_position`) and
:meth:`Resume.data_ready` restores the metrics and, last, the random
generators — so the next batch sees exactly the draws it would have seen.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import torch

from torchbridge.errors import InputError
from torchbridge.random.seed_generator import SeedGenerator
from torchbridge.training.data_adapter import unpack_x_y_sample_weight
from torchbridge.training.data_position import capture_data_seeds, restore_data_seeds
from torchbridge.training.state import capture_rng, restore_rng
from torchbridge.utils.modes import evaluation_mode
from torchbridge.utils.process_rank import process_count

__all__ = [
    "RESUME_VERSION",
    "FitContext",
    "Resume",
    "capture_resume_state",
    "model_seed_generators",
    "optimizer_iterations",
]

RESUME_VERSION = 1


@dataclass
class FitContext:
    """What a save during ``fit()`` reads besides the model: the fit's callbacks and data."""

    callbacks: Any  # the CallbackList
    batches: Any  # the training EpochIterator


# --- what is captured ---------------------------------------------------------------------
def model_seed_generators(model: Any) -> list[tuple[str, SeedGenerator]]:
    """``(path, generator)`` for every ``SeedGenerator`` a module of ``model`` holds as an
    attribute (alone, or in a list / tuple / dict), each once, in module order."""
    out: list[tuple[str, SeedGenerator]] = []
    seen: set[int] = set()
    for path, module in model.named_modules():
        for attr, value in module.__dict__.items():
            if isinstance(value, SeedGenerator):
                items: list[tuple[str, Any]] = [(attr, value)]
            elif isinstance(value, (list, tuple)):
                items = [(f"{attr}[{i}]", v) for i, v in enumerate(value)]
            elif isinstance(value, dict):
                items = [(f"{attr}[{k!r}]", v) for k, v in value.items()]
            else:
                continue
            for name, gen in items:
                if isinstance(gen, SeedGenerator) and id(gen) not in seen:
                    seen.add(id(gen))
                    out.append((f"{path}/{name}" if path else name, gen))
    return out


def optimizer_iterations(model: Any) -> int | None:
    """The optimizer's raw step count (Keras's ``iterations`` before accumulation), if it
    keeps one (a plain ``torch.optim`` optimizer does not)."""
    opt = getattr(model, "optimizer", None)
    while opt is not None and not hasattr(opt, "_iterations"):
        opt = getattr(opt, "inner_optimizer", None)
    return None if opt is None else int(opt._iterations)


def _leaf_metrics(model: Any) -> list[Any]:
    """The model's metrics with ``compile_metrics`` opened into its individual metrics."""
    out = []
    for m in getattr(model, "metrics", []) if getattr(model, "compiled", False) else []:
        out += list(m.metrics) if hasattr(m, "compiled") and hasattr(m, "metrics") else [m]
    return out


def _numbers(obj: Any) -> dict[str, int | float]:
    """A metric's plain-number state (e.g. ``LossTracker.count``)."""
    return {
        k: v
        for k, v in vars(obj).items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.startswith("__")
    }


def _capture_metrics(model: Any) -> list[list[Any]]:
    return [
        [m.name, [v.detach().cpu().clone() for v in m.variables], _numbers(m)]
        for m in _leaf_metrics(model)
    ]


def _capture_callbacks(callbacks: Any) -> list[list[Any]]:
    out = []
    counts: dict[str, int] = {}
    for cb in callbacks:
        state_dict = getattr(cb, "state_dict", None)
        if state_dict is None:
            continue
        name = type(cb).__name__
        out.append([name, counts.get(name, 0), state_dict()])
        counts[name] = counts.get(name, 0) + 1
    return out


def capture_resume_state(model: Any) -> dict[str, Any]:
    """Everything besides weights and optimizer a resumed ``fit()`` needs (see the module
    docstring); plain values and CPU tensors."""
    trainer = model._trainer
    context: FitContext | None = getattr(trainer, "fit_context", None)
    return {
        "version": RESUME_VERSION,
        "counters": trainer.state.state_dict(include_rng=False),
        "stop_training": bool(getattr(model, "stop_training", False)),
        "world_size": process_count(),
        "optimizer_iterations": optimizer_iterations(model),
        "rng": capture_rng(),
        "seed_generators": [
            [path, gen.state.clone()] for path, gen in model_seed_generators(model)
        ],
        "metrics": _capture_metrics(model),
        "data": (
            {
                "position": context.batches.position(),
                "seeds": capture_data_seeds(context.batches.adapter),
                "num_batches": context.batches.adapter.num_batches,
            }
            if context is not None
            else None
        ),
        "callbacks": _capture_callbacks(context.callbacks) if context is not None else [],
    }


# --- putting it back ------------------------------------------------------------------------
class Resume:
    """A captured state on its way back into a starting ``fit()``."""

    def __init__(self, state: dict[str, Any], source: str = "the checkpoint") -> None:
        if not isinstance(state, dict) or state.get("version") != RESUME_VERSION:
            raise InputError(
                f"{source} holds no exact-resume state this torchbridge reads (written by an "
                "older torchbridge, or by model.save outside fit). Load its weights with "
                "load_weights() and start fit() with initial_epoch=... instead."
            )
        self.state = state
        self.source = source
        self.model: Any = None

    def begin(self, model: Any, callbacks: Any, batches: Any) -> int:
        """Counters, seed generators, callback states and data seeds; returns the epoch to
        start at. Mid-epoch, the data and the generators follow in :meth:`data_ready`.
        A run a callback had stopped (``EarlyStopping``) comes back with
        ``model.stop_training`` set."""
        self.model = model
        state = self.state
        self._check_world_size()
        self._check_optimizer(model)
        counters = state["counters"]
        model._trainer.state.load_state_dict(counters)
        self._restore_seed_generators(model)
        self._restore_callbacks(callbacks)
        model.stop_training = bool(state.get("stop_training", False))
        data = state.get("data")
        if data is not None:
            self._check_data(batches.adapter, data)
            restore_data_seeds(batches.adapter, data["seeds"])
        step = int(counters.get("step_in_epoch", 0))
        if step and data is None:
            warnings.warn(
                f"{self.source} was written mid-epoch outside fit(), without the data "
                f"position: epoch {counters['epoch'] + 1} restarts from its first batch.",
                UserWarning,
                stacklevel=3,
            )
            model._trainer.state.step_in_epoch = step = 0
        if step and data is not None:
            batches.resume_at(data["position"], step, self.data_ready)
        else:
            restore_rng(state["rng"])
        return int(counters.get("epoch", 0))

    def data_ready(self, first_batch: Any) -> None:
        """The data is positioned: the metrics' totals, then the generators, come back."""
        self._restore_metrics(first_batch)
        restore_rng(self.state["rng"])

    # --- pieces -----------------------------------------------------------------------------
    def _check_world_size(self) -> None:
        """A distributed run resumes with as many processes as wrote the checkpoint: the
        data position and the per-rank batch slices depend on it."""
        saved, now = int(self.state.get("world_size", 1)), process_count()
        if saved != now:
            raise InputError(
                f"{self.source} was written by a fit() running on {saved} process(es); this "
                f"one runs on {now}. Resume with the same number of processes (torchrun "
                f"--nproc_per_node={saved} ...), or load only the weights with load_weights() "
                "and start a new fit()."
            )

    def _check_optimizer(self, model: Any) -> None:
        saved = self.state.get("optimizer_iterations")
        now = optimizer_iterations(model)
        if saved is not None and now is not None and saved != now:
            raise InputError(
                f"{self.source} is inconsistent: its resume state was taken after {saved} "
                f"optimizer steps but its optimizer state holds {now}. The file was not written "
                "by one save; resume from another checkpoint."
            )

    def _check_data(self, adapter: Any, data: dict[str, Any]) -> None:
        saved, now = data.get("num_batches"), adapter.num_batches
        if saved is not None and now is not None and saved != now:
            raise InputError(
                f"{self.source} was written by a fit() whose data had {saved} batches per "
                f"pass; this fit()'s data has {now}. Pass the same data with the same "
                "batch_size to resume exactly."
            )

    def _restore_seed_generators(self, model: Any) -> None:
        mine = dict(model_seed_generators(model))
        saved = {path: state for path, state in self.state["seed_generators"]}
        if set(mine) != set(saved):
            missing, extra = sorted(set(saved) - set(mine)), sorted(set(mine) - set(saved))
            raise InputError(
                f"{self.source} does not match this model's random layers: seed generators "
                f"only in the file {missing}, only in the model {extra}. Resume with the model "
                "that wrote the checkpoint (same layers, same order)."
            )
        for path, gen in mine.items():
            gen.state = torch.as_tensor(saved[path], dtype=torch.int64)

    def _restore_callbacks(self, callbacks: Any) -> None:
        saved = {(name, i): state for name, i, state in self.state.get("callbacks", [])}
        counts: dict[str, int] = {}
        for cb in callbacks:
            if getattr(cb, "load_state_dict", None) is None:
                continue
            name = type(cb).__name__
            key = (name, counts.get(name, 0))
            counts[name] = key[1] + 1
            if key in saved:
                cb.load_state_dict(saved[key])

    def _restore_metrics(self, first_batch: Any) -> None:
        model = self.model
        saved = self.state.get("metrics", [])
        if len(_leaf_metrics(model)) < len(saved) and first_batch is not None:
            _build_compile_metrics(model, first_batch)
        leaves = _leaf_metrics(model)
        if [m.name for m in leaves] != [entry[0] for entry in saved]:
            warnings.warn(
                f"The metrics of {self.source} ({[e[0] for e in saved]}) are not this model's "
                f"({[m.name for m in leaves]}): the resumed epoch's logs cover only its "
                "remaining batches.",
                UserWarning,
                stacklevel=2,
            )
            return
        with torch.no_grad():
            for metric, (_, values, numbers) in zip(leaves, saved):
                for var, value in zip(metric.variables, values):
                    var.copy_(value)
                for key, value in numbers.items():
                    setattr(metric, key, value)


def _build_compile_metrics(model: Any, batch: Any) -> None:
    """Build ``compile()``'s metrics (normally built by the first batch's update) from a
    replayed batch, so their saved totals have somewhere to go."""
    entry = getattr(model, "_compile_metrics_entry", None)
    if entry is None or entry.built:
        return
    x, y, _ = unpack_x_y_sample_weight(batch)
    from torchbridge.utils.device import move_to_device

    with evaluation_mode(model), torch.no_grad():
        y_pred = model._forward_batch(move_to_device(x, model.device))
    entry.build(move_to_device(y, model.device), y_pred)
