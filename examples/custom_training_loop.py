"""A custom training loop: the gradient step written by hand, Keras's model and optimizer.

A small MLP on scikit-learn's 8×8 digits, trained without ``fit``: batches
drawn by hand, a ``SparseCategoricalCrossentropy`` loss, gradients, then
``optimizer.apply(grads, model.trainable_weights)`` and running metrics reset
each epoch, as in Keras's "Writing a training loop from scratch" guides.

Computing gradients is the one step Keras 3 leaves to the backend: TensorFlow
records a ``tf.GradientTape``; PyTorch (and torchbridge) calls
``loss.backward()``. ``gradients()`` below picks by ``keras.backend.backend()``,
as Keras's multi-backend guides do, so the same file runs on both.

Run it with Keras, or unchanged on PyTorch with torchbridge: see README.md.
"""

import os
import tempfile

import keras
import numpy as np
from _data import load_digits_data


def build_model(num_classes=10):
    return keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(num_classes),
        ],
        name="digits_mlp_custom_loop",
    )


def gradients(model, loss_fn, x, y):
    """The loss and its gradients with respect to ``model.trainable_weights``."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        return loss, logits, tape.gradient(loss, model.trainable_weights)
    # PyTorch: autograd records the forward pass; backward() fills each weight's .grad
    logits = model(x, training=True)
    loss = loss_fn(y, logits)
    model.zero_grad()
    loss.backward()
    return loss, logits, [w.value.grad for w in model.trainable_weights]


def main(epochs=20, batch_size=32, train_size=None, verbose=2, seed=0):
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_digits_data()
    if train_size is not None:
        x_train, y_train = x_train[:train_size], y_train[:train_size]
    print(f"{len(x_train)} training images, {len(x_test)} test images")

    model = build_model()
    model.summary()
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam(learning_rate=3e-3)
    train_loss = keras.metrics.Mean()
    train_accuracy = keras.metrics.SparseCategoricalAccuracy()
    rng = np.random.default_rng(seed)

    for epoch in range(epochs):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            x, y = x_train[idx], y_train[idx]
            loss, logits, grads = gradients(model, loss_fn, x, y)
            optimizer.apply(grads, model.trainable_weights)
            train_loss.update_state(loss)
            train_accuracy.update_state(y, logits)
        if verbose:
            print(
                f"epoch {epoch + 1}: loss {float(train_loss.result()):.4f}, "
                f"accuracy {float(train_accuracy.result()):.4f}"
            )
        train_loss.reset_state()
        train_accuracy.reset_state()

    # evaluation: the model is compiled only to use evaluate/predict
    model.compile(loss=loss_fn, metrics=["accuracy"])
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "digits_mlp_custom_loop.keras")
        model.save(path)
        restored = keras.models.load_model(path)
    predicted = np.argmax(restored.predict(x_test, verbose=0), axis=-1)
    print("first 10 test digits:", y_test[:10].tolist())
    print("predicted:           ", predicted[:10].tolist())

    return {
        "loss": float(test_loss),
        "accuracy": float(test_accuracy),
        "restored_accuracy": float(np.mean(predicted == y_test)),
        "epochs": epochs,
    }


if __name__ == "__main__":
    print(main())
