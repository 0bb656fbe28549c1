"""Offline data for the example programs, as NumPy arrays in ``keras.datasets`` style.

* :func:`load_digits_data` — scikit-learn's bundled 8×8 digits (1,797 images).
* :func:`load_spam_data` — the SpamAssassin public mail corpus (5,889 distinct
  e-mails, 30 % spam) that ships with torchbridge
  (:func:`torchbridge.demos.spam_data.load_spam`; data PDDL-1.0 / CC0-1.0).

Both return ``(x_train, y_train), (x_test, y_test)`` and are deterministic.
Nothing here touches Keras, so each example runs the same with ``import
keras`` and with ``import torchbridge as keras``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["load_digits_data", "load_spam_data"]


def load_digits_data(
    seed: int = 0, test_fraction: float = 0.2
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Digits as float32 images ``(n, 8, 8, 1)`` scaled to [0, 1] and int64 labels 0-9."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target.astype("int64")
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_test = round(len(x) * test_fraction)
    return (x[n_test:], y[n_test:]), (x[:n_test], y[:n_test])


def load_spam_data(
    seed: int = 0, test_fraction: float = 0.2
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """E-mails as an object array of ``str`` (subject, newline, body start); labels 1 = spam."""
    from torchbridge.demos.spam_data import load_spam

    return load_spam(split_seed=seed, test_fraction=test_fraction)
