"""Export for serving: train, save, export, reload the export and check its predictions.

A small MLP on scikit-learn's 8×8 digits is trained and saved as ``digits.keras``
(what ``torchbridge serve digits.keras`` serves with TensorFlow Serving's REST
API), then exported for an inference runtime and reloaded there:

* on TensorFlow, Keras's default export, a SavedModel for TF Serving,
  reloaded with ``tf.saved_model.load`` and called through its ``serve``
  signature;
* on PyTorch (torchbridge), ``format="onnx"``, reloaded in ONNX Runtime,
  which needs no torch.

The export format is the one line that names a backend: TensorFlow's
SavedModel does not exist on PyTorch, and Keras's ONNX export on TensorFlow
needs tf2onnx. ``main`` returns the test accuracy, the largest difference
between the exported model's and the model's predictions, and the paths.

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
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(num_classes, activation="softmax"),
        ],
        name="digits_export",
    )


def export_and_reload(model, workdir):
    """Export ``model`` for the backend's runtime; return (path, a predict function)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        path = os.path.join(workdir, "digits_savedmodel")
        model.export(path, verbose=False)  # format="tf_saved_model"
        served = tf.saved_model.load(path)
        return path, lambda x: served.serve(tf.constant(x)).numpy()
    import onnxruntime

    path = os.path.join(workdir, "digits.onnx")
    model.export(path, format="onnx", verbose=False)
    session = onnxruntime.InferenceSession(path)
    name = session.get_inputs()[0].name
    return path, lambda x: session.run(None, {name: x})[0]


def main(epochs=5, seed=0, verbose=2, workdir=None):
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_digits_data(seed)
    model = build_model()
    model.compile(
        keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(x_train, y_train, batch_size=64, epochs=epochs, verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)

    workdir = workdir or tempfile.mkdtemp()
    model_path = os.path.join(workdir, "digits.keras")
    model.save(model_path)  # then: torchbridge serve digits.keras --name digits
    export_path, exported = export_and_reload(model, workdir)
    expected = model.predict(x_test, verbose=0)
    difference = float(np.abs(exported(x_test) - expected).max())
    return {
        "accuracy": float(accuracy),
        "loss": float(loss),
        "export_difference": difference,
        "model_path": model_path,
        "export_path": export_path,
    }


if __name__ == "__main__":
    print(main())
