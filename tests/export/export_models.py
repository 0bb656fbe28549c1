"""The export test matrix's models (MLP, convnet, bidirectional LSTM, Transformer block, text
CNN on token ids) and their inputs, shared by the ONNX/torch/OpenVINO parity tests
(test_model_export.py) and the LiteRT ones (test_litert.py, run in the LiteRT venv)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import torchbridge as keras
from torchbridge import layers

TOL = {"rtol": 1e-5, "atol": 1e-5}


def mlp() -> keras.Model:
    return keras.Sequential(
        [keras.Input((6,)), layers.Dense(16, activation="relu"), layers.Dense(3, "softmax")]
    )


def convnet() -> keras.Model:
    inputs = keras.Input((12, 12, 3), name="image")
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(6, 3, activation="relu")(x)
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(5)(x))


def bilstm() -> keras.Model:
    inputs = keras.Input((None, 8), name="steps")
    x = layers.Bidirectional(layers.LSTM(6, return_sequences=True))(inputs)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, layers.Dense(3)(x))


def transformer_block() -> keras.Model:
    inputs = keras.Input((None, 16), name="tokens")
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=8)(inputs, inputs)
    x = layers.LayerNormalization()(inputs + attended)
    ffn = layers.Dense(16)(layers.Dense(32, activation="relu")(x))
    x = layers.LayerNormalization()(x + ffn)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, layers.Dense(2)(x))


def text_cnn() -> keras.Model:
    inputs = keras.Input((None,), dtype="int64", name="token_ids")
    x = layers.Embedding(50, 8)(inputs)
    x = layers.Conv1D(8, 3, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    return keras.Model(inputs, layers.Dense(2, activation="softmax")(x))


def feed(name: str, rng: np.random.Generator, batch: int, length: int) -> dict[str, np.ndarray]:
    if name == "mlp":
        return {"input_0": rng.standard_normal((batch, 6), dtype=np.float32)}
    if name == "convnet":
        return {"image": rng.standard_normal((batch, 12, 12, 3), dtype=np.float32)}
    if name == "bilstm":
        return {"steps": rng.standard_normal((batch, length, 8), dtype=np.float32)}
    if name == "transformer_block":
        return {"tokens": rng.standard_normal((batch, length, 16), dtype=np.float32)}
    return {"token_ids": rng.integers(0, 50, (batch, length)).astype(np.int64)}


BUILDERS: dict[str, Callable[[], keras.Model]] = {
    "mlp": mlp,
    "convnet": convnet,
    "bilstm": bilstm,
    "transformer_block": transformer_block,
    "text_cnn": text_cnn,
}
