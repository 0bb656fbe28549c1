"""Exact resume in one process: interrupted fits continue bit-identically; what a checkpoint holds.

A fit is interrupted by an exception from a callback at a given step; before
resuming, every global generator is reseeded (as a new process would have
them), so only the checkpoint can make the continuation equal the
uninterrupted control run. The SIGKILL version is test_resume_kill.py.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import torchbridge as tb
from torchbridge.callbacks import BackupAndRestore, ModelCheckpoint
from torchbridge.errors import InputError

RNG = np.random.default_rng(0)
X = RNG.normal(size=(24, 4, 4, 1)).astype("float32")
Y = RNG.normal(size=(24, 1)).astype("float32")
EPOCHS = 3  # 3 batches of 8 per epoch


def _model(units: int = 8) -> tb.Model:
    tb.utils.set_random_seed(1)
    model = tb.Sequential(
        [
            tb.Input((4, 4, 1)),
            tb.layers.RandomFlip("horizontal"),
            tb.layers.GaussianNoise(0.1),
            tb.layers.Flatten(),
            tb.layers.Dense(units, activation="relu"),
            tb.layers.Dropout(0.5),
            tb.layers.Dense(1),
        ]
    )
    model.compile(optimizer=tb.optimizers.Adam(0.01), loss="mse", metrics=["mae"], device="cpu")
    return model


def _data(kind: str) -> dict[str, Any]:
    if kind == "numpy":
        return {"x": X, "y": Y, "batch_size": 8}
    ds = tb.data.Dataset.from_tensor_slices((X, Y))
    ds = ds.shuffle(10, seed=3) if kind == "seeded" else ds.shuffle(10)
    return {"x": ds.batch(8)}


class _Interrupt(tb.callbacks.Callback):
    """Raise after the ``at``-th training batch (counted over the whole fit)."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at, self.seen = at, 0

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.seen += 1
        if self.seen == self.at:
            raise RuntimeError("interrupted")


def _same_weights(a: tb.Model, b: tb.Model) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def _control(kind: str, **fit: Any) -> tuple[tb.Model, Any]:
    model = _model()
    history = model.fit(**_data(kind), epochs=EPOCHS, verbose=0, **fit)
    return model, history


def _other_process_seeds() -> None:
    tb.utils.set_random_seed(12345)


@pytest.mark.parametrize("kind", ["numpy", "seeded", "unseeded"])
@pytest.mark.parametrize("at", [2, 3, 7])  # mid-epoch, an epoch's last batch, mid-epoch 3
def test_backup_and_restore_resumes_mid_epoch_bit_identical(
    tmp_path: Path, kind: str, at: int
) -> None:
    callbacks = lambda: [  # noqa: E731
        BackupAndRestore(tmp_path, save_freq=1),
        tb.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=0),
    ]
    control, history = _control(kind, callbacks=callbacks())
    model = _model()
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(**_data(kind), epochs=EPOCHS, verbose=0, callbacks=[*callbacks(), _Interrupt(at)])
    resumed = _model()
    data = _data(kind)  # built, as in a new process, with other seeds
    _other_process_seeds()
    resumed_history = resumed.fit(**data, epochs=EPOCHS, verbose=0, callbacks=callbacks())
    assert _same_weights(control, resumed)
    # The resumed epoch's logs cover all its batches (the metric totals were restored).
    assert resumed_history.history["mae"][-1] == history.history["mae"][-1]
    assert resumed_history.history["learning_rate"][-1] == history.history["learning_rate"][-1]


def test_steps_per_epoch_stream_resumes_across_epochs(tmp_path: Path) -> None:
    # 2 steps per epoch from one endless stream (3-batch shuffled rounds, repeated): the
    # stream spans epochs and the interruption falls in its second shuffle round.
    def data() -> Any:
        ds = tb.data.Dataset.from_tensor_slices((X, Y)).shuffle(10, seed=3).batch(8)
        return ds.repeat()

    def fit(model: tb.Model, callbacks: list[Any]) -> None:
        model.fit(data(), epochs=EPOCHS, steps_per_epoch=2, verbose=0, callbacks=callbacks)

    control = _model()
    fit(control, [])
    with pytest.raises(RuntimeError):
        fit(_model(), [BackupAndRestore(tmp_path, save_freq=1), _Interrupt(5)])
    resumed = _model()
    _other_process_seeds()
    fit(resumed, [BackupAndRestore(tmp_path, save_freq=1)])
    assert _same_weights(control, resumed)


def test_fit_resume_from_a_model_checkpoint_file(tmp_path: Path) -> None:
    path = tmp_path / "ckpt-{epoch}-{batch}.torchbridge"
    control, _ = _control("numpy")
    model = _model()
    with pytest.raises(RuntimeError):
        model.fit(
            X,
            Y,
            batch_size=8,
            epochs=EPOCHS,
            verbose=0,
            callbacks=[ModelCheckpoint(str(path), save_freq=1, monitor="loss"), _Interrupt(5)],
        )
    resumed = _model()
    _other_process_seeds()
    resumed.fit(
        X, Y, batch_size=8, epochs=EPOCHS, verbose=0, resume_from=tmp_path / "ckpt-2-1.torchbridge"
    )
    assert _same_weights(control, resumed)


def test_checkpoint_counters_match_the_optimizer(tmp_path: Path) -> None:
    model = _model()
    with pytest.raises(RuntimeError):
        model.fit(
            X,
            Y,
            batch_size=8,
            epochs=EPOCHS,
            verbose=0,
            callbacks=[BackupAndRestore(tmp_path, save_freq=1), _Interrupt(5)],
        )
    latest = json.loads((tmp_path / "training_metadata.json").read_text())["latest"]
    with zipfile.ZipFile(tmp_path / latest["file"]) as zf:
        meta = json.loads(zf.read("metadata.json"))
    iterations = dict(meta["optimizer"]["state"]["__dict__"])["iterations"]
    # The 5th batch's hooks raised, so the last backup is the 4th batch's: epoch 1, step 1.
    assert meta["trainer_state"] == {
        "epoch": 1,
        "step_in_epoch": 1,
        "global_step": 4,
        "data_seed": meta["trainer_state"]["data_seed"],
    }
    assert iterations == 4


def test_resume_from_a_different_model_names_the_difference(tmp_path: Path) -> None:
    model = _model()
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "m.torchbridge")
    other = _model(units=6)
    with pytest.raises(InputError, match=r"differs at /config/layers\[\d\]/config/units: 8"):
        other.fit(X, Y, batch_size=8, epochs=2, verbose=0, resume_from=tmp_path / "m.torchbridge")


def test_resume_with_another_optimizer_names_both(tmp_path: Path) -> None:
    model = _model()
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "m.torchbridge")
    other = _model()
    other.compile(optimizer="sgd", loss="mse", device="cpu")
    with pytest.raises(InputError, match="optimizer is Adam but the model is compiled with SGD"):
        other.fit(X, Y, batch_size=8, epochs=2, verbose=0, resume_from=tmp_path / "m.torchbridge")


def test_a_checkpoint_holds_the_layers_seed_generators_and_rngs(tmp_path: Path) -> None:
    model = _model()
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "m.torchbridge")
    meta = model.load_checkpoint(tmp_path / "m.torchbridge")
    resume = meta["resume"]
    # RandomFlip's and GaussianNoise's generators; the unseeded Dropout draws from the
    # global generators, which are in "rng".
    assert [p for p, _ in resume["seed_generators"]] == [
        "_layers.0/generator",
        "_layers.1/seed_generator",
    ]
    flip = dict(model.named_modules())["_layers.0"].generator
    assert torch.equal(resume["seed_generators"][0][1], flip.state)
    assert set(resume["rng"]) >= {"python", "numpy", "torch", "seed_generator"}
    assert resume["counters"]["global_step"] == resume["optimizer_iterations"] == 3


# --- other sources: torch DataLoader / Dataset, a PyDataset, a Hugging Face dataset ----------
class _Net(torch.nn.Module):
    """A plain torch module with torch's own dropout (torch's global generator)."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden, self.drop, self.out = (
            torch.nn.Linear(16, 8),
            torch.nn.Dropout(0.5),
            torch.nn.Linear(8, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.drop(torch.relu(self.hidden(x.reshape(len(x), -1)))))


class _Batches(tb.utils.PyDataset):
    def __init__(self) -> None:
        super().__init__()

    def __len__(self) -> int:
        return 3

    def __getitem__(self, i: int) -> Any:
        return X[i * 8 : (i + 1) * 8], Y[i * 8 : (i + 1) * 8]


def _source(kind: str) -> dict[str, Any]:
    from torch.utils.data import DataLoader, TensorDataset

    tensors = TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    if kind == "dataloader":
        return {"x": DataLoader(tensors, batch_size=8, shuffle=True)}
    if kind == "torch_dataset":
        return {"x": tensors, "batch_size": 8}
    if kind == "generator":  # one-shot: a restarted script makes a new one, we skip ahead
        return {"x": _endless(), "steps_per_epoch": 3}
    return {"x": _Batches()}


def _endless() -> Any:
    order = np.random.default_rng(5)
    while True:
        rows = order.permutation(24)[:8]
        yield X[rows], Y[rows]


def _wrapped() -> tb.Model:
    tb.utils.set_random_seed(0)  # Python's random too: a PyDataset shuffles with it
    model = tb.Model.wrap(_Net())
    model.compile(optimizer=tb.optimizers.Adam(0.01), loss="mse", device="cpu")
    return model


def _interrupted_and_resumed(tmp_path: Path, make: Any, data: Any, at: int) -> tuple[Any, Any]:
    control = make()
    control.fit(**data(), epochs=EPOCHS, verbose=0)
    with pytest.raises(RuntimeError):
        make().fit(
            **data(),
            epochs=EPOCHS,
            verbose=0,
            callbacks=[BackupAndRestore(tmp_path, save_freq=1), _Interrupt(at)],
        )
    resumed = make()
    _other_process_seeds()
    resumed.fit(**data(), epochs=EPOCHS, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
    return control, resumed


@pytest.mark.parametrize("kind", ["dataloader", "torch_dataset", "py_dataset", "generator"])
def test_torch_sources_and_py_dataset_resume_mid_epoch(tmp_path: Path, kind: str) -> None:
    control, resumed = _interrupted_and_resumed(tmp_path, _wrapped, lambda: _source(kind), 5)
    assert _same_weights(control, resumed)


class _Tokens(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed, self.drop, self.out = (
            torch.nn.Embedding(20, 4),
            torch.nn.Dropout(0.5),
            torch.nn.Linear(4, 2),
        )

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.out(self.drop((self.embed(input_ids) * attention_mask[..., None]).sum(1)))


def test_hugging_face_dataset_resumes_mid_epoch(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    rng = np.random.default_rng(0)
    ids = [[int(t) for t in rng.integers(1, 20, size=int(rng.integers(2, 6)))] for _ in range(24)]
    table = datasets.Dataset.from_dict(
        {
            "input_ids": ids,
            "attention_mask": [[1] * len(i) for i in ids],
            "label": [int(v) for v in rng.integers(0, 2, 24)],
        }
    )

    def make() -> tb.Model:
        tb.utils.set_random_seed(0)
        model = tb.Model.wrap(_Tokens())
        loss = tb.losses.SparseCategoricalCrossentropy(from_logits=True)
        model.compile(optimizer=tb.optimizers.Adam(0.01), loss=loss, device="cpu")
        return model

    data = lambda: {"x": table, "batch_size": 8}  # noqa: E731 (shuffle=True: fit's default)
    control, resumed = _interrupted_and_resumed(tmp_path, make, data, 4)
    assert _same_weights(control, resumed)


def test_a_run_stopped_by_early_stopping_stays_stopped(tmp_path: Path) -> None:
    def callbacks() -> list[Any]:
        return [
            BackupAndRestore(tmp_path, delete_checkpoint=False),
            tb.callbacks.EarlyStopping("loss", patience=0, min_delta=1e9),
        ]

    model = _model()
    history = model.fit(X, Y, batch_size=8, epochs=5, verbose=0, callbacks=callbacks())
    assert history.epoch == [0, 1]
    resumed = _model()
    _other_process_seeds()
    again = resumed.fit(X, Y, batch_size=8, epochs=5, verbose=0, callbacks=callbacks())
    assert again.epoch == []
    assert _same_weights(model, resumed)


def test_resume_with_other_data_names_the_batch_counts(tmp_path: Path) -> None:
    model = _model()
    with pytest.raises(RuntimeError):
        model.fit(
            X,
            Y,
            batch_size=8,
            epochs=EPOCHS,
            verbose=0,
            callbacks=[BackupAndRestore(tmp_path, save_freq=1), _Interrupt(2)],
        )
    with pytest.raises(InputError, match="had 3 batches per pass; this fit\\(\\)'s data has 6"):
        _model().fit(
            X, Y, batch_size=4, epochs=EPOCHS, verbose=0, callbacks=[BackupAndRestore(tmp_path)]
        )


def test_loss_scale_state_resumes(tmp_path: Path) -> None:
    def make() -> tb.Model:
        model = _model()
        inner = tb.optimizers.Adam(0.01)
        opt = tb.optimizers.LossScaleOptimizer(inner, initial_scale=4.0, dynamic_growth_steps=2)
        model.compile(optimizer=opt, loss="mse", device="cpu")
        return model

    control = make()
    control.fit(X, Y, batch_size=8, epochs=EPOCHS, verbose=0)
    with pytest.raises(RuntimeError):
        make().fit(
            X,
            Y,
            batch_size=8,
            epochs=EPOCHS,
            verbose=0,
            callbacks=[BackupAndRestore(tmp_path, save_freq=1), _Interrupt(5)],
        )
    resumed = make()
    _other_process_seeds()
    resumed.fit(
        X, Y, batch_size=8, epochs=EPOCHS, verbose=0, callbacks=[BackupAndRestore(tmp_path)]
    )
    expected = control.optimizer.state_dict()["loss_scale"]
    assert resumed.optimizer.state_dict()["loss_scale"] == expected
    assert expected["scale"] > 4.0  # it grew: the state matters
    assert _same_weights(control, resumed)
