"""A small convnet for handwritten digits (functional API).

Conv2D → MaxPooling2D → Conv2D → MaxPooling2D → Flatten → Dropout → Dense on
scikit-learn's 8×8 digits, trained with a validation split and early
stopping, evaluated on held-out images, saved to a ``.keras`` file and
reloaded for predictions.

Run it with Keras, or unchanged on PyTorch with torchbridge: see README.md.
"""

import os
import tempfile

import keras
import numpy as np
from _data import load_digits_data


def build_model(num_classes=10):
    inputs = keras.Input(shape=(8, 8, 1), name="image")
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D(pool_size=2)(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D(pool_size=2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.3)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="digit")(x)
    return keras.Model(inputs, outputs, name="digits_convnet")


def main(epochs=40, batch_size=32, train_size=None, verbose=2, seed=0):
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_digits_data()
    if train_size is not None:
        x_train, y_train = x_train[:train_size], y_train[:train_size]
    print(f"{len(x_train)} training images, {len(x_test)} test images")

    model = build_model()
    model.summary()
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_split=0.1,
        callbacks=[
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=4, restore_best_weights=True)
        ],
        verbose=verbose,
    )
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "digits_convnet.keras")
        model.save(path)
        restored = keras.models.load_model(path)
    probabilities = restored.predict(x_test, verbose=0)
    predicted = np.argmax(probabilities, axis=-1)
    print("first 10 test digits:", y_test[:10].tolist())
    print("predicted:           ", predicted[:10].tolist())

    return {
        "loss": float(test_loss),
        "accuracy": float(test_accuracy),
        "restored_accuracy": float(np.mean(predicted == y_test)),
        "epochs": len(history.history["loss"]),
    }


if __name__ == "__main__":
    print(main())
