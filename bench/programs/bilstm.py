"""Bidirectional LSTM text classifier: Embedding 20000x64 -> Bidirectional(LSTM(32)) -> Dense.

Rotten Tomatoes snippets (64 ids, zero-padded at the end), batch 32, Adam, 2 epochs.
"""

import keras
from _data import load_text

if __name__ == "__main__":
    keras.utils.set_random_seed(1337)
    (x_train, y_train), (x_test, y_test), source = load_text()
    inputs = keras.Input(shape=(64,), dtype="int32")
    x = keras.layers.Embedding(20000, 64)(inputs)
    x = keras.layers.Bidirectional(keras.layers.LSTM(32))(x)
    x = keras.layers.Dense(32, activation="relu")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=2, verbose=0)
    model.evaluate(x_test, y_test, batch_size=256, verbose=0)
