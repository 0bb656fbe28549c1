"""A TF2-style fit with many callbacks: EarlyStopping, ReduceLROnPlateau,
LearningRateScheduler, CSVLogger, ModelCheckpoint and a custom Callback."""

import json
import os
import sys

import numpy as np
import tensorflow as tf
from tensorflow.keras import callbacks, layers

out_dir = sys.argv[2]
rng = np.random.default_rng(4)
x = rng.normal(size=(48, 5)).astype("float32")
y = (x @ rng.normal(size=(5, 1))).astype("float32")


class Recorder(tf.keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []
        self.rates = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)
        self.rates.append(float(self.model.optimizer.learning_rate))


def schedule(epoch, lr):
    return lr * 0.5 if epoch == 2 else lr


model = tf.keras.Sequential(
    [tf.keras.Input(shape=(5,)), layers.Dense(4, activation="relu"), layers.Dense(1)]
)
model.set_weights(
    [rng.normal(scale=0.3, size=w.shape).astype("float32") for w in model.get_weights()]
)
model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
recorder = Recorder()
history = model.fit(
    x,
    y,
    batch_size=12,
    epochs=6,
    validation_split=0.25,
    shuffle=False,
    verbose=0,
    callbacks=[
        callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True),
        callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
        callbacks.LearningRateScheduler(schedule),
        callbacks.CSVLogger(os.path.join(out_dir, "log.csv")),
        callbacks.ModelCheckpoint(
            os.path.join(out_dir, "best.weights.h5"), save_weights_only=True, save_best_only=True
        ),
        recorder,
    ],
)
with open(os.path.join(out_dir, "log.csv")) as f:
    csv_rows = len(f.read().strip().splitlines()) - 1
result = {
    "loss": history.history["loss"],
    "val_loss": history.history["val_loss"],
    "mae": history.history["mae"],
    "epochs": recorder.epochs,
    "rates": recorder.rates,
    "csv_rows": csv_rows,
    "checkpoint": os.path.exists(os.path.join(out_dir, "best.weights.h5")),
}
with open(sys.argv[1], "w") as f:
    json.dump(result, f)
