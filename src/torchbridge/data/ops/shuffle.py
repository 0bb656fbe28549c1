"""``shuffle``: tf.data's shuffle buffer.

The buffer is filled with the first ``buffer_size`` elements; each output is a
uniformly random buffer slot, refilled from the input. When the input ends, the
remaining buffer is drained in random order. ``buffer_size >= cardinality``
gives a uniform shuffle.

Seeds: with ``seed`` the sequence of orders is deterministic; without, the
seed is drawn from torch's global generator (so ``torch.manual_seed`` makes it
reproducible). With ``reshuffle_each_iteration=True`` iteration *k* over the
dataset (e.g. the k-th ``repeat`` round or epoch) uses seed ``(seed, k)``.
Our random stream differs from TensorFlow's, so orders differ from tf.data's
for the same seed (documented in docs/data.md).

State: the input's state, the buffer's elements, the generator state and the
iteration number — a restored iterator continues with the exact same elements.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import Dataset
from torchbridge.data.ops._args import int_arg
from torchbridge.data.ops._unary import UnaryDataset

__all__ = ["ShuffleDataset"]


class _ShuffleIterator:
    def __init__(self, upstream: Any, buffer_size: int, seed: int, iteration: int) -> None:
        self._up = upstream
        self._size = buffer_size
        self._iteration = iteration
        self._rng = np.random.Generator(np.random.PCG64([seed, iteration]))
        self._buffer: list[Any] = []
        self._exhausted = False

    def __iter__(self) -> _ShuffleIterator:
        return self

    def __next__(self) -> Any:
        buf = self._buffer
        while not self._exhausted and len(buf) < self._size:
            try:
                buf.append(next(self._up))
            except StopIteration:
                self._exhausted = True
        if not buf:
            raise StopIteration
        i = int(self._rng.integers(len(buf)))
        element = buf[i]
        last = buf.pop()
        if i < len(buf):
            buf[i] = last
        return element

    def get_state(self) -> dict[str, Any]:
        return {
            "upstream": self._up.get_state(),
            "buffer": list(self._buffer),
            "rng": self._rng.bit_generator.state,
            "exhausted": self._exhausted,
            "iteration": self._iteration,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self._up.set_state(state["upstream"])
        self._buffer = list(state["buffer"])
        self._rng.bit_generator.state = state["rng"]
        self._exhausted = state["exhausted"]
        self._iteration = state["iteration"]
        self._on_restore(self._iteration)

    def _on_restore(self, iteration: int) -> None:  # replaced by the dataset
        pass

    def close(self) -> None:
        getattr(self._up, "close", lambda: None)()


class ShuffleDataset(UnaryDataset):
    def __init__(
        self,
        input_dataset: Dataset,
        buffer_size: int,
        seed: int | None = None,
        reshuffle_each_iteration: bool = True,
    ) -> None:
        buffer_size = int_arg(
            buffer_size, "shuffle", "buffer_size", minimum=1, hint="E.g. shuffle(10_000)."
        )
        super().__init__(input_dataset)
        self._size = buffer_size
        if seed is None:
            seed = int(torch.randint(0, 2**62, (1,)).item())
        self._seed = int(seed)
        self._reshuffle = reshuffle_each_iteration
        self._iterations = 0

    def _iterator(self) -> _ShuffleIterator:
        iteration = self._iterations if self._reshuffle else 0
        self._iterations += 1
        it = _ShuffleIterator(self._input._iterator(), self._size, self._seed, iteration)
        it._on_restore = self._restored  # type: ignore[method-assign]
        return it

    def _restored(self, iteration: int) -> None:
        # Later iterations continue after the restored one (exact resume across rounds).
        self._iterations = iteration + 1
