"""Structured-data classifier with preprocessing layers (synthetic 40,000-row table).

Numeric columns through an adapted Normalization, the string column through StringLookup
(applied to the data before fit: Keras's fit takes no NumPy string arrays) and
CategoryEncoding(one_hot) in the model, the integer column through IntegerLookup(one_hot);
concatenated -> Dense(32) -> Dropout -> Dense(1). Batch 64, Adam, 4 epochs.
"""

import keras
import numpy as np
from _data import load_tabular

if __name__ == "__main__":
    keras.utils.set_random_seed(1337)
    columns, labels = load_tabular()
    numeric = np.stack([columns["age"], np.log(columns["income"]), columns["hours"]], axis=1)
    lookup = keras.layers.StringLookup()
    lookup.adapt(columns["job"])
    job_ids = np.asarray(lookup(columns["job"])).astype("int64")[:, None]
    region = columns["region"][:, None]
    n_test = 8000
    data = [numeric, job_ids, region]
    train = [a[n_test:] for a in data]
    test = [a[:n_test] for a in data]

    normalizer = keras.layers.Normalization()
    normalizer.adapt(train[0])
    numeric_in = keras.Input(shape=(3,), name="numeric")
    job_in = keras.Input(shape=(1,), dtype="int64", name="job")
    region_in = keras.Input(shape=(1,), dtype="int64", name="region")
    region_lookup = keras.layers.IntegerLookup(output_mode="one_hot")
    region_lookup.adapt(train[2])
    features = keras.layers.concatenate(
        [
            normalizer(numeric_in),
            keras.layers.CategoryEncoding(lookup.vocabulary_size(), output_mode="one_hot")(job_in),
            region_lookup(region_in),
        ]
    )
    x = keras.layers.Dense(32, activation="relu")(features)
    x = keras.layers.Dropout(0.3)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model([numeric_in, job_in, region_in], outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(train, labels[n_test:], batch_size=64, epochs=4, verbose=0)
    model.evaluate(test, labels[:n_test], batch_size=256, verbose=0)
