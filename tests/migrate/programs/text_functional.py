"""A TF2-style text model: TextVectorization adapted on texts, a tf.data pipeline,
a functional Embedding -> pooling -> Dense model."""

import json
import sys

import numpy as np
import tensorflow as tf

texts = np.array(
    [
        "free money now click here",
        "meeting notes for the review",
        "win a free prize today",
        "send the report before friday",
        "cheap pills limited offer now",
        "lunch with the team at noon",
        "claim your free reward now",
        "the build failed check the logs",
    ]
)
labels = np.array([1, 0, 1, 0, 1, 0, 1, 0], dtype="float32")

vectorize = tf.keras.layers.TextVectorization(max_tokens=40, output_sequence_length=6)
vectorize.adapt(texts)

ds = (
    tf.data.Dataset.from_tensor_slices((texts, labels))
    .batch(4)
    .map(lambda t, y: (vectorize(t), y), num_parallel_calls=tf.data.AUTOTUNE)
    .prefetch(tf.data.AUTOTUNE)
)

inputs = tf.keras.Input(shape=(6,), dtype="int64")
h = tf.keras.layers.Embedding(40, 4)(inputs)
h = tf.keras.layers.GlobalAveragePooling1D()(h)
outputs = tf.keras.layers.Dense(1, activation="sigmoid")(h)
model = tf.keras.Model(inputs, outputs)
rng = np.random.default_rng(1)
model.set_weights(
    [rng.normal(scale=0.2, size=w.shape).astype("float32") for w in model.get_weights()]
)
model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy")
history = model.fit(ds, epochs=3, verbose=0)

first = next(iter(ds))[0]
result = {
    "vocab_size": len(vectorize.get_vocabulary()),
    "vocab": sorted(vectorize.get_vocabulary()),
    "first_batch_shape": list(np.asarray(first).shape),
    "loss": history.history["loss"],
    "probs": np.asarray(model.predict(ds, verbose=0)).ravel().tolist(),
}
with open(sys.argv[1], "w") as f:
    json.dump(result, f)
