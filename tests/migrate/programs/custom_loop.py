"""A TF2-style custom training loop: tf.GradientTape with @tf.function over a tf.data
pipeline, and a raw-variable linear regression with tape.gradient on a list."""

import json
import sys

import numpy as np
import tensorflow as tf

rng = np.random.default_rng(2)
x = rng.normal(size=(32, 4)).astype("float32")
y = (np.abs(x).argmax(axis=1) % 3).astype("int64")

model = tf.keras.Sequential(
    [
        tf.keras.Input(shape=(4,)),
        tf.keras.layers.Dense(8, activation="tanh"),
        tf.keras.layers.Dense(3),
    ]
)
model.set_weights(
    [rng.normal(scale=0.4, size=w.shape).astype("float32") for w in model.get_weights()]
)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = tf.keras.optimizers.SGD(learning_rate=0.2)
accuracy = tf.keras.metrics.SparseCategoricalAccuracy()
ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)


@tf.function
def train_step(xb, yb):
    # one optimisation step
    with tf.GradientTape() as tape:
        logits = model(xb, training=True)
        loss = loss_fn(yb, logits)
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    accuracy.update_state(yb, logits)
    return loss


losses = []
for _epoch in range(4):
    for xb, yb in ds:
        loss = train_step(xb, yb)
    losses.append(float(loss))

# linear regression on raw variables
target = tf.constant(x @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype="float32") + 0.3)
w = tf.Variable(np.zeros((4, 1), dtype="float32"))
b = tf.Variable(np.zeros((1,), dtype="float32"))
sgd = tf.keras.optimizers.SGD(learning_rate=0.1)
for _ in range(25):
    with tf.GradientTape() as tape:
        pred = tf.matmul(x, w) + b
        mse = tf.reduce_mean(tf.square(pred - target))
    dw, db = tape.gradient(mse, [w, b])
    sgd.apply_gradients(zip([dw, db], [w, b]))

probs = tf.nn.softmax(model.predict(x[:5], verbose=0), axis=-1)
result = {
    "loss": losses,
    "accuracy": float(accuracy.result()),
    "probs": np.asarray(probs).tolist(),
    "weights": [v.tolist() for v in model.get_weights()],
    "w": w.numpy().ravel().tolist(),
    "b": b.numpy().ravel().tolist(),
    "mse": float(mse),
}
with open(sys.argv[1], "w") as f:
    json.dump(result, f)
