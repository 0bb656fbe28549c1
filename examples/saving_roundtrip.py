"""Saving and loading: the ``.keras`` file, weights-only files, and a file's round trip.

A small convnet on scikit-learn's 8×8 digits is trained, then kept three ways:
the whole model (``model.save("digits.keras")`` → ``keras.models.load_model``),
its weights (``save_weights("digits.weights.h5")`` → ``load_weights`` into a
freshly built model) and its architecture alone (``get_config`` →
``from_config``, then ``set_weights``). ``main`` returns the test accuracy and
the largest difference between the trained model's predictions and each
restored model's.

A ``.keras`` file written by Keras loads in torchbridge and the other way
round (the test runs both directions). Run it with Keras, or unchanged on
PyTorch with torchbridge: see README.md.
"""

import os
import tempfile

import keras
import numpy as np
from _data import load_digits_data


def build_model(num_classes=10):
    return keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            keras.layers.Conv2D(16, 3, activation="relu", padding="same"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(num_classes, activation="softmax"),
        ],
        name="digits_saving",
    )


def main(epochs=5, seed=0, verbose=2, workdir=None):
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_digits_data(seed)
    model = build_model()
    model.compile(
        keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(x_train, y_train, batch_size=64, epochs=epochs, verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    expected = model.predict(x_test, verbose=0)

    workdir = workdir or tempfile.mkdtemp()
    model_path = os.path.join(workdir, "digits.keras")
    weights_path = os.path.join(workdir, "digits.weights.h5")
    model.save(model_path)
    model.save_weights(weights_path)

    whole = keras.models.load_model(model_path)
    from_weights = build_model()
    from_weights.load_weights(weights_path)
    from_config = keras.Sequential.from_config(model.get_config())
    from_config.set_weights(model.get_weights())

    differences = {
        name: float(np.abs(restored.predict(x_test, verbose=0) - expected).max())
        for name, restored in [
            ("load_model", whole),
            ("load_weights", from_weights),
            ("from_config", from_config),
        ]
    }
    return {
        "accuracy": float(accuracy),
        "loss": float(loss),
        "model_path": model_path,
        **differences,
    }


if __name__ == "__main__":
    print(main())
