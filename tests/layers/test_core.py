"""Core layers against Keras (TensorFlow backend) as the oracle."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from torchbridge import layers
from torchbridge.errors import InputError

# Keys Keras puts in every config that torchbridge leaves out (or adds only when set):
# "dtype" (a DTypePolicy dict in Keras). Dense also has Keras-only "quantization_config".
KERAS_ONLY_KEYS = {"dtype", "quantization_config"}


def _keras_keys(layer: keras.layers.Layer) -> set[str]:
    return set(layer.get_config()) - KERAS_ONLY_KEYS


def _run_both(
    ours: layers.Layer, theirs: keras.layers.Layer, x: np.ndarray, **kwargs: object
) -> tuple[np.ndarray, np.ndarray]:
    expected = keras.ops.convert_to_numpy(theirs(x, **kwargs))
    ours.eval()
    with torch.no_grad():
        got = ours(torch.from_numpy(x)).numpy()
    return got, expected


# --- Dense ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3), (2, 3, 4, 3)])
@pytest.mark.parametrize("activation", [None, "relu", "tanh"])
def test_dense_matches_keras_any_rank(
    rng: np.random.Generator, shape: tuple[int, ...], activation: str | None
) -> None:
    x = rng.standard_normal(shape).astype("float32")
    theirs = keras.layers.Dense(6, activation=activation)
    theirs.build(shape)
    theirs.set_weights(
        [w + rng.standard_normal(w.shape).astype("float32") for w in theirs.get_weights()]
    )
    ours = layers.Dense(6, activation=activation)
    ours(torch.zeros((1, *shape[1:])))
    ours.set_weights(theirs.get_weights())
    got, expected = _run_both(ours, theirs, x)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_dense_weights_layout_and_round_trip(rng: np.random.Generator) -> None:
    theirs = keras.layers.Dense(4)
    theirs.build((None, 7))
    ours = layers.Dense(4, input_shape=(7,))
    assert ours.built
    assert isinstance(ours.kernel, torch.nn.Parameter)
    assert tuple(ours.kernel.shape) == (7, 4)
    assert ours.bias is not None and tuple(ours.bias.shape) == (4,)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert ours.count_params() == theirs.count_params() == 32
    new = [rng.standard_normal(w.shape).astype("float32") for w in theirs.get_weights()]
    ours.set_weights(new)
    for a, b in zip(ours.get_weights(), new):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ours.kernel.detach().numpy(), new[0])
    assert [n for n, _ in ours.named_parameters()] == ["kernel", "bias"]


def test_dense_no_bias_and_initializers() -> None:
    theirs = keras.layers.Dense(3, use_bias=False)
    theirs.build((None, 5))
    ours = layers.Dense(3, use_bias=False, kernel_initializer="ones")
    ours(torch.zeros(2, 5))
    assert len(ours.get_weights()) == 1
    assert ours.count_params() == theirs.count_params() == 15
    np.testing.assert_array_equal(ours.get_weights()[0], np.ones((5, 3), "float32"))
    default = layers.Dense(100)
    default(torch.zeros(1, 100))
    limit = np.sqrt(6.0 / 200)
    k = default.get_weights()[0]
    assert np.abs(k).max() <= limit and np.abs(k).max() > 0.8 * limit
    np.testing.assert_array_equal(default.get_weights()[1], np.zeros(100, "float32"))


def test_dense_config_keys_and_round_trip() -> None:
    keras_keys = _keras_keys(keras.layers.Dense(3, activation="relu"))
    ours = layers.Dense(3, activation="relu")
    config = ours.get_config()
    assert set(config) == keras_keys
    assert config["activation"] == "relu" and config["units"] == 3
    assert layers.Dense(3).get_config()["activation"] == "linear"
    clone = layers.Dense.from_config(config)
    assert clone.get_config() == config


def test_dense_errors_name_the_layer() -> None:
    dense = layers.Dense(3, name="head")
    with pytest.raises(InputError, match=r"'head'.*Dense.*\(\)"):
        dense(torch.tensor(1.0))
    dense(torch.zeros(2, 4))
    with pytest.raises(InputError, match=r"'head'.*\(2, 5\)"):
        dense(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="'l3'"):  # an unknown regularizer name
        layers.Dense(3, kernel_regularizer="l3")
    with pytest.raises(ValueError, match="units"):
        layers.Dense(0)


def test_dense_trainable_false_and_gradients() -> None:
    frozen = layers.Dense(2, trainable=False)
    frozen(torch.zeros(1, 3))
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 2
    dense = layers.Dense(2)
    dense(torch.ones(1, 3)).sum().backward()
    assert dense.kernel is not None and dense.kernel.grad is not None


# --- Activation / Rescaling -------------------------------------------------------------


@pytest.mark.parametrize("name", ["relu", "sigmoid", "softmax", "gelu", "selu", "hard_sigmoid"])
def test_activation_matches_keras(rng: np.random.Generator, name: str) -> None:
    x = rng.standard_normal((3, 4, 5)).astype("float32")
    got, expected = _run_both(layers.Activation(name), keras.layers.Activation(name), x)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert set(layers.Activation(name).get_config()) == _keras_keys(keras.layers.Activation(name))


@pytest.mark.parametrize("scale, offset", [(1 / 255, 0.0), (2.0, -1.0), ([0.5, 2.0, 3.0], 1.0)])
def test_rescaling_matches_keras(rng: np.random.Generator, scale: object, offset: float) -> None:
    x = rng.uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    theirs = keras.layers.Rescaling(scale, offset)
    got, expected = _run_both(layers.Rescaling(scale, offset), theirs, x)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-5)
    config = layers.Rescaling(scale, offset).get_config()
    assert set(config) == _keras_keys(theirs)
    assert config["scale"] == scale and config["offset"] == offset
    ints = layers.Rescaling(0.5)(torch.tensor([[2, 4]]))
    assert ints.dtype == torch.float32 and ints.tolist() == [[1.0, 2.0]]


# --- Dropout ------------------------------------------------------------------------------


def test_dropout_inference_is_identity_and_training_drops(rng: np.random.Generator) -> None:
    x = rng.standard_normal((200, 50)).astype("float32") + 5.0
    theirs = keras.layers.Dropout(0.3)
    ours = layers.Dropout(0.3)
    got, expected = _run_both(ours, theirs, x)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, x)
    ours.train()
    out = ours(torch.from_numpy(x)).numpy()
    zero = out == 0
    assert 0.27 < zero.mean() < 0.33
    np.testing.assert_allclose(out[~zero], x[~zero] / 0.7, rtol=1e-6, atol=1e-7)
    assert ours(torch.from_numpy(x), training=False).numpy().tolist() == x.tolist()
    keras_train = keras.ops.convert_to_numpy(theirs(x, training=True))
    assert abs((keras_train == 0).mean() - zero.mean()) < 0.03


def test_dropout_rate_zero_noise_shape_and_seed(rng: np.random.Generator) -> None:
    x = torch.from_numpy(rng.standard_normal((4, 6, 8)).astype("float32")) + 5.0
    rate0 = layers.Dropout(0.0).train()
    assert torch.equal(rate0(x), x)
    shared = layers.Dropout(0.5, noise_shape=(None, 1, 8), seed=1).train()
    out = shared(x)
    dropped = out == 0
    assert torch.equal(dropped, dropped[:, :1, :].expand_as(dropped))
    a = layers.Dropout(0.5, seed=3).train()(x)
    b = layers.Dropout(0.5, seed=3).train()(x)
    assert torch.equal(a, b)
    theirs = keras.layers.Dropout(0.5, noise_shape=(None, 1, 8), seed=1)
    assert set(shared.get_config()) == _keras_keys(theirs)
    assert shared.get_config()["noise_shape"] == (None, 1, 8)
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(1.5)
    with pytest.raises(InputError, match="noise_shape"):
        layers.Dropout(0.5, noise_shape=(None, 1)).train()(x)


# --- reshaping layers ------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (2, 3, 4, 5)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_flatten_matches_keras(
    rng: np.random.Generator, shape: tuple[int, ...], data_format: str
) -> None:
    x = rng.standard_normal(shape).astype("float32")
    theirs = keras.layers.Flatten(data_format=data_format)
    got, expected = _run_both(layers.Flatten(data_format=data_format), theirs, x)
    np.testing.assert_array_equal(got, expected)
    assert set(layers.Flatten().get_config()) == _keras_keys(theirs)
    assert layers.Flatten().get_config()["data_format"] == "channels_last"


@pytest.mark.parametrize("target", [(6, 4), (-1, 2), (2, -1, 3), (24,)])
def test_reshape_matches_keras(rng: np.random.Generator, target: tuple[int, ...]) -> None:
    x = rng.standard_normal((3, 4, 6)).astype("float32")
    theirs = keras.layers.Reshape(target)
    got, expected = _run_both(layers.Reshape(target), theirs, x)
    np.testing.assert_array_equal(got, expected)
    config = layers.Reshape(target).get_config()
    assert set(config) == _keras_keys(theirs) and config["target_shape"] == target


def test_reshape_errors() -> None:
    with pytest.raises(InputError, match=r"'reshape_x'.*\(3, 5\).*\(2, 2\)"):
        layers.Reshape((2, 2), name="reshape_x")(torch.zeros(3, 5))
    with pytest.raises(InputError, match=r"\(3, 5\)"):
        layers.Reshape((-1, 2))(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="-1"):
        layers.Reshape((-1, -1))


@pytest.mark.parametrize("dims", [(2, 1), (1, 2), (3, 1, 2)])
def test_permute_matches_keras(rng: np.random.Generator, dims: tuple[int, ...]) -> None:
    x = rng.standard_normal((2, 3, 4, 5)[: len(dims) + 1]).astype("float32")
    theirs = keras.layers.Permute(dims)
    got, expected = _run_both(layers.Permute(dims), theirs, x)
    np.testing.assert_array_equal(got, expected)
    config = layers.Permute(dims).get_config()
    assert set(config) == _keras_keys(theirs) and config["dims"] == dims


def test_permute_errors() -> None:
    with pytest.raises(ValueError, match="dims"):
        layers.Permute((0, 1))
    with pytest.raises(InputError, match=r"'perm'.*rank 3.*\(2, 3\)"):
        layers.Permute((2, 1), name="perm")(torch.zeros(2, 3))


def test_repeat_vector_matches_keras(rng: np.random.Generator) -> None:
    x = rng.standard_normal((2, 5)).astype("float32")
    theirs = keras.layers.RepeatVector(3)
    got, expected = _run_both(layers.RepeatVector(3), theirs, x)
    assert got.shape == (2, 3, 5)
    np.testing.assert_array_equal(got, expected)
    assert set(layers.RepeatVector(3).get_config()) == _keras_keys(theirs)
    with pytest.raises(InputError, match=r"RepeatVector.*\(2, 3, 4\)"):
        layers.RepeatVector(3)(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError):
        layers.RepeatVector(0)
    with pytest.raises(TypeError):
        layers.RepeatVector(2.0)  # type: ignore[arg-type]


# --- Lambda -------------------------------------------------------------------------------


def test_lambda_matches_keras_and_passes_arguments(rng: np.random.Generator) -> None:
    x = rng.standard_normal((2, 4)).astype("float32")
    theirs = keras.layers.Lambda(lambda t, k: t * k + 1.0, arguments={"k": 3.0})
    ours = layers.Lambda(lambda t, k: t * k + 1.0, arguments={"k": 3.0})
    got, expected = _run_both(ours, theirs, x)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert ours.count_params() == 0 and ours.get_weights() == []


def test_lambda_training_flag_and_output_shape() -> None:
    seen: list[object] = []

    def fn(t: torch.Tensor, training: bool | None = None) -> torch.Tensor:
        seen.append(training)
        return t[:, :2]

    lam = layers.Lambda(fn, output_shape=(2,))
    lam.train()(torch.zeros(3, 4))
    lam.eval()(torch.zeros(3, 4))
    assert seen == [True, False]
    assert lam.compute_output_shape((None, 4)) == (None, 2)
    assert layers.Lambda(lambda t: t.sum(-1)).compute_output_shape((None, 4, 5)) == (None, 4)


def test_lambda_config_holds_code_that_loads_only_on_request() -> None:
    # (tests/layers/test_lambda_config.py checks both directions against Keras)
    config = layers.Lambda(lambda t: t * 2, name="scale_it").get_config()
    assert config["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match=r"Lambda layer 'scale_it'.*safe_mode=False"):
        layers.Lambda.from_config(config)
    with pytest.raises(TypeError, match="callable"):
        layers.Lambda(3)  # type: ignore[arg-type]


def test_core_layers_are_plain_modules() -> None:
    model = torch.nn.Sequential(
        layers.Reshape((4, 3)),
        layers.Flatten(),
        layers.Dense(5, activation="relu"),
        layers.Dropout(0.5),
    )
    out = model(torch.zeros(2, 12))
    assert out.shape == (2, 5)
    assert sum(p.numel() for p in model.parameters()) == 12 * 5 + 5
