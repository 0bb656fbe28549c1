"""TF2-era names: keras.preprocessing.sequence.pad_sequences, layers.experimental
.preprocessing, optimizers.legacy with lr=, to_categorical, fit_generator with workers."""

import json
import sys

import numpy as np
import tensorflow as tf
from tensorflow.keras.layers.experimental.preprocessing import Rescaling
from tensorflow.keras.utils import to_categorical

sequences = [[3, 1, 4], [1, 5], [9, 2, 6, 5, 3]]
padded = tf.keras.preprocessing.sequence.pad_sequences(sequences, maxlen=4, padding="post")
onehot = to_categorical([0, 2, 1], num_classes=3)

rng = np.random.default_rng(5)
x = rng.uniform(0, 255, size=(32, 6)).astype("float32")
y = to_categorical((x[:, 0] > 127).astype("int64"), num_classes=2)


def batches():
    while True:
        for i in range(0, 32, 8):
            yield x[i : i + 8], y[i : i + 8]


model = tf.keras.Sequential(
    [
        tf.keras.Input(shape=(6,)),
        Rescaling(1.0 / 255),
        tf.keras.layers.Dense(2, activation="softmax"),
    ]
)
model.set_weights(
    [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()]
)
model.compile(optimizer=tf.keras.optimizers.legacy.Adam(lr=0.05), loss="categorical_crossentropy")
history = model.fit_generator(batches(), steps_per_epoch=4, epochs=3, verbose=0, workers=1)
result = {
    "padded": np.asarray(padded).tolist(),
    "onehot": np.asarray(onehot).tolist(),
    "loss": history.history["loss"],
    "learning_rate": float(model.optimizer.learning_rate),
}
with open(sys.argv[1], "w") as f:
    json.dump(result, f)
