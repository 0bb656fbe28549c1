"""Convnet with augmentation layers on Fashion-MNIST (12,000 training images, 28x28x1).

RandomFlip + RandomRotation + RandomZoom in front of Conv2D(32) -> MaxPooling2D ->
Conv2D(64) -> MaxPooling2D -> Flatten -> Dropout -> Dense(10); batch 64, Adam, 2 epochs.
"""

import keras
from _data import load_fashion

if __name__ == "__main__":
    keras.utils.set_random_seed(1337)
    (x_train, y_train), (x_test, y_test) = load_fashion()
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.RandomFlip("horizontal"),
            keras.layers.RandomRotation(0.05),
            keras.layers.RandomZoom(0.1),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0)
    model.evaluate(x_test, y_test, batch_size=256, verbose=0)
