"""A TF2-style TFRecord reader: tf.data.TFRecordDataset + tf.io.parse_single_example with
FixedLenFeature, batched and fed to fit; and a CSV file read with
tf.data.experimental.make_csv_dataset."""

import json
import os
import sys

import numpy as np
import tensorflow as tf

FEATURES = {
    "x": tf.io.FixedLenFeature([3], tf.float32),
    "label": tf.io.FixedLenFeature([], tf.int64),
}


def parse(record):
    example = tf.io.parse_single_example(record, FEATURES)
    return example["x"], example["label"]


path = os.path.join(sys.argv[2], "train.tfrecord")
ds = tf.data.TFRecordDataset(path).map(parse, num_parallel_calls=tf.data.AUTOTUNE).batch(4)

xs, ys = [], []
for xb, yb in ds:
    xs.append(np.asarray(xb))
    ys.append(np.asarray(yb))

model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2)])
rng = np.random.default_rng(3)
model.set_weights(
    [rng.normal(scale=0.3, size=w.shape).astype("float32") for w in model.get_weights()]
)
model.compile(
    optimizer=tf.keras.optimizers.SGD(learning_rate=0.1),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
history = model.fit(ds, epochs=2, verbose=0)
csv_path = os.path.join(sys.argv[2], "table.csv")
with open(csv_path, "w") as f:
    f.write("a,b,y\n" + "".join(f"{i * 0.5},{i % 3},{i % 2}\n" for i in range(6)))
csv = tf.data.experimental.make_csv_dataset(
    csv_path, batch_size=4, label_name="y", shuffle=False, num_epochs=1
)
csv_batches = [
    ({k: np.asarray(v).tolist() for k, v in features.items()}, np.asarray(labels).tolist())
    for features, labels in csv
]

result = {
    "csv": csv_batches,
    "x": np.concatenate(xs).tolist(),
    "label": np.concatenate(ys).tolist(),
    "label_dtype": str(np.concatenate(ys).dtype),
    "batches": len(xs),
    "loss": history.history["loss"],
}
with open(sys.argv[1], "w") as f:
    json.dump(result, f)
