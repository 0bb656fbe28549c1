"""ModelCheckpoint: the same files at the same moments as Keras's, written atomically."""

from __future__ import annotations

import os
from typing import Any

import keras
import pytest
import torch
from safetensors.torch import load_file

from torchbridge.callbacks.model_checkpoint import ModelCheckpoint

K_SUFFIX = ".weights.h5"
T_SUFFIX = ".weights.safetensors"


def listing(directory: str, suffix: str) -> list[str]:
    if not os.path.isdir(directory):
        return []
    names = []
    for root, _, files in os.walk(directory):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), directory)
            names.append(rel.removesuffix(suffix))
    return sorted(names)


def drive(
    cb: Any,
    model: Any,
    directory: str,
    suffix: str,
    epochs: list[dict[str, float]],
    batches: int = 0,
) -> list[list[str]]:
    """Run epochs (with ``batches`` train batches each); list the files after every hook."""
    cb.set_model(model)
    cb.on_train_begin({})
    trace = []
    for epoch, logs in enumerate(epochs):
        cb.on_epoch_begin(epoch, {})
        for b in range(batches):
            cb.on_train_batch_begin(b, {})
            cb.on_train_batch_end(b, {"loss": logs["loss"] + b / 10})
            trace.append(listing(directory, suffix))
        cb.on_epoch_end(epoch, dict(logs))
        trace.append(listing(directory, suffix))
    cb.on_train_end({})
    return trace


def both(tmp_path, keras_model, fake_model, template, epochs, batches=0, **kwargs):
    kdir, tdir = str(tmp_path / "keras"), str(tmp_path / "ours")
    theirs = keras.callbacks.ModelCheckpoint(
        os.path.join(kdir, template + K_SUFFIX), save_weights_only=True, **kwargs
    )
    ours = ModelCheckpoint(
        os.path.join(tdir, template + T_SUFFIX), save_weights_only=True, **kwargs
    )
    expected = drive(theirs, keras_model(), kdir, K_SUFFIX, epochs, batches)
    got = drive(ours, fake_model(), tdir, T_SUFFIX, epochs, batches)
    return got, expected


LOSSES = [1.0, 0.8, 0.9, 0.7, 0.7, 0.75]
EPOCHS = [{"loss": v + 0.05, "val_loss": v, "val_accuracy": 1 - v} for v in LOSSES]

SCENARIOS = [
    ("every_epoch", "ckpt-{epoch:02d}-{val_loss:.2f}", {}, 0),
    ("best_only", "ckpt-{epoch:02d}", {"save_best_only": True}, 0),
    ("best_only_max", "acc-{epoch}", {"save_best_only": True, "monitor": "val_accuracy"}, 0),
    (
        "best_only_min_on_acc",
        "e{epoch}",
        {"save_best_only": True, "monitor": "val_accuracy", "mode": "min"},
        0,
    ),
    ("threshold", "t{epoch}", {"save_best_only": True, "initial_value_threshold": 0.85}, 0),
    ("fixed_name", "sub/dir/best", {"save_best_only": True}, 0),
    ("freq2", "b-{epoch}-{batch}", {"save_freq": 2}, 3),
    ("freq4_across_epochs", "b-{epoch:02d}-{batch:03d}-{loss:.3f}", {"save_freq": 4}, 3),
    (
        "freq3_best",
        "b{epoch}-{batch}",
        {"save_freq": 3, "save_best_only": True, "monitor": "loss"},
        3,
    ),
]


@pytest.mark.parametrize(
    ("template", "kwargs", "batches"),
    [s[1:] for s in SCENARIOS],
    ids=[s[0] for s in SCENARIOS],
)
def test_same_files_as_keras(template, kwargs, batches, tmp_path, keras_model, fake_model):
    got, expected = both(tmp_path, keras_model, fake_model, template, EPOCHS, batches, **kwargs)
    assert got == expected
    assert got[-1]  # something was saved


@pytest.mark.parametrize("best_only", [True, False])
def test_verbose_messages_match_keras(best_only, tmp_path, keras_model, fake_model, capsys):
    k_path, t_path = str(tmp_path / "k" / "c"), str(tmp_path / "t" / "c")
    kwargs = {"save_weights_only": True, "save_best_only": best_only, "verbose": 1}
    theirs = keras.callbacks.ModelCheckpoint(k_path + K_SUFFIX, **kwargs)
    drive(theirs, keras_model(), str(tmp_path / "k"), K_SUFFIX, EPOCHS[:3])
    k_out = capsys.readouterr().out
    drive(
        ModelCheckpoint(t_path + T_SUFFIX, **kwargs),
        fake_model(),
        str(tmp_path),
        T_SUFFIX,
        EPOCHS[:3],
    )
    t_out = capsys.readouterr().out
    assert t_out == k_out.replace(k_path + K_SUFFIX, t_path + T_SUFFIX)
    if not best_only:
        return
    assert "val_loss improved from None to 1.00000" in t_out
    assert "val_loss did not improve from 0.80000" in t_out


def test_weights_file_is_real_safetensors(tmp_path, fake_model):
    model = fake_model()
    cb = ModelCheckpoint(str(tmp_path / "w{epoch}.weights.safetensors"), save_weights_only=True)
    drive(cb, model, str(tmp_path), T_SUFFIX, EPOCHS[:1])
    loaded = load_file(str(tmp_path / "w1.weights.safetensors"))
    torch.testing.assert_close(loaded["dense.weight"], model.dense.weight.detach())


def test_full_model_save_uses_model_save(tmp_path, fake_model):
    model = fake_model()
    cb = ModelCheckpoint(tmp_path / "m-{epoch}.torchbridge")  # PathLike accepted
    drive(cb, model, str(tmp_path), ".torchbridge", EPOCHS[:2])
    assert sorted(os.listdir(tmp_path)) == ["m-1.torchbridge", "m-2.torchbridge"]


def test_atomic_write_leaves_no_partial_or_temp_file(tmp_path, fake_model):
    model = fake_model()
    target = tmp_path / "ck" / "best.weights.safetensors"
    cb = ModelCheckpoint(str(target), save_weights_only=True)
    cb.set_model(model)
    cb.on_epoch_end(0, {"val_loss": 1.0})
    good = target.read_bytes()
    model.fail_save = True
    with torch.no_grad():
        model.dense.weight.add_(1.0)
    with pytest.raises(OSError, match="disk full"):
        cb.on_epoch_end(1, {"val_loss": 0.5})
    assert os.listdir(target.parent) == ["best.weights.safetensors"]  # no temp file left
    assert target.read_bytes() == good  # previous checkpoint intact
    model.fail_save = False
    cb.on_epoch_end(2, {"val_loss": 0.4})
    assert os.listdir(target.parent) == ["best.weights.safetensors"]
    assert target.read_bytes() != good


def test_failed_first_save_leaves_nothing(tmp_path, fake_model):
    model = fake_model()
    model.fail_save = True
    cb = ModelCheckpoint(str(tmp_path / "m.torchbridge"))
    cb.set_model(model)
    with pytest.raises(OSError):
        cb.on_epoch_end(0, {"val_loss": 1.0})
    assert os.listdir(tmp_path) == []


def test_missing_template_key_names_the_key(tmp_path, fake_model):
    cb = ModelCheckpoint(str(tmp_path / "{epoch}-{val_acc:.2f}.torchbridge"))
    cb.set_model(fake_model())
    with pytest.raises(
        KeyError,
        match=r"the key `val_acc` is not in the logs\. Available keys: epoch, loss, val_loss",
    ):
        cb.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.0})


def test_keras_also_raises_keyerror_for_missing_key(tmp_path, keras_model):
    cb = keras.callbacks.ModelCheckpoint(str(tmp_path / "{val_acc:.2f}.keras"))
    cb.set_model(keras_model())
    with pytest.raises(KeyError, match="val_acc"):
        cb.on_epoch_end(0, {"loss": 1.0})


@pytest.mark.parametrize(
    ("path", "weights_only", "expected"),
    [
        ("a.torchbridge", True, "must end in `.weights.h5`"),
        ("a.keras", True, "must end in `.weights.h5`"),
        ("a.h5", True, "must end in `.weights.h5`"),
        ("a.h5", False, "must end in `.keras`"),
        ("a.weights.h5", False, "must end in `.keras`"),
        ("a.weights.safetensors", False, "must end in `.keras`"),
    ],
)
def test_suffix_validation(path, weights_only, expected):
    with pytest.raises(ValueError, match=expected):
        ModelCheckpoint(path, save_weights_only=weights_only)
    ModelCheckpoint("a.keras")  # Keras's own suffixes work
    ModelCheckpoint("a.weights.h5", save_weights_only=True)
    ModelCheckpoint("a.weights.safetensors", save_weights_only=True)  # torchbridge's too


def test_bad_save_freq_raises_like_keras():
    with pytest.raises(ValueError, match="Unrecognized save_freq: batch"):
        keras.callbacks.ModelCheckpoint("a.keras", save_freq="batch")
    with pytest.raises(ValueError, match="Unrecognized save_freq: batch"):
        ModelCheckpoint("a.torchbridge", save_freq="batch")


def test_existing_directory_as_filepath(tmp_path, fake_model):
    (tmp_path / "d.torchbridge").mkdir()
    cb = ModelCheckpoint(str(tmp_path / "d.torchbridge"))
    cb.set_model(fake_model())
    with pytest.raises(OSError, match="non-directory filepath"):
        cb.on_epoch_end(0, {"val_loss": 1.0})


def test_best_only_every_batch_works(tmp_path, fake_model):
    # Keras fails here (no monitor op before the first epoch end); ours decides per batch.
    cb = ModelCheckpoint(
        str(tmp_path / "{epoch}-{batch}.torchbridge"),
        save_freq=1,
        save_best_only=True,
        monitor="loss",
    )
    model = fake_model()
    cb.set_model(model)
    cb.on_epoch_begin(0)
    for b, loss in enumerate([1.0, 0.5, 0.7, 0.4]):
        cb.on_train_batch_end(b, {"loss": loss})
    assert sorted(os.listdir(tmp_path)) == ["1-1.torchbridge", "1-2.torchbridge", "1-4.torchbridge"]


def test_missing_monitor_with_best_only_saves_and_warns(tmp_path, fake_model):
    cb = ModelCheckpoint(str(tmp_path / "m.torchbridge"), save_best_only=True)
    cb.set_model(fake_model())
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available."):
        cb.on_epoch_end(0, {"loss": 1.0})
    assert os.listdir(tmp_path) == ["m.torchbridge"]
