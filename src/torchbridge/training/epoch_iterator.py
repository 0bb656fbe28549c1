"""``EpochIterator``: how many steps an epoch has, and which batches they get.

It owns the one piece of data position the loop needs: which stream of
batches is open and how far into it we are. Rules (as Keras 3):

* no ``steps_per_epoch``: each epoch is one full pass over the adapter;
* ``steps_per_epoch=N``: each epoch takes the next N batches, continuing the
  same stream across epochs; a fresh pass starts once a stream is used up;
* a stream that runs dry in the middle of an epoch ends that epoch early with
  Keras's "ran out of data" warning (data is never repeated to fill the
  steps); a one-shot generator that runs dry ends training.

For exact resume it also records how the open pass was opened
(:func:`~torchbridge.training.data_position.stream_start`) and how far it
has been read (:meth:`EpochIterator.position`); :meth:`EpochIterator.resume_at`
makes the next :meth:`EpochIterator.epoch` reopen that pass, skip what was
read and continue at the same step.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

from torchbridge.backend import config
from torchbridge.errors import InputError
from torchbridge.training.data_adapter import DataAdapter, GeneratorAdapter, StepData
from torchbridge.training.data_position import reopen, stream_start

__all__ = ["EpochIterator"]


class EpochIterator:
    def __init__(
        self, adapter: DataAdapter, steps_per_epoch: int | None = None, warn: bool = True
    ) -> None:
        if steps_per_epoch is not None and steps_per_epoch <= 0:
            raise ValueError(f"steps_per_epoch must be a positive integer, got {steps_per_epoch}.")
        cap = config.max_steps_per_epoch()  # keras.config's debugging cap
        if cap and (not steps_per_epoch or cap < steps_per_epoch):
            warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
            steps_per_epoch = cap
        if steps_per_epoch is None and getattr(adapter, "infinite", False):
            raise InputError(
                "The dataset is infinite (repeat() without a count), so an epoch never ends. "
                "Pass steps_per_epoch=... to fit() (steps=... to evaluate/predict, "
                "validation_steps=... for validation data), or repeat a finite number of times."
            )
        self.adapter = adapter
        self.steps_per_epoch = steps_per_epoch
        self._stream: Iterator[StepData] | None = None
        self._stream_index = 0  # how many streams (passes) have been opened
        self._seen_in_stream = 0
        self.exhausted = False  # a one-shot source ran dry: stop training
        self.warn = warn  # validation inside fit warns in its own words
        # Exact resume: how the open pass was opened, which pass it is, batches read in all.
        self._opened: dict[str, Any] | None = None
        self._pass = 0
        self._pulled = 0
        self._resume: tuple[dict[str, Any], int, Callable[[Any], None]] | None = None

    @property
    def num_steps(self) -> int | None:
        """Steps per epoch if known (``None`` for a source of unknown length)."""
        if self.steps_per_epoch is not None:
            return self.steps_per_epoch
        return self.adapter.num_batches

    def state_dict(self) -> dict[str, Any]:
        return {"stream_index": self._stream_index, "seen_in_stream": self._seen_in_stream}

    def position(self) -> dict[str, Any]:
        """Where the data stands now (plain values and tensors, for a checkpoint)."""
        return {
            "open": self._opened is not None,
            "pass": self._pass,
            "seen": self._seen_in_stream,
            "pulled": self._pulled,
            "stream_index": self._stream_index,
            "start": self._opened,
        }

    def resume_at(
        self, position: dict[str, Any], step: int, on_ready: Callable[[Any], None]
    ) -> None:
        """Make the next :meth:`epoch` continue from ``position`` at ``step``; ``on_ready``
        gets the first replayed batch (or ``None``) once the data is positioned."""
        self._resume = (position, step, on_ready)

    def _open(self, pass_number: int) -> Iterator[StepData]:
        self._opened = stream_start(self.adapter)
        self._pass, self._seen_in_stream = pass_number, 0
        return iter(self.adapter.iter_epoch(pass_number))

    def _take_resume(self) -> tuple[Iterator[StepData] | None, int]:
        """The stream positioned as the checkpoint left it, and the step to continue at."""
        if self._resume is None:
            return None, 0
        position, step, on_ready = self._resume
        self._resume = None
        self._stream_index, self._pulled = position["stream_index"], position["pulled"]
        stream, first = None, None
        if isinstance(self.adapter, GeneratorAdapter):  # one stream: skip all it gave
            stream, first = reopen(self.adapter, 0, position["start"], self._pulled)
        elif position["open"]:
            stream, first = reopen(
                self.adapter, position["pass"], position["start"], position["seen"]
            )
        if stream is not None:
            self._opened, self._pass = position["start"], position["pass"]
            self._seen_in_stream = position["seen"]
        on_ready(first)
        return stream, step

    def epoch(self, epoch: int) -> Iterator[tuple[int, StepData]]:
        """Yield ``(step, batch)`` for one epoch; each batch as a step receives it. An
        adapter with epoch hooks (a PyDataset's) has them called around every epoch, as
        Keras's epoch iterator does."""
        begin = getattr(self.adapter, "on_epoch_begin", None)
        if begin is None:
            yield from self._epoch(epoch)
            return
        begin()
        try:
            yield from self._epoch(epoch)
        finally:
            self.adapter.on_epoch_end()  # type: ignore[attr-defined]

    def _epoch(self, epoch: int) -> Iterator[tuple[int, StepData]]:
        resumed, start = self._take_resume()
        if self.steps_per_epoch is None:
            stream = resumed if resumed is not None else self._open(epoch)
            if start and resumed is None:  # resumed after the last batch of the epoch
                stream = iter(())
            step = start - 1
            for step, batch in enumerate(stream, start):
                self._seen_in_stream += 1
                self._pulled += 1
                yield step, batch
            self._opened = None  # the pass is over
            if step == -1 and isinstance(self.adapter, GeneratorAdapter):
                self.exhausted = True
                self._warn()
            return
        if resumed is not None:
            self._stream = resumed
        total = self.adapter.num_batches
        for step in range(start, self.steps_per_epoch):
            if self._stream is not None and total is not None and self._seen_in_stream >= total:
                self._stream = self._opened = None  # the pass ended mid-epoch: end the epoch
                self._warn()
                return
            if self._stream is None:
                self._stream = self._open(self._stream_index)
                self._stream_index += 1
            try:
                batch = next(self._stream)
            except StopIteration:
                self._stream = self._opened = None
                if isinstance(self.adapter, GeneratorAdapter):
                    self.exhausted = True
                self._warn()
                return
            self._seen_in_stream += 1
            self._pulled += 1
            yield step, batch
        if total is not None and self._seen_in_stream >= total:
            self._stream = self._opened = None  # used up: the next epoch opens a fresh pass

    def reset(self) -> None:
        """Start the next epoch on a fresh pass (Keras resets the iterator of every
        ``evaluate``, so each validation with ``validation_steps`` starts at the top)."""
        self._stream = self._opened = None
        self._seen_in_stream = 0
        end = getattr(self.adapter, "on_epoch_end", None)
        if end is not None:  # Keras's reset() ends the adapter's epoch (a PyDataset's hook)
            end()

    def _warn(self) -> None:
        if not self.warn:
            return
        warnings.warn(
            "Your input ran out of data; interrupting training. Make sure that your dataset or "
            "generator can generate at least `steps_per_epoch * epochs` batches"
            + (f" ({self.steps_per_epoch} steps per epoch)." if self.steps_per_epoch else "."),
            UserWarning,
            stacklevel=4,
        )
