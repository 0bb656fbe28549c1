"""How many epochs and steps fit, evaluate and predict run, against Keras on TensorFlow:
``keras.config.set_max_epochs`` / ``set_max_steps_per_epoch`` (and the
``KERAS_MAX_EPOCHS`` / ``KERAS_MAX_STEPS_PER_EPOCH`` variables) cap them, and
``validation_steps`` restarts the validation data at every epoch; same epochs, batches,
predictions and warnings as Keras."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import torchbridge as tb

keras = pytest.importorskip("keras")


def _run(lib, max_epochs, max_steps, validation_steps=None):
    lib.config.set_max_epochs(max_epochs)
    lib.config.set_max_steps_per_epoch(max_steps)
    try:
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        x = np.arange(60, dtype="float32").reshape(20, 3) / 60
        y = x.sum(axis=1, keepdims=True)
        batches = []

        class Count(lib.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                batches.append(batch)

            def on_test_batch_end(self, batch, logs=None):
                batches.append(("test", batch))

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = model.fit(
                x,
                y,
                batch_size=4,
                epochs=5,
                verbose=0,
                callbacks=[Count()],
                validation_data=(x, y),
                validation_steps=validation_steps,
            )
            predictions = model.predict(x, batch_size=4, verbose=0)
        messages = sorted({str(w.message) for w in caught if "Limiting" in str(w.message)})
        return {
            "epochs": history.epoch,
            "batches": batches,
            "predicted_rows": len(predictions),
            "warnings": messages,
        }
    finally:
        lib.config.set_max_epochs(None)
        lib.config.set_max_steps_per_epoch(None)


@pytest.mark.parametrize("max_epochs,max_steps", [(2, None), (None, 3), (3, 2), (9, 9)])
def test_caps_match_keras(max_epochs, max_steps):
    ours = _run(tb, max_epochs, max_steps)
    theirs = _run(keras, max_epochs, max_steps)
    assert ours == theirs
    if max_epochs == 2:
        assert ours["epochs"] == [0, 1]
    if max_steps == 3:
        assert ours["predicted_rows"] == 12


def test_validation_steps_restart_the_validation_data_each_epoch_as_keras():
    ours = _run(tb, None, None, validation_steps=2)
    assert ours == _run(keras, None, None, validation_steps=2)
    assert ours["batches"].count(("test", 1)) == 5  # 5 epochs, 2 validation steps each


def test_caps_are_read_from_the_environment():
    code = "import torchbridge as tb;print(tb.config.max_epochs(), tb.config.max_steps_per_epoch())"
    env = {**os.environ, "KERAS_MAX_EPOCHS": "4", "KERAS_MAX_STEPS_PER_EPOCH": "7"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["4", "7"]
