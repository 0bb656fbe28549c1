"""Spam detection with a bidirectional LSTM (Sequential API).

The e-mails are turned into padded token ids first (a ``TextVectorization``
layer adapted on the training texts, applied to the NumPy arrays), then:

    Embedding(mask_zero=True) → Bidirectional(LSTM) → Dense → Dense(1, sigmoid)

``mask_zero=True`` makes the LSTMs skip the padding at the end of short
e-mails; ``Bidirectional`` reads each e-mail both ways and concatenates.
Data: the SpamAssassin public mail corpus (subject + start of the body).
"""

import os
import tempfile

import keras
import numpy as np
from _data import load_spam_data


def build_model(max_tokens, embedding_dim=32, units=32):
    return keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int64"),
            keras.layers.Embedding(max_tokens, embedding_dim, mask_zero=True),
            keras.layers.Bidirectional(keras.layers.LSTM(units)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="spam_bilstm",
    )


def main(
    epochs=8,
    batch_size=32,
    max_tokens=10000,
    sequence_length=150,
    train_size=None,
    verbose=2,
    seed=0,
):
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_spam_data()
    if train_size is not None:
        x_train, y_train = x_train[:train_size], y_train[:train_size]
    print(f"{len(x_train)} training e-mails ({y_train.mean():.0%} spam), {len(x_test)} test")

    vectorizer = keras.layers.TextVectorization(
        max_tokens=max_tokens, output_sequence_length=sequence_length
    )
    vectorizer.adapt(x_train)
    train_ids = np.asarray(vectorizer(x_train))
    test_ids = np.asarray(vectorizer(x_test))

    model = build_model(max_tokens)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(
        train_ids,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_split=0.1,
        callbacks=[
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
        ],
        verbose=verbose,
    )
    model.summary()
    test_loss, test_accuracy = model.evaluate(test_ids, y_test, verbose=0)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "spam_bilstm.keras")
        model.save(path)
        restored = keras.models.load_model(path)
    restored_probabilities = restored.predict(test_ids, verbose=0).ravel()

    return {
        "loss": float(test_loss),
        "accuracy": float(test_accuracy),
        "restored_accuracy": float(np.mean((restored_probabilities > 0.5) == y_test)),
        "epochs": len(history.history["loss"]),
    }


if __name__ == "__main__":
    print(main())
