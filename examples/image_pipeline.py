"""A tf.data-style input pipeline: images from folders, ``map`` / ``cache`` / ``prefetch``.

The 8×8 digits are written as PNG files in one folder per class (what a real
image data set on disk looks like), then read back with
``keras.utils.image_dataset_from_directory`` — training and validation subsets
from one call, a held-out test folder read in order. The datasets are chained
as tf.data pipelines are: ``map`` (rescaling), ``cache``, ``prefetch``.
``fit`` / ``evaluate`` / ``predict`` take the datasets directly.

On Keras (TensorFlow) these are ``tf.data.Dataset`` objects; on torchbridge, its
own ``Dataset`` objects with the same methods.

Run it with Keras, or unchanged on PyTorch with torchbridge: see README.md.
"""

import os
import tempfile

import keras
import numpy as np
from _data import load_digits_data


def write_images(root, images, labels):
    """One PNG per image under ``root/<label>/``; returns ``root``."""
    for i, (image, label) in enumerate(zip(images, labels)):
        folder = os.path.join(root, str(int(label)))
        os.makedirs(folder, exist_ok=True)
        keras.utils.save_img(os.path.join(folder, f"{i:04d}.png"), image * 255.0, scale=False)
    return root


def build_model(num_classes=10):
    inputs = keras.Input(shape=(8, 8, 1), name="image")
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D(pool_size=2)(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D(pool_size=2)(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="digit")(x)
    return keras.Model(inputs, outputs, name="digits_from_folders")


def main(epochs=30, batch_size=32, train_size=None, verbose=2, seed=0):
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_digits_data()
    if train_size is not None:
        x_train, y_train = x_train[:train_size], y_train[:train_size]

    with tempfile.TemporaryDirectory() as tmp:
        train_dir = write_images(os.path.join(tmp, "train"), x_train, y_train)
        test_dir = write_images(os.path.join(tmp, "test"), x_test, y_test)
        options = dict(image_size=(8, 8), color_mode="grayscale", batch_size=batch_size)
        train_ds, val_ds = keras.utils.image_dataset_from_directory(
            train_dir, validation_split=0.1, subset="both", seed=seed, verbose=False, **options
        )
        test_ds = keras.utils.image_dataset_from_directory(
            test_dir, shuffle=False, verbose=False, **options
        )
        print("classes:", train_ds.class_names)

        def rescale(images, labels):
            return images / 255.0, labels

        # the files are read once; later epochs come from the cache
        train_ds = train_ds.map(rescale).cache().prefetch(2)
        val_ds = val_ds.map(rescale).cache().prefetch(2)
        test_ds = test_ds.map(rescale).cache()

        model = build_model()
        model.summary()
        model.compile(
            optimizer=keras.optimizers.Adam(3e-3),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        history = model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=epochs,
            callbacks=[
                keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=4, restore_best_weights=True
                )
            ],
            verbose=verbose,
        )
        test_loss, test_accuracy = model.evaluate(test_ds, verbose=0)

        path = os.path.join(tmp, "digits_from_folders.keras")
        model.save(path)
        restored = keras.models.load_model(path)
        predicted = np.argmax(restored.predict(test_ds, verbose=0), axis=-1)
    # the test folders are read in order: class by class, file names sorted
    expected = np.concatenate([np.sort(np.flatnonzero(y_test == c)) for c in range(10)])
    y_true = y_test[expected]
    print("first 10 test labels:", y_true[:10].tolist())
    print("predicted:           ", predicted[:10].tolist())

    return {
        "loss": float(test_loss),
        "accuracy": float(test_accuracy),
        "restored_accuracy": float(np.mean(predicted == y_true)),
        "epochs": len(history.history["loss"]),
    }


if __name__ == "__main__":
    print(main())
