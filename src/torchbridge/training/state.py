"""``TrainerState`` and the random number generators: the loop's own part of a checkpoint.

Counters are plain ints, always written together with the weights and the
optimizer (one atomic save, after the optimizer step), so a checkpoint's
``global_step`` equals the optimizer steps it holds.

* ``epoch`` — the epoch being run, or the next one once an epoch has ended
  (its ``on_epoch_end`` hooks ran): a run resumes at ``epoch``;
* ``step_in_epoch`` — training batches finished in that epoch (0 at an epoch
  boundary); a run resumed with ``step_in_epoch > 0`` continues mid-epoch;
* ``global_step`` — training batches finished over all ``fit()`` calls;
* ``data_seed`` — the seed of the current fit's shuffle order.

:func:`capture_rng` / :func:`restore_rng` take every generator a step or a
pipeline may draw from — Python's ``random``, NumPy's global generator,
torch's CPU and CUDA generators and torchbridge's global
:class:`~torchbridge.random.SeedGenerator` (``seed=None`` draws) — as plain
lists, ints and tensors: what a checkpoint stores without pickle. The
seed generators *held by layers* are captured by :mod:`.resume`.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from torchbridge.random import seed_generator as _seed_generator

__all__ = ["TrainerState", "capture_rng", "restore_rng"]


def capture_rng() -> dict[str, Any]:
    """Every global random state, as lists / ints / CPU tensors (a copy)."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        # The 624-word states as int64 tensors: binary in a checkpoint, not 600 JSON numbers.
        "python": [version, torch.tensor(internal, dtype=torch.int64), gauss],
        "numpy": [
            name,
            torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            int(pos),
            int(has_gauss),
            float(cached),
        ],
        "torch": torch.get_rng_state().clone(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = [t.clone() for t in torch.cuda.get_rng_state_all()]
    generator = _seed_generator._global
    if generator is not None:
        state["seed_generator"] = [int(v) for v in generator.state.tolist()]
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Put back what :func:`capture_rng` returned (also accepts tuples/arrays as the
    generators' own ``getstate()`` give them)."""
    version, internal, gauss = state["python"]
    internal = internal.tolist() if isinstance(internal, torch.Tensor) else internal
    random.setstate((version, tuple(int(v) for v in internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    keys = keys.numpy() if isinstance(keys, torch.Tensor) else keys
    np.random.set_state((name, np.asarray(keys).astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(torch.as_tensor(state["torch"], dtype=torch.uint8).cpu())
    if "cuda" in state and torch.cuda.is_available():
        cuda = [torch.as_tensor(t, dtype=torch.uint8).cpu() for t in state["cuda"]]
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)
    if "seed_generator" in state:
        _seed_generator.global_seed_generator().state = torch.tensor(
            state["seed_generator"], dtype=torch.int64
        )


@dataclass
class TrainerState:
    epoch: int = 0  # the epoch being run, or the next one once an epoch has ended
    step_in_epoch: int = 0  # batches finished in the current epoch (0 at a boundary)
    global_step: int = 0  # training batches finished over all fit() calls
    data_seed: int | None = None  # seed of the current fit's shuffle order

    def state_dict(self, include_rng: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = asdict(self)
        if include_rng:
            out["rng"] = capture_rng()
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key in ("epoch", "step_in_epoch", "global_step", "data_seed"):
            if key in state:
                setattr(self, key, state[key])
        if "rng" in state:
            restore_rng(state["rng"])
