"""Keras 3 ``.weights.h5`` files: the same files as real Keras, in both directions.

Each architecture is written once as a function of the ``keras`` module, so the
very same code builds the Keras model and the torchbridge one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import h5py
import keras
import numpy as np
import pytest

import torchbridge

# --- the architectures (the same code for keras and torchbridge) ------------------------------


def mlp(k: Any) -> Any:
    return k.Sequential(
        [
            k.Input((4,)),
            k.layers.Dense(8, activation="relu", name="zzz"),
            k.layers.Dropout(0.1),
            k.layers.Dense(3, name="aaa"),
        ]
    )


def convnet_bn(k: Any) -> Any:
    inp = k.Input((8, 8, 3))
    x = k.layers.Conv2D(4, 3, activation="relu")(inp)
    x = k.layers.BatchNormalization()(x)
    x = k.layers.MaxPooling2D()(x)
    x = k.layers.Conv2D(5, 3, padding="same")(x)
    x = k.layers.Flatten()(x)
    return k.Model(inp, k.layers.Dense(2)(x))


def embedding_bilstm(k: Any) -> Any:
    return k.Sequential(
        [
            k.Input((6,), dtype="int32"),
            k.layers.Embedding(10, 4),
            k.layers.Bidirectional(k.layers.LSTM(3, return_sequences=True)),
            k.layers.Bidirectional(k.layers.GRU(2)),
            k.layers.Dense(1),
        ]
    )


def multi_input_nested(k: Any) -> Any:
    a = k.Input((4,), name="a")
    b = k.Input((3,), name="b")
    head = k.Sequential([k.layers.Dense(5, activation="tanh"), k.layers.Dense(2)], name="head")
    h = k.layers.Concatenate()([k.layers.Dense(6)(a), b])
    return k.Model([a, b], head(h))


def two_dense_subclass(k: Any) -> Any:
    class TwoDense(k.Model):
        def __init__(self) -> None:
            super().__init__()
            # declared out of alphabetical order: Keras files them by attribute walk,
            # "first" by its attribute, "second" under layers/dense
            self.second = k.layers.Dense(2, name="b_layer")
            self.first = k.layers.Dense(5, name="a_layer")

        def call(self, x: Any) -> Any:
            return self.second(self.first(x))

    model = TwoDense()
    model(np.zeros((1, 4), "float32"))
    return model


ARCHITECTURES: dict[str, tuple[Callable[[Any], Any], Callable[[np.random.Generator], Any]]] = {
    "sequential_mlp": (mlp, lambda r: r.standard_normal((3, 4)).astype("float32")),
    "functional_convnet_batchnorm": (
        convnet_bn,
        lambda r: r.standard_normal((2, 8, 8, 3)).astype("float32"),
    ),
    "embedding_bidirectional_rnn": (
        embedding_bilstm,
        lambda r: r.integers(0, 10, (3, 6)).astype("int32"),
    ),
    "multi_input_nested_sequential": (
        multi_input_nested,
        lambda r: [
            r.standard_normal((3, 4)).astype("float32"),
            r.standard_normal((3, 3)).astype("float32"),
        ],
    ),
    "subclass_two_dense": (
        two_dense_subclass,
        lambda r: r.standard_normal((3, 4)).astype("float32"),
    ),
}


def random_weights(keras_model: Any, rng: np.random.Generator) -> list[np.ndarray]:
    """Random values for every weight (variances positive), in Keras's order."""
    out = []
    for w in keras_model.weights:
        value = rng.standard_normal(tuple(w.shape)).astype("float32") * 0.5
        if "int" in str(w.dtype):  # Normalization's count
            value = rng.integers(1, 10, tuple(w.shape)).astype(str(w.dtype))
        elif "variance" in w.path:
            value = np.abs(value) + 0.5
        out.append(value)
    return out


def predict(model: Any, x: Any) -> np.ndarray:
    return np.asarray(model.predict(x, verbose=0))


def h5_tree(path: str) -> dict[str, Any]:
    """Every group and dataset of a file: datasets as (shape, dtype)."""
    tree: dict[str, Any] = {}

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset):
            tree[name] = (obj.shape, obj.dtype.str)
        else:
            tree[name] = "group"

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return tree


# --- both directions -----------------------------------------------------------------------


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_keras_file_loads_into_torchbridge(arch: str, tmp_path: Any, rng: Any) -> None:
    build, make_x = ARCHITECTURES[arch]
    theirs, ours = build(keras), build(torchbridge)
    theirs.set_weights(random_weights(theirs, rng))
    path = str(tmp_path / "keras.weights.h5")
    theirs.save_weights(path)
    x = make_x(rng)
    before = predict(ours, x)
    ours.load_weights(path)
    expected = predict(theirs, x)
    assert not np.allclose(before, expected, atol=1e-3)  # the load changed something
    np.testing.assert_allclose(predict(ours, x), expected, atol=1e-5, rtol=1e-5)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_torchbridge_file_loads_into_keras(arch: str, tmp_path: Any, rng: Any) -> None:
    build, make_x = ARCHITECTURES[arch]
    theirs, ours = build(keras), build(torchbridge)
    ours.set_weights(random_weights(theirs, rng))
    ours_path, keras_path = str(tmp_path / "ours.weights.h5"), str(tmp_path / "k.weights.h5")
    ours.save_weights(ours_path)
    theirs.load_weights(ours_path)
    x = make_x(rng)
    np.testing.assert_allclose(predict(theirs, x), predict(ours, x), atol=1e-5, rtol=1e-5)
    # the same file as Keras writes: every group and dataset, shapes and dtypes
    theirs.save_weights(keras_path)
    assert h5_tree(ours_path) == h5_tree(keras_path)


# --- every layer family: the same tree as Keras, both directions --------------------------------


def single(make: Callable[[Any], Any], shape: tuple[int, ...], dtype: str = "float32") -> Any:
    def build(k: Any) -> Any:
        inp = k.Input(shape, dtype=dtype)
        return k.Model(inp, make(k)(inp))

    return build


def attention(make: Callable[[Any], Any], mha: bool = False) -> Any:
    def build(k: Any) -> Any:
        inp = k.Input((5, 4))
        layer = make(k)
        return k.Model(inp, layer(inp, inp) if mha else layer([inp, inp]))

    return build


LAYERS: dict[str, Any] = {
    "simple_rnn": single(lambda k: k.layers.SimpleRNN(3), (5, 4)),
    "gru_sequences": single(lambda k: k.layers.GRU(3, return_sequences=True), (5, 4)),
    "lstm": single(lambda k: k.layers.LSTM(3), (5, 4)),
    "bidirectional_sum": single(
        lambda k: k.layers.Bidirectional(k.layers.SimpleRNN(2), merge_mode="sum"), (5, 4)
    ),
    "time_distributed": single(lambda k: k.layers.TimeDistributed(k.layers.Dense(2)), (5, 4)),
    "multi_head_attention": attention(lambda k: k.layers.MultiHeadAttention(2, 3), mha=True),
    "attention_scaled": attention(lambda k: k.layers.Attention(use_scale=True)),
    "additive_attention": attention(lambda k: k.layers.AdditiveAttention()),
    "layer_normalization": single(lambda k: k.layers.LayerNormalization(), (4,)),
    "batch_normalization_no_scale": single(
        lambda k: k.layers.BatchNormalization(scale=False), (4,)
    ),
    "dense_no_bias": single(lambda k: k.layers.Dense(3, use_bias=False), (2, 4)),
    "conv1d": single(lambda k: k.layers.Conv1D(2, 3), (6, 3)),
    "separable_conv2d": single(lambda k: k.layers.SeparableConv2D(2, 3), (6, 6, 3)),
    "depthwise_conv2d": single(lambda k: k.layers.DepthwiseConv2D(3), (6, 6, 3)),
    "conv2d_transpose": single(lambda k: k.layers.Conv2DTranspose(2, 3), (6, 6, 3)),
    "embedding_mask_zero": single(
        lambda k: k.layers.Embedding(7, 2, mask_zero=True), (3,), "int32"
    ),
    "normalization": single(lambda k: k.layers.Normalization(), (4,)),
    "discretization": single(lambda k: k.layers.Discretization(bin_boundaries=[0.0, 1.0]), (3,)),
    "string_lookup": single(lambda k: k.layers.StringLookup(vocabulary=["a", "b"]), (3,), "string"),
    "string_lookup_tf_idf": single(
        lambda k: k.layers.StringLookup(
            vocabulary=["a", "b"], output_mode="tf_idf", idf_weights=[0.5, 0.25]
        ),
        (3,),
        "string",
    ),
    "text_vectorization_tf_idf": single(
        lambda k: k.layers.TextVectorization(
            output_mode="tf_idf", vocabulary=["a", "b", "c"], idf_weights=[0.5, 0.25, 0.2]
        ),
        (),
        "string",
    ),
}


@pytest.mark.parametrize("case", sorted(LAYERS))
def test_layer_files_match_keras(case: str, tmp_path: Any, rng: Any) -> None:
    build = LAYERS[case]
    theirs, ours = build(keras), build(torchbridge)
    values = random_weights(theirs, rng)
    theirs.set_weights(values)
    keras_path, ours_path = str(tmp_path / "k.weights.h5"), str(tmp_path / "t.weights.h5")
    theirs.save_weights(keras_path)
    ours.load_weights(keras_path)  # Keras → torchbridge
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(got, want)
    ours.save_weights(ours_path)
    assert h5_tree(ours_path) == h5_tree(keras_path)
    with h5py.File(ours_path) as a, h5py.File(keras_path) as b:  # the same values too
        for name, kind in h5_tree(keras_path).items():
            if kind != "group":
                np.testing.assert_array_equal(a[name][()], b[name][()], err_msg=name)
    fresh = build(keras)
    fresh.load_weights(ours_path)  # torchbridge → Keras
    for got, want in zip(fresh.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(got, want)


# --- custom layers: add_weight (trainable and not) and sublayers --------------------------------


def custom_block_model(k: Any) -> Any:
    class Block(k.layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.inner = k.layers.Dense(3)
            self.norm = k.layers.LayerNormalization()

        def build(self, input_shape: Any) -> None:
            self.scale = self.add_weight(shape=(3,), initializer="ones", name="scale")
            self.shift = self.add_weight(shape=(3,), trainable=False, name="shift")
            self.inner.build(input_shape)
            self.norm.build((*input_shape[:-1], 3))

        def call(self, x: Any) -> Any:
            return self.norm(self.inner(x)) * self.scale + self.shift

    class Net(k.Model):
        def __init__(self) -> None:
            super().__init__()
            self.block = Block()
            self.out = k.layers.Dense(2)

        def call(self, x: Any) -> Any:
            return self.out(self.block(x))

    model = Net()
    model(np.zeros((1, 4), "float32"))
    return model


def test_custom_layer_with_add_weight_both_directions(tmp_path: Any, rng: Any) -> None:
    theirs, ours = custom_block_model(keras), custom_block_model(torchbridge)
    values = random_weights(theirs, rng)
    theirs.set_weights(values)
    x = rng.standard_normal((3, 4)).astype("float32")
    keras_path, ours_path = str(tmp_path / "k.weights.h5"), str(tmp_path / "t.weights.h5")
    theirs.save_weights(keras_path)
    ours.load_weights(keras_path)
    np.testing.assert_allclose(predict(ours, x), predict(theirs, x), atol=1e-5, rtol=1e-5)
    ours.save_weights(ours_path)
    assert h5_tree(ours_path) == h5_tree(keras_path)
    fresh = custom_block_model(keras)
    fresh.load_weights(ours_path)
    np.testing.assert_allclose(predict(fresh, x), predict(theirs, x), atol=1e-5, rtol=1e-5)


# --- optimizer variables ------------------------------------------------------------------------

OPTIMIZERS = {
    "adam": lambda k: k.optimizers.Adam(0.01),
    "adam_amsgrad": lambda k: k.optimizers.Adam(0.01, amsgrad=True),
    "adamw": lambda k: k.optimizers.AdamW(0.01, weight_decay=0.1),
    "sgd_momentum": lambda k: k.optimizers.SGD(0.05, momentum=0.9),
    "sgd": lambda k: k.optimizers.SGD(0.05),
    "rmsprop_centered_momentum": lambda k: k.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "lion": lambda k: k.optimizers.Lion(0.01),
    "lamb": lambda k: k.optimizers.Lamb(0.01),
    "ftrl": lambda k: k.optimizers.Ftrl(0.05, l1_regularization_strength=0.01),
}


def small(k: Any) -> Any:
    """An MLP without Dropout, so that Keras and torchbridge train alike."""
    return k.Sequential([k.Input((4,)), k.layers.Dense(8, activation="tanh"), k.layers.Dense(3)])


def _train(k: Any, opt: str, values: list[np.ndarray], x: Any, y: Any, epochs: int = 1) -> Any:
    model = small(k)
    model.set_weights(values)
    model.compile(optimizer=OPTIMIZERS[opt](k), loss="mse")
    model.fit(x, y, batch_size=4, epochs=epochs, shuffle=False, verbose=0)
    return model


def _datasets(path: str) -> dict[str, np.ndarray]:
    with h5py.File(path) as f:
        return {n: f[n][()] for n, kind in h5_tree(path).items() if kind != "group"}


@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_optimizer_variables_both_directions(opt: str, tmp_path: Any, rng: Any) -> None:
    values = random_weights(small(keras), rng)
    x = rng.standard_normal((12, 4)).astype("float32")
    y = rng.standard_normal((12, 3)).astype("float32")
    theirs, ours = _train(keras, opt, values, x, y), _train(torchbridge, opt, values, x, y)
    keras_path, ours_path = str(tmp_path / "k.weights.h5"), str(tmp_path / "t.weights.h5")
    theirs.save_weights(keras_path)
    ours.save_weights(ours_path)
    # after the same 3 steps, the same file: model and optimizer variables
    assert h5_tree(ours_path) == h5_tree(keras_path)
    want = _datasets(keras_path)
    for name, got in _datasets(ours_path).items():
        np.testing.assert_allclose(got, want[name], rtol=1e-4, atol=1e-5, err_msg=name)
    # Keras's state loaded into a trained torchbridge model: both continue alike
    other = _train(torchbridge, opt, random_weights(small(keras), rng), x[:4], y[:4])
    other.load_weights(keras_path)
    assert other.optimizer.iterations == 3
    theirs.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    other.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for got, expected in zip(other.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_unbuilt_optimizer_saves_iterations_and_learning_rate(tmp_path: Any) -> None:
    theirs, ours = mlp(keras), mlp(torchbridge)
    theirs.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    ours.compile(optimizer=torchbridge.optimizers.Adam(0.01), loss="mse")
    keras_path, ours_path = str(tmp_path / "k.weights.h5"), str(tmp_path / "t.weights.h5")
    theirs.save_weights(keras_path)
    ours.save_weights(ours_path)
    assert h5_tree(ours_path) == h5_tree(keras_path)
    assert h5_tree(ours_path)["optimizer/vars/0"] == ((), "<i8")


def test_optimizer_count_mismatch_is_skipped_with_keras_warning(tmp_path: Any, rng: Any) -> None:
    values = random_weights(small(keras), rng)
    x = rng.standard_normal((8, 4)).astype("float32")
    y = rng.standard_normal((8, 3)).astype("float32")
    path = str(tmp_path / "k.weights.h5")
    _train(keras, "adam", values, x, y).save_weights(path)
    ours = _train(torchbridge, "sgd_momentum", values, x[:4], y[:4])
    before = ours.optimizer.iterations
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer 'sgd'"):
        ours.load_weights(path)
    assert ours.optimizer.iterations == before
    np.testing.assert_array_equal(ours.get_weights()[0], _datasets(path)["layers/dense/vars/0"])


def test_float64_variables_are_not_narrowed_silently(tmp_path: Any) -> None:
    """Keras casts a float64 file into float32 variables (1e300 becomes inf); torchbridge
    refuses, naming the variable, unless ``allow_dtype_narrowing=True`` (as for safetensors)."""
    wide = mlp(keras)
    wide.set_weights([np.full(w.shape, 0.25) for w in wide.get_weights()])
    path = str(tmp_path / "wide.weights.h5")
    wide.save_weights(path)
    with h5py.File(path, "a") as f:  # the same file with float64 datasets
        for name in ("layers/dense/vars/0", "layers/dense/vars/1"):
            value = f[name][()].astype("float64")
            del f[name]
            f[name] = value
    ours = mlp(torchbridge)
    before = [w.copy() for w in ours.get_weights()]
    with pytest.raises(torchbridge.errors.SavedFormatError) as info:
        ours.load_weights(path)
    message = str(info.value)
    assert "variable '0' of layer 'zzz' (layers/dense/vars) is torch.float64" in message
    assert "allow_dtype_narrowing=True" in message and "Nothing was loaded" in message
    for got, want in zip(ours.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    ours.load_weights(path, allow_dtype_narrowing=True)
    for got in ours.get_weights():
        np.testing.assert_array_equal(got, np.full(got.shape, 0.25, "float32"))


def test_float64_optimizer_slots_are_not_narrowed_silently(tmp_path: Any, rng: Any) -> None:
    values = random_weights(small(keras), rng)
    x = rng.standard_normal((8, 4)).astype("float32")
    y = rng.standard_normal((8, 3)).astype("float32")
    path = str(tmp_path / "k.weights.h5")
    _train(keras, "adam", values, x, y).save_weights(path)
    with h5py.File(path, "a") as f:  # a momentum slot stored as float64
        value = f["optimizer/vars/2"][()].astype("float64")
        del f["optimizer/vars/2"]
        f["optimizer/vars/2"] = value
    ours = _train(torchbridge, "adam", values, x[:4], y[:4])
    before = ours.get_weights()
    with pytest.raises(torchbridge.errors.SavedFormatError, match=r"optimizer slot 'exp_avg'"):
        ours.load_weights(path)
    for got, want in zip(ours.get_weights(), before):  # checked before anything is assigned
        np.testing.assert_array_equal(got, want)
    ours.load_weights(path, allow_dtype_narrowing=True)
    assert int(ours.optimizer.iterations) == 2
