"""The classic Keras image classifier on scikit-learn's bundled digits.

``Sequential([Input((8, 8, 1)), Conv2D(32, 3, activation="relu"), Flatten(),
Dense(10, activation="softmax")])`` — Keras layers, no hand-computed sizes;
trained with ``validation_split``,
EarlyStopping and ModelCheckpoint; saved whole with ``model.save`` and
reloaded with ``load_model`` (no code needed to rebuild it), then evaluated
and used for predictions on a held-out split. Everything is offline: the
digits ship with scikit-learn.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

import torchbridge as tb

__all__ = ["build_model", "main"]


def build_model() -> tb.Model:
    """Keras's tutorial convnet, written exactly as in Keras."""
    return tb.Sequential(
        [
            tb.Input((8, 8, 1)),
            tb.layers.Conv2D(32, 3, activation="relu"),
            tb.layers.Flatten(),
            tb.layers.Dense(10, activation="softmax"),
        ],
        name="digits_convnet",
    )


def load_digits_split(seed: int = 0) -> tuple[np.ndarray, ...]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:  # pragma: no cover - the demo extra installs it
        raise SystemExit("The demo needs scikit-learn: pip install 'torchbridge[demo]'") from e
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]  # (N, 8, 8, 1): channels last
    y = digits.target.astype("int64")
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_test = len(x) // 5
    return x[n_test:], y[n_test:], x[:n_test], y[:n_test]


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(prog="torchbridge demo", description=__doc__)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--output-dir", default="demo_output")
    parser.add_argument("--verbose", default="auto")
    args = parser.parse_args(argv)
    verbose = args.verbose if args.verbose == "auto" else int(args.verbose)

    start = time.perf_counter()
    torch.manual_seed(0)
    x_train, y_train, x_test, y_test = load_digits_split()
    print(f"digits: {len(x_train)} training images, {len(x_test)} held out")

    model = build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    os.makedirs(args.output_dir, exist_ok=True)
    best_path = os.path.join(args.output_dir, "best.weights.safetensors")
    model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=args.epochs,
        validation_split=0.15,
        verbose=verbose,
        callbacks=[
            tb.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
            tb.callbacks.ModelCheckpoint(
                best_path, monitor="val_loss", save_best_only=True, save_weights_only=True
            ),
        ],
    )
    model.summary()

    # Save the whole model, reload it from the file alone: it must give the same answers.
    model_path = os.path.join(args.output_dir, "digits_convnet.keras")
    model.save(model_path)
    restored = tb.models.load_model(model_path)
    same = np.array_equal(restored.predict(x_test, verbose=0), model.predict(x_test, verbose=0))
    print(f"saved to {model_path}; reloaded model predicts identically: {same}")
    results = restored.evaluate(x_test, y_test, verbose=0, return_dict=True)
    probs = restored.predict(x_test[:8], verbose=0)
    print(f"\ntest accuracy: {results['accuracy']:.4f}   test loss: {results['loss']:.4f}")
    print("first 8 held-out digits — predicted:", probs.argmax(-1).tolist())
    print("                          actual:   ", y_test[:8].tolist())
    print(f"finished in {time.perf_counter() - start:.1f}s")
    return float(results["accuracy"])


if __name__ == "__main__":
    main()
