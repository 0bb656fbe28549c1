"""A TF2-style MLP: tf.keras Sequential, compile, fit, evaluate, predict, a few tf ops."""

import json
import sys

import numpy as np
import tensorflow as tf
from tensorflow import keras

rng = np.random.default_rng(0)
x = rng.normal(size=(64, 8)).astype("float32")
y = (x[:, :1] + x[:, 1:2] > 0).astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(8,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
# deterministic start: the same weights under TensorFlow and torchbridge
model.set_weights(
    [rng.normal(scale=0.3, size=w.shape).astype("float32") for w in model.get_weights()]
)
model.compile(
    optimizer=tf.keras.optimizers.SGD(learning_rate=0.1),
    loss="binary_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
loss, acc = model.evaluate(x, y, verbose=0)
probs = model.predict(x[:4], verbose=0)
positives = tf.reduce_sum(tf.cast(probs > 0.5, tf.float32))
scaled = tf.concat([probs, tf.expand_dims(tf.reduce_mean(probs, axis=1), -1)], axis=1)

result = {
    "loss": history.history["loss"],
    "evaluate": [loss, acc],
    "probs": np.asarray(probs).tolist(),
    "positives": float(positives),
    "scaled_shape": list(np.asarray(scaled).shape),
    "weights": [w.tolist() for w in model.get_weights()],
}
with open(sys.argv[1], "w") as f:
    json.dump(result, f)
