"""``BackupAndRestore``: resume an interrupted ``fit()`` exactly where it left off (Keras 3 API).

When to save follows Keras: a backup at the end of every epoch
(``save_freq="epoch"``) or every N training batches counted across epochs
(``save_freq=N``); ``save_freq=False`` writes no backups (it only restores).
The next ``fit()`` with the same callback restores the latest backup in
``on_train_begin`` and continues from it — mid-epoch too: a run killed at any
step (SIGKILL included) and restarted ends with the same weights, bit for bit,
as one that was never interrupted. ``History`` then lists only the epochs run,
with Keras's epoch numbers. After a ``fit()`` that finishes, the backup is
deleted (``delete_checkpoint=True``).

Each backup is a full ``.torchbridge`` checkpoint (``model.save``): weights,
optimizer (schedule and loss scale included), the trainer's counters, every
random generator and layer seed generator, metric totals, the data position
and the callbacks' states (:mod:`torchbridge.training.resume`; docs/resume.md).
It is written after every callback has run the batch's or epoch's hook
(:mod:`._save_timing`).

Layout of ``backup_dir`` (ours; not Keras's ``.weights.h5`` files):

* ``backup-<n>.torchbridge`` — checkpoints, each written atomically;
* ``training_metadata.json`` — written atomically *after* the checkpoint it
  names, so it only ever points at complete files: ``{"latest": entry,
  "previous": entry | null}``, entry = ``{"file", "epoch", "batch"}`` (Keras's
  metadata: ``epoch`` the current one, ``batch`` the last batch index seen, 0
  after an epoch).

With ``double_checkpoint=True`` the previous checkpoint is kept, and is
restored when the latest cannot be read (a damaged file).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from typing import Any

import torch

from torchbridge.callbacks._save_timing import save_after_hooks
from torchbridge.callbacks.callback import Callback, Logs
from torchbridge.errors import InputError, SavedFormatError
from torchbridge.utils.process_rank import is_main_process

__all__ = ["BackupAndRestore"]

METADATA = "training_metadata.json"
_FORMAT = "torchbridge.BackupAndRestore"
_VERSION = 2  # 1 kept the random generators here; they are in the checkpoint now
_BACKUP_FILE = re.compile(r"^backup-(\d+)\.torchbridge$")
_OWN_FILE = re.compile(r"^\.?(backup-\d+\.torchbridge|training_metadata\.json)(\..+\.tmp)?$")


class BackupAndRestore(Callback):
    """Back up the training state during ``fit()``; restore it when ``fit()`` starts again."""

    def __init__(
        self,
        backup_dir: str | os.PathLike[str],
        save_freq: str | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise InputError(
                "BackupAndRestore needs a backup_dir: a directory used only by this callback, "
                "e.g. BackupAndRestore('/tmp/backup')."
            )
        if (
            save_freq is not False
            and save_freq != "epoch"
            and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1)
        ):
            raise InputError(
                f"save_freq must be 'epoch', a positive number of batches or False (no "
                f"backups written), got {save_freq!r}."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._current_epoch = 0
        self._last_batch_seen = -1
        self._batches_since_save = 0
        self._latest: dict[str, Any] | None = None  # the entry the metadata names as latest

    # --- restore ------------------------------------------------------------------------
    def _read_metadata(self) -> dict[str, Any] | None:
        path = os.path.join(self.backup_dir, METADATA)
        if not os.path.exists(path):
            return None
        try:
            with open(path, encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, ValueError) as e:
            raise SavedFormatError(
                f"The backup metadata {path!r} cannot be read ({e}). Delete {self.backup_dir!r} "
                "to start training from scratch."
            ) from e
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise SavedFormatError(
                f"{path!r} was not written by torchbridge's BackupAndRestore (Keras's backups "
                f"cannot be resumed here). Use an empty backup_dir, or delete {self.backup_dir!r}."
            )
        if meta.get("version") != _VERSION:
            raise SavedFormatError(
                f"{path!r} was written by another torchbridge version's BackupAndRestore "
                f"(format {meta.get('version')}, this one reads {_VERSION}). Delete "
                f"{self.backup_dir!r} to start training from scratch."
            )
        return meta

    def _check_built(self) -> None:
        lazy = torch.nn.parameter.UninitializedParameter
        if any(isinstance(p, lazy) for p in self.model.parameters()):
            raise InputError(
                "To restore a backup, the model must be built before fit(): it still has "
                "lazily created weights. Call it once on a batch (model(x[:1])) or give it an "
                "Input / input_shape first."
            )

    def _restore(self, entry: dict[str, Any]) -> None:
        from torchbridge.training.resume import Resume  # the engine is a floor above

        path = os.path.join(self.backup_dir, entry["file"])
        meta = self.model.load_checkpoint(path, for_resume=True)
        # Applied by the loop right after on_train_begin (Keras's fit reads
        # model._initial_epoch there): counters, callback states, data position, generators.
        self.model._pending_resume = Resume(meta.get("resume"), repr(path))
        self._current_epoch = int(entry["epoch"])

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._last_batch_seen = -1
        self._batches_since_save = 0
        self._latest = None
        meta = self._read_metadata()
        if meta is None:
            return
        self._check_built()
        try:
            self._restore(meta["latest"])
            self._latest = meta["latest"]
        except Exception as error:
            previous = meta.get("previous")
            if previous is None:
                raise SavedFormatError(
                    f"The backup {meta['latest']['file']!r} in {self.backup_dir!r} cannot be "
                    f"restored ({type(error).__name__}: {error}). Delete the directory to start "
                    "from scratch; BackupAndRestore(..., double_checkpoint=True) keeps the "
                    "previous backup as a fallback."
                ) from error
            self._restore(previous)  # the damaged latest one is removed at the next save
            self._latest = previous

    # --- save ---------------------------------------------------------------------------
    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch" or self.save_freq is False:
            return
        # Batches counted across epochs, as Keras does (batch numbers restart each epoch).
        step = batch - self._last_batch_seen if batch > self._last_batch_seen else batch + 1
        self._last_batch_seen = batch
        self._batches_since_save += step
        if self._batches_since_save >= int(self.save_freq):
            self._batches_since_save = 0
            self._save_soon(self._current_epoch, batch, "on_train_batch_end", batch)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch + 1
        self._last_batch_seen = -1
        if self.save_freq == "epoch":
            self._save_soon(epoch + 1, 0, "on_epoch_end", epoch)

    # --- state (part of every checkpoint written during fit) ------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "current_epoch": self._current_epoch,
            "last_batch_seen": self._last_batch_seen,
            "batches_since_save": self._batches_since_save,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._current_epoch = int(state["current_epoch"])
        self._last_batch_seen = int(state["last_batch_seen"])
        self._batches_since_save = int(state["batches_since_save"])

    def _save_soon(self, epoch: int, batch: int, hook: str, index: int) -> None:
        save_after_hooks(self, lambda: self._save(epoch, batch), hook, index)

    def _save(self, epoch: int, batch: int) -> None:
        from torchbridge.saving.atomic import atomic_path  # saving is a floor above

        if not is_main_process():  # distributed: rank 0 writes
            return

        os.makedirs(self.backup_dir, exist_ok=True)
        numbers = [
            int(m.group(1)) for m in map(_BACKUP_FILE.match, os.listdir(self.backup_dir)) if m
        ]
        entry: dict[str, Any] = {
            "file": f"backup-{max(numbers, default=0) + 1:06d}.torchbridge",
            "epoch": epoch,
            "batch": batch,
        }
        self.model.save(os.path.join(self.backup_dir, entry["file"]))  # atomic
        previous = self._latest if self.double_checkpoint else None
        meta = {"format": _FORMAT, "version": _VERSION, "latest": entry, "previous": previous}
        path = os.path.join(self.backup_dir, METADATA)
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
            json.dump(meta, f)
        self._latest = entry
        # Only now are the older checkpoints unreferenced.
        self._remove_own_files(
            keep={METADATA, entry["file"]} | ({previous["file"]} if previous else set())
        )

    # --- clean up -----------------------------------------------------------------------
    def _remove_own_files(self, keep: set[str]) -> None:
        for name in os.listdir(self.backup_dir):
            if name not in keep and _OWN_FILE.match(name):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(self.backup_dir, name))

    def on_train_end(self, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if isinstance(loss, float) and not math.isfinite(loss):
            return  # fit is about to raise NonFiniteLossError: keep the last good backup
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            self._remove_own_files(keep=set())
            with contextlib.suppress(OSError):
                os.rmdir(self.backup_dir)  # only if nothing else lives there
