"""BackupAndRestore: an interrupted fit resumes where it stopped, as in Keras 3; exactly.

Keras is the oracle for *where* a resumed fit starts (History's epoch
numbers); the exactness check compares a resumed run with an uninterrupted
one in torchbridge (same final weights, to the bit).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
import torch
from torch import nn

import torchbridge as tb
from torchbridge.callbacks import BackupAndRestore
from torchbridge.errors import InputError, SavedFormatError

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 4)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5], [0.0]], "float32")).astype("float32")
EPOCHS = 5


def interrupter(lib: Any, epoch: int | None = None, batch: int | None = None) -> Any:
    """A callback that raises at the start of ``epoch``, or after ``batch`` of that epoch."""

    class Interrupt(lib.callbacks.Callback):
        def on_epoch_begin(self, e: int, logs: Any = None) -> None:
            self.epoch = e
            if e == epoch and batch is None:
                raise RuntimeError("interrupted")

        def on_train_batch_end(self, b: int, logs: Any = None) -> None:
            if self.epoch == epoch and b == batch:
                raise RuntimeError("interrupted")

    return Interrupt()


def _tb_model(dropout: float = 0.0) -> tb.Model:
    layers = [tb.layers.Dense(8, activation="relu"), tb.layers.Dropout(dropout)]
    model = tb.Sequential([tb.Input((4,)), *layers, tb.layers.Dense(1)])
    model.compile(optimizer=tb.optimizers.Adam(0.01), loss="mse", device="cpu")
    return model


def _keras_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _interrupted_then_resumed(
    make: Any, lib: Any, backup: BackupAndRestore | Any, stop: dict[str, int], **fit: Any
) -> Any:
    model = make()
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(X, Y, epochs=EPOCHS, callbacks=[backup, interrupter(lib, **stop)], **fit)
    # A new process would build a new model: different initial weights.
    return make().fit(X, Y, epochs=EPOCHS, callbacks=[backup], **fit)


@pytest.mark.parametrize(
    ("save_freq", "stop"),
    [
        ("epoch", {"epoch": 2}),
        ("epoch", {"epoch": 0}),
        (3, {"epoch": 2, "batch": 1}),  # 4 batches an epoch: last save after batch 2 of epoch 1
        (2, {"epoch": 3, "batch": 2}),
    ],
)
def test_resumes_at_the_epoch_keras_resumes_at(
    tmp_path: Path, save_freq: Any, stop: dict[str, int]
) -> None:
    fit = {"batch_size": 4, "shuffle": False, "verbose": 0}
    k_backup = keras.callbacks.BackupAndRestore(str(tmp_path / "k"), save_freq=save_freq)
    k_history = _interrupted_then_resumed(_keras_model, keras, k_backup, stop, **fit)
    t_backup = BackupAndRestore(tmp_path / "t", save_freq=save_freq)
    t_history = _interrupted_then_resumed(_tb_model, tb, t_backup, stop, **fit)
    assert t_history.epoch == k_history.epoch
    assert len(t_history.history["loss"]) == len(k_history.history["loss"])
    assert not (tmp_path / "t").exists() and not (tmp_path / "k").exists()


@pytest.mark.parametrize(
    ("dropout", "shuffle"), [(0.0, False), (0.3, True)], ids=["deterministic", "dropout+shuffle"]
)
def test_resumed_fit_ends_with_the_uninterrupted_weights(
    tmp_path: Path, dropout: float, shuffle: bool
) -> None:
    fit = {"batch_size": 4, "shuffle": shuffle, "verbose": 0}
    torch.manual_seed(0)
    straight = _tb_model(dropout)
    straight_history = straight.fit(X, Y, epochs=EPOCHS, **fit)

    torch.manual_seed(0)
    first = _tb_model(dropout)
    backup = BackupAndRestore(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="interrupted"):
        first.fit(X, Y, epochs=EPOCHS, callbacks=[backup, interrupter(tb, epoch=2)], **fit)
    torch.manual_seed(1234)  # the restarted process: other seed, other initial weights
    resumed = _tb_model(dropout)
    history = resumed.fit(
        X, Y, epochs=EPOCHS, callbacks=[BackupAndRestore(tmp_path / "backup")], **fit
    )

    assert history.epoch == [2, 3, 4]
    assert history.history["loss"] == straight_history.history["loss"][2:]
    for ours, theirs in zip(resumed.get_weights(), straight.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert resumed.optimizer.iterations == straight.optimizer.iterations == EPOCHS * 4


def _files(path: Path) -> list[str]:
    return sorted(os.listdir(path))


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path: Path) -> None:
    backup = BackupAndRestore(tmp_path, double_checkpoint=True)
    fit = {"batch_size": 4, "verbose": 0}
    with pytest.raises(RuntimeError):
        _tb_model().fit(X, Y, epochs=EPOCHS, callbacks=[backup, interrupter(tb, epoch=3)], **fit)
    assert _files(tmp_path) == [
        "backup-000002.torchbridge",
        "backup-000003.torchbridge",
        "training_metadata.json",
    ]
    latest = tmp_path / "backup-000003.torchbridge"
    latest.write_bytes(latest.read_bytes()[:100])  # damaged
    history = _tb_model().fit(X, Y, epochs=EPOCHS, callbacks=[backup], **fit)
    assert history.epoch == [2, 3, 4]  # from the previous backup (end of epoch 1)


def test_a_damaged_backup_without_fallback_names_the_fix(tmp_path: Path) -> None:
    backup = BackupAndRestore(tmp_path, delete_checkpoint=False)
    _tb_model().fit(X, Y, epochs=2, callbacks=[backup], verbose=0)
    assert _files(tmp_path) == ["backup-000002.torchbridge", "training_metadata.json"]
    (tmp_path / "backup-000002.torchbridge").write_bytes(b"garbage")
    with pytest.raises(SavedFormatError, match="double_checkpoint=True") as info:
        _tb_model().fit(X, Y, epochs=3, callbacks=[backup], verbose=0)
    assert info.value.__notes__ == ["Raised by callback BackupAndRestore in on_train_begin()."]


def test_delete_checkpoint_false_keeps_the_backup_and_the_next_fit_resumes(tmp_path: Path) -> None:
    backup = BackupAndRestore(tmp_path / "b", delete_checkpoint=False)
    model = _tb_model()
    model.fit(X, Y, epochs=2, callbacks=[backup], verbose=0)
    assert (tmp_path / "b" / "training_metadata.json").exists()
    # Keras: the finished run's backup says "resume at epoch 2".
    assert model.fit(X, Y, epochs=3, callbacks=[backup], verbose=0).epoch == [2]
    assert model.fit(X, Y, epochs=1, verbose=0).epoch == [0]  # the resume was for one fit only


def test_only_its_own_files_are_removed(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    _tb_model().fit(X, Y, epochs=2, callbacks=[BackupAndRestore(tmp_path)], verbose=0)
    assert _files(tmp_path) == ["notes.txt"]


def test_a_failed_save_leaves_the_last_complete_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from torchbridge.saving import checkpoint

    real = checkpoint.save_safetensors

    class DiskFull(tb.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            if epoch == 1:

                def fail(*args: Any) -> bytes:
                    real(*args)
                    raise OSError("disk full (simulated)")

                monkeypatch.setattr(checkpoint, "save_safetensors", fail)

    backup = BackupAndRestore(tmp_path)
    with pytest.raises(OSError, match="disk full") as info:
        _tb_model().fit(X, Y, epochs=EPOCHS, callbacks=[DiskFull(), backup], verbose=0)
    assert info.value.__notes__ == ["Raised by callback BackupAndRestore in on_epoch_end(1)."]
    assert _files(tmp_path) == ["backup-000001.torchbridge", "training_metadata.json"]
    monkeypatch.setattr(checkpoint, "save_safetensors", real)
    assert _tb_model().fit(X, Y, epochs=3, callbacks=[backup], verbose=0).epoch == [1, 2]


def test_a_non_finite_loss_keeps_the_backup(tmp_path: Path) -> None:
    x = X.copy()
    model = _tb_model()
    model.compile(optimizer=tb.optimizers.SGD(1e6), loss="mse", device="cpu")
    with pytest.raises(FloatingPointError):
        model.fit(x * 1e6, Y, epochs=EPOCHS, callbacks=[BackupAndRestore(tmp_path)], verbose=0)
    assert "training_metadata.json" in _files(tmp_path)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"backup_dir": ""},
        {"backup_dir": "b", "save_freq": "batch"},
        {"backup_dir": "b", "save_freq": 1.5},
    ],
)
def test_bad_arguments_fail_like_keras(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        keras.callbacks.BackupAndRestore(**kwargs)
    with pytest.raises(InputError):
        BackupAndRestore(**kwargs)


class LazyNet(tb.Model):
    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.LazyLinear(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(x)


def test_an_unbuilt_model_cannot_restore(tmp_path: Path) -> None:
    _tb_model().fit(
        X, Y, epochs=1, callbacks=[BackupAndRestore(tmp_path, delete_checkpoint=False)], verbose=0
    )
    model = LazyNet()
    model.compile(optimizer="adam", loss="mse", device="cpu")
    with pytest.raises(InputError, match="built before fit"):
        model.fit(X, Y, epochs=2, callbacks=[BackupAndRestore(tmp_path)], verbose=0)


def test_keras_backups_are_not_mistaken_for_ours(tmp_path: Path) -> None:
    keras_backup = keras.callbacks.BackupAndRestore(str(tmp_path), delete_checkpoint=False)
    _keras_model().fit(X, Y, epochs=1, callbacks=[keras_backup], verbose=0)
    with pytest.raises(SavedFormatError, match="not written by torchbridge"):
        _tb_model().fit(X, Y, epochs=2, callbacks=[BackupAndRestore(tmp_path)], verbose=0)
