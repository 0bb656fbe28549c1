"""Callbacks' state round trips: ``state_dict()`` into a checkpoint written during fit, back
with ``load_state_dict()`` (what an exact resume restores)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import torchbridge as tb
from torchbridge.callbacks import (
    BackupAndRestore,
    EarlyStopping,
    ModelCheckpoint,
    ReduceLROnPlateau,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype("float32")
Y = RNG.normal(size=(16, 1)).astype("float32")


def _model() -> tb.Model:
    tb.utils.set_random_seed(0)
    model = tb.Sequential([tb.Input((3,)), tb.layers.Dense(1)])
    model.compile(optimizer=tb.optimizers.SGD(0.05), loss="mse", device="cpu")
    return model


CASES = {
    "EarlyStopping": lambda tmp: EarlyStopping("loss", patience=5, restore_best_weights=True),
    "ReduceLROnPlateau": lambda tmp: ReduceLROnPlateau("loss", patience=0, cooldown=2),
    "ModelCheckpoint": lambda tmp: ModelCheckpoint(
        str(tmp / "best.torchbridge"), monitor="loss", save_best_only=True, save_freq=3
    ),
    "BackupAndRestore": lambda tmp: BackupAndRestore(tmp / "backup", save_freq=3),
}


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    return bool(a == b)


class _SaveAt(tb.callbacks.Callback):
    """``model.save`` at the end of epoch ``epoch`` (after the other callbacks' hooks)."""

    def __init__(self, path: Path, epoch: int) -> None:
        super().__init__()
        self.path, self.epoch = path, epoch

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if epoch == self.epoch:
            self.model.save(self.path)


@pytest.mark.parametrize("name", list(CASES))
def test_state_round_trips_through_a_checkpoint(tmp_path: Path, name: str) -> None:
    callback = CASES[name](tmp_path)
    model = _model()
    path = tmp_path / "at-epoch-2.torchbridge"
    model.fit(X, Y, batch_size=4, epochs=3, verbose=0, callbacks=[callback, _SaveAt(path, epoch=1)])
    meta = model.load_checkpoint(path)
    saved = {entry[0]: entry[2] for entry in meta["resume"]["callbacks"]}
    assert name in saved
    fresh = CASES[name](tmp_path)
    fresh.set_model(model)
    fresh.load_state_dict(saved[name])
    assert _equal(fresh.state_dict(), saved[name])


def test_early_stopping_state_holds_the_best_weights(tmp_path: Path) -> None:
    callback = EarlyStopping("loss", patience=5, restore_best_weights=True)
    model = _model()
    model.fit(X, Y, batch_size=4, epochs=2, verbose=0, callbacks=[callback])
    state = callback.state_dict()
    assert state["best"] == callback.best and state["best_epoch"] == callback.best_epoch
    assert state["best_weights"] is not None
    assert all(torch.equal(state["best_weights"][k], v) for k, v in callback.best_weights.items())


def test_reduce_lr_counters_after_a_reduction() -> None:
    callback = ReduceLROnPlateau("loss", patience=0, cooldown=2)
    model = _model()
    model.fit(X, Y * 0 + 1e6, batch_size=4, epochs=2, verbose=0, callbacks=[callback])
    restored = ReduceLROnPlateau("loss", patience=0, cooldown=2)
    restored.load_state_dict(callback.state_dict())
    assert (restored.wait, restored.best, restored.cooldown_counter) == (
        callback.wait,
        callback.best,
        callback.cooldown_counter,
    )
