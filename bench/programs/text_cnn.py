"""Text CNN (issue 17): Embedding 20000x64 -> Dropout -> 2x Conv1D -> GlobalMaxPooling1D -> Dense.

Rotten Tomatoes snippets (or the synthetic stand-in of _data.py), 64 ids each, batch 32,
Adam, 4 epochs. Plain Keras: run with KERAS_BACKEND=tensorflow or `torchbridge run`.
"""

import keras
from _data import load_text

EPOCHS = 4


def build(max_tokens=20000, sequence_length=64):
    inputs = keras.Input(shape=(sequence_length,), dtype="int32")
    x = keras.layers.Embedding(max_tokens, 64)(inputs)
    x = keras.layers.Dropout(0.5)(x)
    x = keras.layers.Conv1D(64, 7, padding="valid", activation="relu", strides=3)(x)
    x = keras.layers.Conv1D(64, 7, padding="valid", activation="relu", strides=3)(x)
    x = keras.layers.GlobalMaxPooling1D()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


if __name__ == "__main__":
    keras.utils.set_random_seed(1337)
    (x_train, y_train), (x_test, y_test), source = load_text()
    model = build()
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=EPOCHS, verbose=0)
    model.evaluate(x_test, y_test, batch_size=256, verbose=0)
