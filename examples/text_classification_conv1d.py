"""Spam detection with a 1D convnet, and an end-to-end model that reads raw strings.

A ``TextVectorization`` layer is adapted on the training e-mails and turns
them into padded token ids; the classifier trains on those ids:

    token ids → Embedding → Conv1D → GlobalMaxPooling1D → Dense → Dense(1, sigmoid)

Then, as in Keras's "text classification from scratch" guide, the vectorizer
and the trained classifier are joined into one model on a string
``keras.Input``, saved to a ``.keras`` file, reloaded, and used on raw text.

Why vectorize first: Keras's ``fit`` / ``evaluate`` / ``predict`` do not take
NumPy arrays of strings (``ValueError: Invalid dtype: object``; Keras wants a
``tf.data.Dataset`` for that), while calling a model on them directly works.

Data: the SpamAssassin public mail corpus (subject + start of the body).
Run it with Keras, or unchanged on PyTorch with torchbridge: see README.md.
"""

import os
import tempfile

import keras
import numpy as np
from _data import load_spam_data


def build_classifier(max_tokens, sequence_length, embedding_dim=32):
    inputs = keras.Input(shape=(sequence_length,), dtype="int64", name="token_ids")
    x = keras.layers.Embedding(max_tokens, embedding_dim)(inputs)
    x = keras.layers.Conv1D(64, 5, activation="relu")(x)
    x = keras.layers.GlobalMaxPooling1D()(x)
    x = keras.layers.Dense(32, activation="relu")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="spam")(x)
    return keras.Model(inputs, outputs, name="spam_conv1d")


def build_end_to_end(vectorizer, classifier):
    text = keras.Input(shape=(1,), dtype="string", name="email")
    return keras.Model(text, classifier(vectorizer(text)), name="spam_filter")


def main(
    epochs=10,
    batch_size=32,
    max_tokens=10000,
    sequence_length=200,
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
    print("most frequent words:", " ".join(vectorizer.get_vocabulary()[2:12]))
    train_ids = np.asarray(vectorizer(x_train))
    test_ids = np.asarray(vectorizer(x_test))

    classifier = build_classifier(max_tokens, sequence_length)
    classifier.summary()
    classifier.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = classifier.fit(
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
    test_loss, test_accuracy = classifier.evaluate(test_ids, y_test, verbose=0)

    spam_filter = build_end_to_end(vectorizer, classifier)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "spam_filter.keras")
        spam_filter.save(path)
        restored = keras.models.load_model(path)

    emails = np.array(
        [
            [
                "Re: [SAtalk] razor check fails after upgrade\nI upgraded spamassassin to "
                "2.41 and now razor-check times out on every message. Has anyone seen "
                "this on Red Hat 7.3? My local.cf is unchanged."
            ],
            [
                "Make $5000 a week from home!!!\nDear friend, you have been selected. "
                "No experience needed. Click here to claim your FREE report today and "
                "start earning cash now. To be removed from our list reply REMOVE."
            ],
        ],
        dtype=object,
    )
    is_spam = np.asarray(restored(emails) > 0.5).ravel()
    for email, spam in zip(emails[:, 0], is_spam):
        print("spam" if spam else "ham ", "|", email.splitlines()[0])
    restored_is_spam = np.asarray(restored(x_test[:, None]) > 0.5).ravel()

    return {
        "loss": float(test_loss),
        "accuracy": float(test_accuracy),
        "restored_accuracy": float(np.mean(restored_is_spam == y_test)),
        "epochs": len(history.history["loss"]),
    }


if __name__ == "__main__":
    print(main())
