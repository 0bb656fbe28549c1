"""``ModelCheckpoint``: save the model or its weights during ``fit()``.

Keras 3 semantics for *when* to save: every epoch (``save_freq="epoch"``) or
every N training batches counted across epochs (``save_freq=N``), optionally
only when ``monitor`` improves (``save_best_only``). ``filepath`` is a
``str.format`` template filled with ``epoch`` (1-based), ``batch`` (1-based,
batch-level saves only) and the keys of ``logs``.

File names follow Keras 3's rules: with ``save_weights_only=True`` the path
ends in ``.weights.h5`` (Keras's weights file, ``model.save_weights``), and
torchbridge also accepts ``.safetensors``; full checkpoints end in ``.keras``
(torchbridge also accepts ``.torchbridge``) and are written by ``model.save``.

Every write is atomic (:func:`torchbridge.saving.atomic.atomic_path`): the
model is saved to a hidden temporary name in the target directory and then
renamed over the target, so a crash or an exception mid-save never leaves a
partial checkpoint behind; temporary files of a killed run are removed by the
next save in that directory. During ``fit()`` the write happens once every
callback has run the hook (:mod:`._save_timing`), so a full checkpoint holds
their effects; ``state_dict()`` / ``load_state_dict()`` (torchbridge) carry
``best`` and the batch counters into that checkpoint, for
``fit(resume_from=...)``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from torchbridge.callbacks._save_timing import save_after_hooks
from torchbridge.callbacks.callback import Logs
from torchbridge.callbacks.monitor import MonitorCallback
from torchbridge.utils.process_rank import is_main_process

__all__ = ["ModelCheckpoint"]

WEIGHTS_SUFFIXES = (".weights.h5", ".safetensors")
MODEL_SUFFIXES = (".keras", ".torchbridge")


class ModelCheckpoint(MonitorCallback):
    """Save the model (or only its weights) at the end of epochs or every N batches.

    Args:
        filepath: path template, e.g. ``"ckpt/{epoch:02d}-{val_loss:.2f}.weights.h5"``.
            Must end in ``.weights.h5`` (or ``.safetensors``) with ``save_weights_only=True``,
            else in ``.keras`` (or ``.torchbridge``). Missing parent directories are created.
        monitor: logged quantity used by ``save_best_only``.
        verbose: 1 prints a line for each save decision.
        save_best_only: save only when ``monitor`` improves on the best value so far.
        save_weights_only: ``model.save_weights`` instead of ``model.save``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the monitor name).
        save_freq: ``"epoch"`` or an int N: save every N training batches.
        initial_value_threshold: starting "best" value for ``save_best_only``.
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: int | None = None
        self._current_epoch = 0

        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq}. "
                "Expected save_freq are 'epoch' or integer values"
            )
        if save_weights_only:
            if not self.filepath.endswith(WEIGHTS_SUFFIXES):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.h5` (Keras weights format; torchbridge "
                    f"also accepts `.safetensors`). Received: filepath={self.filepath}"
                )
        elif not self.filepath.endswith(MODEL_SUFFIXES):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format; torchbridge "
                "also accepts `.torchbridge`), or pass `save_weights_only=True` with a "
                f"`.weights.h5` filepath. Received: filepath={self.filepath}"
            )

    # --- hooks ----------------------------------------------------------------
    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    # --- state (part of every checkpoint written during fit) ----------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "best": None if self.best is None else float(self.best),
            "batches_seen_since_last_saving": self._batches_seen_since_last_saving,
            "last_batch_seen": self._last_batch_seen,
            "current_epoch": self._current_epoch,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state["best"]
        self._batches_seen_since_last_saving = int(state["batches_seen_since_last_saving"])
        self._last_batch_seen = state["last_batch_seen"]
        self._current_epoch = int(state["current_epoch"])

    # --- decisions --------------------------------------------------------------
    def _should_save_on_batch(self, batch: int) -> bool:
        """Count batches across epochs; True every ``save_freq`` batches."""
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch started: batch indices restart at 0
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        assert isinstance(self.save_freq, int)
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch: int, logs: Mapping[str, Any], filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if isinstance(current, (np.ndarray, torch.Tensor)) and len(current.shape) > 0:
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. "
                f"Received: {current}. Falling back to `save_best_only=False`.",
                stacklevel=3,
            )
            return True
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    # --- saving -------------------------------------------------------------------
    def _get_file_path(self, epoch: int, batch: int | None, logs: Mapping[str, Any]) -> str:
        """Fill the ``filepath`` template (epoch and batch are 1-based)."""
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            available = ["epoch"] + ([] if batch is None else ["batch"]) + list(logs.keys())
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". '
                f"Reason: the key `{e.args[0]}` is not in the logs. Available keys: "
                f"{', '.join(available)}."
            ) from None

    def _save_model(self, epoch: int, batch: int | None, logs: Logs | None) -> None:
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. "
                f"Filepath used is an existing directory: {filepath}"
            )
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        hook, index = ("on_epoch_end", epoch) if batch is None else ("on_train_batch_end", batch)
        save_after_hooks(self, lambda: self._atomic_save(filepath), hook, index)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _atomic_save(self, filepath: str) -> None:
        """Save to a temporary name next to ``filepath``, then rename over it."""
        from torchbridge.saving.atomic import atomic_path  # saving is a floor above

        if not is_main_process():  # distributed: rank 0 writes
            return

        # The temporary name keeps the suffix so the save method accepts it.
        suffix = next(
            (
                s
                for s in (".weights.safetensors", *WEIGHTS_SUFFIXES, *MODEL_SUFFIXES)
                if filepath.endswith(s)
            ),
            os.path.splitext(filepath)[1],
        )
        with atomic_path(filepath, suffix=suffix) as tmp:
            if self.save_weights_only:
                self.model.save_weights(tmp, overwrite=True)
            else:
                self.model.save(tmp, overwrite=True)
