"""Text preprocessing with Keras's layers: TF-IDF over word bigrams, string labels, raw-text model.

The e-mails go through a ``TextVectorization`` layer in ``tf_idf`` mode with
``ngrams=2`` (each e-mail becomes one vector of unigram and bigram weights,
whatever its length — no padding needed), and the labels arrive as strings
(``"ham"`` / ``"spam"``) that a ``StringLookup`` with a fixed vocabulary
turns into class ids. A small dense network classifies the vectors; then the
vectorizer and the classifier are joined into one model on a string
``keras.Input``, saved, reloaded, and used on raw text.

Data: the SpamAssassin public mail corpus (subject + start of the body).
Run it with Keras, or unchanged on PyTorch with torchbridge: see README.md.
"""

import os
import tempfile

import keras
import numpy as np
from _data import load_spam_data


def build_classifier(num_features, num_classes=2):
    return keras.Sequential(
        [
            keras.Input(shape=(num_features,)),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(num_classes, activation="softmax"),
        ],
        name="spam_tfidf_bigrams",
    )


def build_end_to_end(vectorizer, classifier):
    text = keras.Input(shape=(), dtype="string", name="text")  # one string per example
    return keras.Model(text, classifier(vectorizer(text)), name="spam_filter_tfidf")


def main(epochs=10, batch_size=32, max_tokens=20000, train_size=None, verbose=2, seed=0):
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_spam_data()
    if train_size is not None:
        x_train, y_train = x_train[:train_size], y_train[:train_size]
    names = np.array(["ham", "spam"])
    labels_train, labels_test = names[y_train], names[y_test]  # labels as text
    print(f"{len(x_train)} training e-mails, {len(x_test)} test; labels like {labels_train[:3]}")

    label_ids = keras.layers.StringLookup(vocabulary=["ham", "spam"], num_oov_indices=0)
    train_targets = np.asarray(label_ids(labels_train))
    test_targets = np.asarray(label_ids(labels_test))

    vectorizer = keras.layers.TextVectorization(
        max_tokens=max_tokens, output_mode="tf_idf", ngrams=2
    )
    vectorizer.adapt(x_train)
    examples = [str(term) for term in vectorizer.get_vocabulary()[1:6]]
    print("vocabulary:", vectorizer.vocabulary_size(), "terms, e.g.", examples)
    train_features = np.asarray(vectorizer(x_train))
    test_features = np.asarray(vectorizer(x_test))

    classifier = build_classifier(train_features.shape[1])
    classifier.summary()
    classifier.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = classifier.fit(
        train_features,
        train_targets,
        batch_size=batch_size,
        epochs=epochs,
        validation_split=0.1,
        callbacks=[
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
        ],
        verbose=verbose,
    )
    test_loss, test_accuracy = classifier.evaluate(test_features, test_targets, verbose=0)

    spam_filter = build_end_to_end(vectorizer, classifier)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "spam_filter_tfidf.keras")
        spam_filter.save(path)
        restored = keras.models.load_model(path)

    emails = np.array(
        [
            "Re: [SAtalk] razor check fails after upgrade\nI upgraded spamassassin to 2.41 "
            "and now razor-check times out on every message. Has anyone seen this?",
            "You WON!!!\nClaim your FREE prize now, click here, limited offer, act today.",
        ],
        dtype=object,
    )
    for email, p in zip(emails, keras.ops.convert_to_numpy(restored(emails))):
        print(names[int(np.argmax(p))], "|", email.splitlines()[0])
    restored_ids = np.argmax(keras.ops.convert_to_numpy(restored(x_test)), axis=-1)

    return {
        "loss": float(test_loss),
        "accuracy": float(test_accuracy),
        "restored_accuracy": float(np.mean(restored_ids == test_targets)),
        "epochs": len(history.history["loss"]),
    }


if __name__ == "__main__":
    print(main())
