"""Small Transformer encoder classifier: token + position embeddings, one encoder block.

MultiHeadAttention (2 heads, key_dim 32) with residual + LayerNormalization, a ReLU
feed-forward block, GlobalAveragePooling1D, Dropout, Dense. Rotten Tomatoes snippets
(64 ids), batch 32, Adam, 2 epochs.
"""

import keras
from _data import load_text

MAXLEN, VOCAB, DIM = 64, 20000, 32


class TokenAndPosition(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tokens = keras.layers.Embedding(VOCAB, DIM)
        self.positions = keras.layers.Embedding(MAXLEN, DIM)

    def call(self, x):
        positions = keras.ops.arange(0, MAXLEN, 1)
        return self.tokens(x) + self.positions(positions)


def encoder_block(x):
    attention = keras.layers.MultiHeadAttention(num_heads=2, key_dim=DIM)(x, x)
    x = keras.layers.LayerNormalization(epsilon=1e-6)(x + keras.layers.Dropout(0.1)(attention))
    ffn = keras.layers.Dense(64, activation="relu")(x)
    ffn = keras.layers.Dense(DIM)(ffn)
    return keras.layers.LayerNormalization(epsilon=1e-6)(x + keras.layers.Dropout(0.1)(ffn))


if __name__ == "__main__":
    keras.utils.set_random_seed(1337)
    (x_train, y_train), (x_test, y_test), source = load_text(VOCAB, MAXLEN)
    inputs = keras.Input(shape=(MAXLEN,), dtype="int32")
    x = encoder_block(TokenAndPosition()(inputs))
    x = keras.layers.GlobalAveragePooling1D()(x)
    x = keras.layers.Dropout(0.1)(x)
    x = keras.layers.Dense(20, activation="relu")(x)
    outputs = keras.layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=2, verbose=0)
    model.evaluate(x_test, y_test, batch_size=256, verbose=0)
