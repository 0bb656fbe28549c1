"""Files written by tf.keras 2 (the ``tf_keras`` package): ``load_model`` reads whole-model
``.h5`` files (predictions, compile arguments and optimizer state as tf.keras had them) and
``load_weights`` reads ``save_weights("w.h5")`` files by topological order or by name.

Each architecture is one function of the ``keras``-like module, so the very same code
builds the tf.keras 2 model and the torchbridge one.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import h5py
import numpy as np
import pytest

import torchbridge as tb
from torchbridge.errors import InputError, SavedFormatError

tf_keras = pytest.importorskip("tf_keras")
tf = pytest.importorskip("tensorflow")

_VOCABULARY = ["the", "cat", "sat", "dog", "ran", "down", "mat"]


def _scale_class(lib: Any) -> type:
    """The same custom layer, registered under the same name in both libraries."""

    @lib.saving.register_keras_serializable(package="tf_keras_files")
    class Scale(lib.layers.Layer):
        def __init__(self, factor: float = 2.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")

        def call(self, x: Any) -> Any:
            return x * self.w * self.factor

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "factor": self.factor}

    return Scale


_SCALE = {lib: _scale_class(lib) for lib in (tb, tf_keras)}


def _sequential(k: Any) -> Any:
    return k.Sequential(
        [
            k.Input((5,)),
            k.layers.Dense(4, activation="relu", name="hidden"),
            k.layers.BatchNormalization(name="norm"),
            k.layers.Dense(2, name="head"),
        ]
    )


def _two_inputs(k: Any) -> Any:
    a, b = k.Input((4,), name="a"), k.Input((2,), name="b")
    merged = k.layers.Concatenate()([k.layers.Dense(3, name="project")(a), b])
    return k.Model([a, b], k.layers.Dense(2, name="head")(merged))


def _custom_layer(k: Any) -> Any:
    inputs = k.Input((3,))
    scaled = _SCALE[k](factor=0.5, name="scale")(inputs)
    return k.Model(inputs, k.layers.Dense(2, name="head")(scaled))


def _rnn_text(k: Any) -> Any:
    """tf.keras 2 writes a TextVectorization to ``.h5`` only when its vocabulary is in the
    config (an adapted one raises NotImplementedError in tf_keras's save)."""
    text = k.Input((1,), dtype="string")
    vectorize = k.layers.TextVectorization(
        output_sequence_length=6, vocabulary=_VOCABULARY, name="vectorize"
    )
    x = k.layers.Embedding(len(_VOCABULARY) + 2, 4, name="embed")(vectorize(text))
    x = k.layers.Bidirectional(k.layers.LSTM(3, return_sequences=True), name="bi")(x)
    return k.Model(text, k.layers.Dense(2, name="head")(k.layers.GRU(2, name="gru")(x)))


_RNG = np.random.default_rng(5)
_TEXTS = np.array([["the cat sat"], ["a dog ran down"], ["mat"]], dtype=object)
CASES: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "sequential": (_sequential, _RNG.normal(size=(3, 5)).astype("float32")),
    "two_inputs": (
        _two_inputs,
        [_RNG.normal(size=(3, 4)).astype("float32"), _RNG.normal(size=(3, 2)).astype("float32")],
    ),
    "custom_layer": (_custom_layer, _RNG.normal(size=(3, 3)).astype("float32")),
    "rnn_text": (_rnn_text, _TEXTS),
}
_Y = _RNG.normal(size=(3, 2)).astype("float32")


def _tf_input(x: Any) -> Any:
    return tf.constant(x.astype(str)) if x.dtype == object else x


def _trained_tf_keras(kind: str, optimizer: Any = None) -> tuple[Any, Any]:
    build, x = CASES[kind]
    model = build(tf_keras)
    optimizer = optimizer or tf_keras.optimizers.SGD(0.01, momentum=0.9)
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    for _ in range(2):
        model.train_on_batch(_tf_input(x) if not isinstance(x, list) else x, _Y)
    return model, x


def _save_h5(model: Any, path: Any) -> None:
    with warnings.catch_warnings():  # tf_keras: "HDF5 ... is considered legacy"
        warnings.simplefilter("ignore", UserWarning)
        model.save(path)


@pytest.fixture(scope="module")
def tf_keras_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Per kind: the tf.keras model's predictions (trained two steps), its ``m.h5`` and
    ``w.h5`` (tests must not train these models further: they are shared)."""
    folder = tmp_path_factory.mktemp("tf_keras")
    out = {}
    for kind in CASES:
        model, x = _trained_tf_keras(kind)
        _save_h5(model, folder / f"{kind}.h5")
        model.save_weights(folder / f"{kind}_weights.h5")
        out[kind] = (_predict_tf(model, x), x, folder / f"{kind}.h5", folder / f"{kind}_weights.h5")
    return out


def _predict_tf(model: Any, x: Any) -> np.ndarray:
    return np.asarray(model(_tf_input(x) if not isinstance(x, list) else x))


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(CASES))
def test_load_model_reads_a_tf_keras_h5(kind: str, tf_keras_files: dict[str, Any]) -> None:
    expected, x, path, _ = tf_keras_files[kind]
    with h5py.File(path) as f:  # the tf.keras 2 layout and naming
        assert f.attrs["keras_version"].startswith("2.")
        assert "iteration:0" in list(f["optimizer_weights"].attrs["weight_names"])
    ours = tb.saving.load_model(path)
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, atol=1e-5)
    config = ours.get_compile_config()
    assert (config["loss"], config["metrics"]) == ("mse", ["mae"])
    assert type(ours.optimizer).__name__ == "SGD"
    assert ours.optimizer.learning_rate == pytest.approx(0.01)
    assert int(ours.optimizer.iterations) == 2
    # the restored momentum gives tf.keras's next step
    theirs = tf_keras.models.load_model(path)
    theirs.train_on_batch(_tf_input(x) if not isinstance(x, list) else x, _Y)
    ours.train_on_batch(x, _Y)
    np.testing.assert_allclose(ours.predict(x, verbose=0), _predict_tf(theirs, x), atol=1e-5)
    assert not tb.saving.load_model(path, compile=False).compiled


def _convnet(k: Any) -> Any:
    inputs = k.Input((8, 8, 3))
    x = k.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = k.layers.BatchNormalization()(k.layers.MaxPooling2D()(x))
    x = k.layers.GlobalAveragePooling2D()(k.layers.DepthwiseConv2D(3)(x))
    return k.Model(inputs, k.layers.Dense(3, activation="softmax")(k.layers.Dropout(0.2)(x)))


def _attention(k: Any) -> Any:
    inputs = k.Input((6, 4))
    x = k.layers.LayerNormalization()(inputs)
    x = k.layers.Add()([k.layers.MultiHeadAttention(2, 3)(x, x), inputs])  # value= a kwarg
    x = k.layers.Conv1D(3, 2)(k.layers.TimeDistributed(k.layers.Dense(2))(x))
    return k.Model(inputs, k.layers.Flatten()(k.layers.SimpleRNN(2, return_sequences=True)(x)))


def _nested(k: Any) -> Any:
    inner = k.Sequential([k.Input((4,)), k.layers.Dense(3, activation="tanh")], name="inner")
    inputs = k.Input((4,))  # the nested model's built-in node shifts its node indices
    return k.Model(inputs, k.layers.Dense(2)(inner(inputs)))


def _normalization(k: Any) -> Any:
    norm = k.layers.Normalization()
    norm.adapt(np.linspace(-3, 5, 30, dtype="float32").reshape(10, 3))
    inputs = k.Input((3,))
    return k.Model(inputs, k.layers.Dense(1)(norm(inputs)))


def _masked_lambda(k: Any) -> Any:
    inputs = k.Input((5,), dtype="int32")
    x = k.layers.LSTM(2)(k.layers.Embedding(10, 4, mask_zero=True)(inputs))
    return k.Model(inputs, k.layers.Lambda(lambda t: t * 2.0)(x))


FAMILIES: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "convnet": (_convnet, _RNG.normal(size=(2, 8, 8, 3)).astype("float32")),
    "attention": (_attention, _RNG.normal(size=(2, 6, 4)).astype("float32")),
    "nested_model": (_nested, _RNG.normal(size=(2, 4)).astype("float32")),
    "normalization": (_normalization, _RNG.normal(size=(2, 3)).astype("float32")),
    "masked_lambda": (_masked_lambda, np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]], "int32")),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(FAMILIES))
def test_tf_keras_layer_families_load(kind: str, tmp_path: Any) -> None:
    """tf.keras 2 spellings Keras 3 dropped (``groups``, MultiHeadAttention's build shapes,
    tensors among call kwargs, node indices of nested models, lambdas as lists ...)."""
    build, x = FAMILIES[kind]
    theirs = build(tf_keras)
    _save_h5(theirs, tmp_path / "m.h5")
    theirs.save_weights(tmp_path / "w.h5")
    expected = _predict_tf(theirs, x)
    # (a lambda's bytecode loads only with safe_mode=False)
    ours = tb.saving.load_model(tmp_path / "m.h5", safe_mode=kind != "masked_lambda")
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, atol=1e-5)
    fresh = build(tb)
    fresh.load_weights(tmp_path / "w.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, atol=1e-5)


_OPTIMIZERS = {
    "adam": lambda: tf_keras.optimizers.Adam(0.01),
    "adam_amsgrad": lambda: tf_keras.optimizers.Adam(0.01, amsgrad=True),
    "rmsprop_centered": lambda: tf_keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "legacy_adam": lambda: tf_keras.optimizers.legacy.Adam(0.01),
    "legacy_sgd_momentum": lambda: tf_keras.optimizers.legacy.SGD(0.01, momentum=0.9),
    # (momentum + a decaying rate is left out: torchbridge's SGD keeps torch's momentum
    # buffer, which differs from Keras's once the learning rate changes)
    "legacy_sgd_decay": lambda: tf_keras.optimizers.legacy.SGD(0.01, decay=0.1),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_OPTIMIZERS))
def test_tf_keras_optimizer_state_is_matched_by_name(name: str, tmp_path: Any) -> None:
    """tf.keras 2 names its optimizer weights after the model's (``Adam/m/head/kernel:0``;
    legacy optimizers ``Adam/head/kernel/m:0``, ``decay`` a learning-rate rule)."""
    theirs, x = _trained_tf_keras("two_inputs", _OPTIMIZERS[name]())
    _save_h5(theirs, tmp_path / "m.h5")
    ours = tb.saving.load_model(tmp_path / "m.h5")
    assert int(ours.optimizer.iterations) == 2
    for _ in range(2):
        theirs.train_on_batch(x, _Y)
        ours.train_on_batch(x, _Y)
    np.testing.assert_allclose(ours.predict(x, verbose=0), _predict_tf(theirs, x), atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("by_name", [False, True], ids=["topological", "by_name"])
@pytest.mark.parametrize("kind", sorted(CASES))
def test_load_weights_reads_tf_keras_weights(
    kind: str, by_name: bool, tf_keras_files: dict[str, Any]
) -> None:
    expected, x, model_path, weights_path = tf_keras_files[kind]
    build, _ = CASES[kind]
    for path in (weights_path, model_path):  # (a whole-model file: its model_weights group)
        ours = build(tb)
        report = ours.load_weights(path, by_name=by_name)
        assert report["skipped"] == []
        np.testing.assert_allclose(ours.predict(x, verbose=0), expected, atol=1e-5)


@pytest.fixture(scope="module")
def sequential_weights(tf_keras_files: dict[str, Any]) -> Any:
    return tf_keras_files["sequential"][3]


def _changed_sequential(head_units: int = 2, extra: bool = False) -> Any:
    layers = [tb.Input((5,)), tb.layers.Dense(4, activation="relu", name="hidden")]
    if extra:
        layers.append(tb.layers.Dense(4, name="new_layer"))
    layers += [tb.layers.BatchNormalization(name="norm"), tb.layers.Dense(head_units, name="head")]
    return tb.Sequential(layers)


@pytest.mark.slow
def test_by_name_and_skip_mismatch_follow_tf_keras(sequential_weights: Any) -> None:
    with h5py.File(sequential_weights) as f:
        saved_hidden = f["hidden/hidden/kernel:0"][()]
        saved_head = f["head/head/kernel:0"][()]
    # a layer the file does not have: topological order no longer fits, by name does
    grown = _changed_sequential(extra=True)
    with pytest.raises(InputError, match=r"Layer count mismatch.*by_name=True"):
        grown.load_weights(sequential_weights)
    fresh_new = grown.get_layer("new_layer").get_weights()
    grown.load_weights(sequential_weights, by_name=True)
    np.testing.assert_array_equal(grown.get_layer("head").get_weights()[0], saved_head)
    np.testing.assert_array_equal(grown.get_layer("new_layer").get_weights()[0], fresh_new[0])

    # a layer of another size: the error names the layer, the shapes and the fix
    wider = _changed_sequential(head_units=3)
    with pytest.raises(InputError) as info:
        wider.load_weights(sequential_weights)
    message = str(info.value)
    assert "'head'" in message and "[(4, 3), (3,)]" in message and "[(4, 2), (2,)]" in message
    assert "skip_mismatch=True" in message and "Nothing was loaded" in message
    before = wider.get_layer("head").get_weights()
    with pytest.warns(UserWarning, match=r"Skipping loading weights for layer 'head'") as seen:
        report = wider.load_weights(sequential_weights, skip_mismatch=True)
    assert report["skipped"] == ["head"] and len(seen) == 1  # one warning per skipped layer
    np.testing.assert_array_equal(wider.get_layer("head").get_weights()[0], before[0])
    np.testing.assert_array_equal(wider.get_layer("hidden").get_weights()[0], saved_hidden)

    with pytest.raises(ValueError, match=r"objects_to_skip.*only supports loading '\.weights\.h5'"):
        wider.load_weights(sequential_weights, objects_to_skip=[wider.layers[0]])
    with pytest.raises(InputError, match=r"must end in `.weights.h5`"):
        wider.save_weights(sequential_weights)


def test_legacy_weights_are_not_narrowed_silently(tmp_path: Any) -> None:
    """A float64 weight into a float32 model: refused, naming the weight, unless opted in."""
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [b"head"]
        f.attrs["keras_version"] = b"2.21.0"
        group = f.create_group("head")
        group.attrs["weight_names"] = [b"head/kernel:0", b"head/bias:0"]
        group["head/kernel:0"] = np.full((3, 2), 1e300)
        group["head/bias:0"] = np.zeros(2)
    model = tb.Sequential([tb.Input((3,)), tb.layers.Dense(2, name="head")])
    with pytest.raises(SavedFormatError, match=r"head/kernel:0 \(layer 'head'\) is torch.float64"):
        model.load_weights(path)
    model.load_weights(path, allow_dtype_narrowing=True)
    assert np.isinf(model.get_weights()[0]).all()


def test_a_time_major_rnn_is_refused_with_the_fix(tmp_path: Any) -> None:
    model = tf_keras.Sequential([tf_keras.Input((4, 2)), tf_keras.layers.LSTM(3, time_major=True)])
    _save_h5(model, tmp_path / "m.h5")
    with pytest.raises(SavedFormatError, match=r"time_major=True.*time_major=False"):
        tb.saving.load_model(tmp_path / "m.h5")


@pytest.mark.slow
def test_a_multi_output_compile_config_comes_back_as_tf_keras_had_it(tmp_path: Any) -> None:
    """Per-output losses and loss weights; metrics that tf.keras 2 renamed
    ``<output>_<metric>`` and wrapped as MeanMetricWrapper are the names given to compile."""
    inputs = tf_keras.Input((4,))
    outputs = {
        "a": tf_keras.layers.Dense(1, activation="sigmoid", name="a")(inputs),
        "b": tf_keras.layers.Dense(3, name="b")(inputs),
    }
    theirs = tf_keras.Model(inputs, outputs)
    theirs.compile(
        optimizer="adam",
        loss={"a": tf_keras.losses.BinaryCrossentropy(), "b": "mse"},
        loss_weights={"a": 1.0, "b": 0.5},
        metrics={"a": ["accuracy", tf_keras.metrics.AUC()], "b": ["mae"]},
    )
    x = _RNG.normal(size=(8, 4)).astype("float32")
    y = {"a": (_RNG.random((8, 1)) > 0.5).astype("float32"), "b": _RNG.normal(size=(8, 3))}
    theirs.fit(x, y, epochs=1, verbose=0)
    _save_h5(theirs, tmp_path / "m.h5")
    ours = tb.saving.load_model(tmp_path / "m.h5")
    config = ours.get_compile_config()
    assert config["loss"]["b"] == "mse" and config["loss_weights"] == {"a": 1.0, "b": 0.5}
    assert config["loss"]["a"]["config"]["reduction"] == "sum_over_batch_size"
    assert config["metrics"][0][0] == "accuracy" and config["metrics"][1] == ["mae"]
    expected = theirs.evaluate(x, y, verbose=0, return_dict=True)
    got = ours.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(got) == sorted(expected)
    for key in ("loss", "a_loss", "b_loss", "a_accuracy", "b_mae"):
        assert got[key] == pytest.approx(expected[key], abs=1e-5)
