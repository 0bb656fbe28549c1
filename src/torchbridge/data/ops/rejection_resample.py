"""``rejection_resample``: resample a stream so that its classes follow ``target_dist``;
elements come out as ``(class, element)`` pairs, as tf.data.

Each element of class *c* is kept with probability ``r_c / max_k r_k`` where
``r = target_dist / initial_dist``. Without ``initial_dist`` the class frequencies are
estimated from the elements seen so far (as tf.data estimates them). tf.data also mixes
in unfiltered elements while its estimate settles; torchbridge only rejects, so the output
follows ``target_dist`` from the start (and reads more input). Seeded as ``shuffle``.
State: the input's state, the class counts and the generator state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import UNKNOWN, Dataset
from torchbridge.data.ops._call import call_on_element, wrap_error
from torchbridge.data.ops._unary import UnaryDataset
from torchbridge.errors import InputError

__all__ = ["RejectionResampleDataset"]


def _dist(values: Any, what: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    d = np.asarray(values, dtype=np.float64).reshape(-1)
    if d.size == 0 or np.any(d < 0) or d.sum() <= 0:
        raise InputError(f"rejection_resample: {what} must be non-negative with a positive sum.")
    return d / d.sum()


class _ResampleIterator:
    def __init__(self, upstream: Any, ds: RejectionResampleDataset, seed: int) -> None:
        self._up = upstream
        self._ds = ds
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self._counts = np.zeros(len(ds._target), dtype=np.int64)
        self._position = 0

    def __iter__(self) -> _ResampleIterator:
        return self

    def __next__(self) -> Any:
        ds = self._ds
        while True:
            element = next(self._up)
            position = self._position
            self._position += 1
            try:
                label = call_on_element(ds._class_func, element)
            except Exception as e:
                raise wrap_error("rejection_resample", ds._class_func, position, e) from e
            c = int(label.item() if isinstance(label, torch.Tensor) else label)
            if not 0 <= c < len(ds._target):
                raise InputError(
                    f"rejection_resample: class_func returned {c} for element {position}; "
                    f"target_dist has {len(ds._target)} classes."
                )
            self._counts[c] += 1
            initial = ds._initial if ds._initial is not None else self._counts / self._counts.sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(initial > 0, ds._target / initial, 0.0)
            accept = ratio[c] / ratio.max() if ratio.max() > 0 else 0.0
            if self._rng.random() < accept:
                out_class = label if isinstance(label, torch.Tensor) else torch.tensor(c)
                return out_class, element

    def get_state(self) -> dict[str, Any]:
        return {
            "upstream": self._up.get_state(),
            "rng": self._rng.bit_generator.state,
            "counts": self._counts.copy(),
            "position": self._position,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self._up.set_state(state["upstream"])
        self._rng.bit_generator.state = state["rng"]
        self._counts = np.array(state["counts"], dtype=np.int64)
        self._position = state["position"]

    def close(self) -> None:
        getattr(self._up, "close", lambda: None)()


class RejectionResampleDataset(UnaryDataset):
    def __init__(
        self,
        input_dataset: Dataset,
        class_func: Callable[..., Any],
        target_dist: Any,
        initial_dist: Any = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(input_dataset)
        self._class_func = class_func
        self._target = _dist(target_dist, "target_dist")
        self._initial = None if initial_dist is None else _dist(initial_dist, "initial_dist")
        if self._initial is not None and self._initial.shape != self._target.shape:
            raise InputError(
                f"rejection_resample: initial_dist has {self._initial.size} classes but "
                f"target_dist has {self._target.size}."
            )
        if seed is None:
            seed = int(torch.randint(0, 2**62, (1,)).item())
        self._seed = int(seed)
        self._iterations = 0

    def _iterator(self) -> _ResampleIterator:
        self._iterations += 1
        return _ResampleIterator(self._input._iterator(), self, self._seed + self._iterations - 1)

    def _cardinality(self) -> int:
        return UNKNOWN
