"""Data-parallel ``fit``: one script, one process or many.

A small MLP on scikit-learn's 8×8 digits, trained with ``fit`` where
``batch_size`` is the global batch. Started as one process it is an ordinary
Keras program; started by ``torchrun`` under torchbridge, the same file runs
in every process and ``fit`` splits each global batch over them (DDP), so the
trained weights are those of the one-process run:

    torchrun --standalone --nproc_per_node 2 -m torchbridge run scaling_out.py OUT.npz

(On TensorFlow the equivalent wraps model building in a
``tf.distribute.MirroredStrategy().scope()``; nothing here needs it.)
``main`` returns the test accuracy, and with ``out=`` the first process writes
the trained weights to that ``.npz`` file.

Run it with Keras, or unchanged on PyTorch with torchbridge: see README.md.
"""

import os
import sys

import keras
import numpy as np
from _data import load_digits_data


def main(epochs=5, seed=0, verbose=2, out=None):
    keras.utils.set_random_seed(seed)  # the same initial weights in every process
    (x_train, y_train), (x_test, y_test) = load_digits_data(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="digits_data_parallel",
    )
    model.compile(
        keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(x_train, y_train, batch_size=64, epochs=epochs, verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    rank = int(os.environ.get("RANK", "0"))  # torchrun numbers the processes
    if out is not None and rank == 0:
        np.savez(out, *model.get_weights())
    return {"accuracy": float(accuracy), "loss": float(loss)}


if __name__ == "__main__":
    print(main(out=sys.argv[1] if len(sys.argv) > 1 else None))
