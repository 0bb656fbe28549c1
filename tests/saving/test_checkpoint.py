"""``.torchbridge`` checkpoints: weights + optimizer + counters, atomic, never pickle."""

from __future__ import annotations

import os
import pickle
import zipfile

import numpy as np
import pytest
import torch
from torch import nn

import torchbridge as tb
from torchbridge.errors import InputError, SavedFormatError


def _fitted() -> tb.Model:
    torch.manual_seed(0)
    model = tb.Model.wrap(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)))
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.random.rand(32, 3), np.random.rand(32, 1), batch_size=8, epochs=2, verbose=0)
    return model


def test_checkpoint_restores_weights_optimizer_and_counters(tmp_path) -> None:
    model = _fitted()
    path = tmp_path / "run.torchbridge"
    model.save(path)
    assert zipfile.is_zipfile(path)
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []

    torch.manual_seed(5)
    other = tb.Model.wrap(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)))
    other.compile(optimizer="adam", loss="mse")
    other.load_checkpoint(path)
    for a, b in zip(model.parameters(), other.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert other.optimizer.iterations == model.optimizer.iterations == 8
    sa, sb = model.optimizer.state_dict(), other.optimizer.state_dict()
    for pid, st in sa["state"].items():
        torch.testing.assert_close(st["exp_avg"], sb["state"][pid]["exp_avg"], rtol=0, atol=0)
    assert other._trainer.state.global_step == model._trainer.state.global_step == 8

    # Continuing training from the restored state matches continuing the original.
    x, y = np.random.rand(8, 3), np.random.rand(8, 1)
    model.train_on_batch(x, y)
    other.train_on_batch(x, y)
    for a, b in zip(model.parameters(), other.parameters()):
        torch.testing.assert_close(a, b)


def test_load_weights_reads_a_checkpoint(tmp_path) -> None:
    model = _fitted()
    model.save(tmp_path / "m.torchbridge")
    fresh = tb.Model.wrap(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)))
    fresh.load_weights(tmp_path / "m.torchbridge")
    x = np.random.rand(4, 3)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_wrong_suffix_and_pickles_are_refused(tmp_path) -> None:
    model = _fitted()
    with pytest.raises(InputError, match=r"'\.keras' or '\.torchbridge'"):
        model.save(tmp_path / "m.h5")

    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    evil = tmp_path / "evil.torchbridge"
    evil.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(SavedFormatError, match="never loads pickled"):
        model.load_checkpoint(evil)
    assert not (tmp_path / "pwned").exists()


def test_model_checkpoint_full_save_is_loadable(tmp_path) -> None:
    torch.manual_seed(0)
    model = tb.Model.wrap(nn.Linear(2, 1))
    model.compile(optimizer="sgd", loss="mse")
    cb = tb.callbacks.ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}.torchbridge"))
    model.fit(np.random.rand(8, 2), np.random.rand(8, 1), epochs=2, callbacks=[cb], verbose=0)
    assert sorted(os.listdir(tmp_path)) == ["ckpt-01.torchbridge", "ckpt-02.torchbridge"]
    restored = tb.Model.wrap(nn.Linear(2, 1))
    restored.compile(optimizer="sgd", loss="mse")
    restored.load_checkpoint(tmp_path / "ckpt-02.torchbridge")
    torch.testing.assert_close(restored.module.weight, model.module.weight, rtol=0, atol=0)


def test_load_weights_from_checkpoint_reports_mismatches(tmp_path) -> None:
    model = _fitted()
    model.save(tmp_path / "m.torchbridge")
    other = tb.Model.wrap(nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1)))
    with pytest.raises(InputError, match="shape mismatch"):
        other.load_weights(tmp_path / "m.torchbridge")
    report = other.load_weights(tmp_path / "m.torchbridge", skip_mismatch=True)
    assert sorted(report["skipped"]) == ["0.bias", "0.weight", "2.weight"]


def test_a_transposed_view_is_not_a_tied_weight(tmp_path) -> None:
    class WithView(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(3, 3)
            self.register_buffer("wt", self.lin.weight.detach().t())

    torch.manual_seed(0)
    model = tb.Model.wrap(WithView())
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "v.torchbridge")
    torch.manual_seed(1)
    fresh = tb.Model.wrap(WithView())
    fresh.compile(optimizer="sgd", loss="mse")
    fresh.load_checkpoint(tmp_path / "v.torchbridge")
    torch.testing.assert_close(fresh.module.lin.weight, model.module.lin.weight, rtol=0, atol=0)
