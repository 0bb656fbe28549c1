"""Keras 3's Layer contract (add_weight, add_loss, losses, trainable, build, symbolic
attributes) — the same custom-layer code run under real Keras and under torchbridge."""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge
from torchbridge import layers
from torchbridge.errors import InputError
from torchbridge.layers.symbolic import KerasTensor


def _frameworks() -> dict[str, SimpleNamespace]:
    return {
        "keras": SimpleNamespace(k=keras, sum=keras.ops.sum, square=keras.ops.square),
        "torchbridge": SimpleNamespace(k=torchbridge, sum=torch.sum, square=torch.square),
    }


def _custom_classes(fw: SimpleNamespace) -> SimpleNamespace:
    """Custom layers written once, Keras style, for either framework."""
    k = fw.k

    class Linear(k.layers.Layer):
        def __init__(self, units: int = 4, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units), initializer="random_normal", name="w"
            )
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
            self.total = self.add_weight(
                shape=(), initializer="zeros", trainable=False, name="total"
            )

        def call(self, x: Any) -> Any:
            return x @ self.w + self.b

    class ActivityPenalty(k.layers.Layer):
        """The guide's 'activity regularization' layer: add_loss inside call."""

        def __init__(self, rate: float = 1e-2, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, x: Any) -> Any:
            self.add_loss(self.rate * fw.sum(fw.square(x)))
            return x

    class Outer(k.layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.penalty = ActivityPenalty(0.5)
            self.linear = Linear(3)

        def call(self, x: Any) -> Any:
            return self.linear(self.penalty(x))

    return SimpleNamespace(Linear=Linear, ActivityPenalty=ActivityPenalty, Outer=Outer)


def _np(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(x)


def _copy_weights(src: Any, dst: Any) -> None:
    dst.set_weights(src.get_weights())


# --- add_weight ------------------------------------------------------------------------------


def test_add_weight_layer_matches_keras(rng: np.random.Generator) -> None:
    fws = _frameworks()
    ours = _custom_classes(fws["torchbridge"]).Linear(4)
    theirs = _custom_classes(fws["keras"]).Linear(4)
    x = rng.standard_normal((5, 3)).astype("float32")
    theirs(x)
    ours(torch.from_numpy(x))
    _copy_weights(theirs, ours)
    np.testing.assert_allclose(_np(ours(torch.from_numpy(x))), _np(theirs(x)), atol=1e-6)
    # same weights, in the same order, names and trainability
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    assert [w.name for w in ours.trainable_weights] == [w.name for w in theirs.trainable_weights]
    assert [w.name for w in ours.non_trainable_weights] == [
        w.name for w in theirs.non_trainable_weights
    ]
    assert ours.count_params() == theirs.count_params()
    # they are plain torch parameters, under the attribute names
    assert list(dict(ours.named_parameters())) == ["w", "b", "total"]
    assert set(ours.state_dict()) == {"w", "b", "total"}
    assert all(isinstance(p, torch.nn.Parameter) for p in ours.parameters())


def test_add_weight_defaults_and_positional_arguments() -> None:
    layer = layers.Layer()
    v = layer.add_weight()
    assert tuple(v.shape) == () and v.dtype == torch.float32 and v.trainable
    legacy = layer.add_weight((2, 3), "ones", "float64")  # Keras 2's positional order
    assert legacy.dtype == torch.float64 and torch.all(legacy == 1)
    counter = layer.add_weight(shape=(), dtype="int32", trainable=False)
    assert counter.dtype == torch.int32 and not counter.trainable and int(counter) == 0
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 1
    keys = list(dict(layer.named_parameters()))
    assert len(keys) == len(set(keys)) == 3  # unnamed variables get unique, stable keys


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda layer: layer.add_weight(shape=(None, 3)), "known non-negative integer"),
        (lambda layer: layer.add_weight("kernel", shape=(2,)), "keyword argument"),
        (lambda layer: layer.add_weight((2,), shape=(2,)), "both positionally"),
        (lambda layer: layer.add_weight(shape=(2,), regularizer="l7"), "l7"),
        (lambda layer: layer.add_weight(shape=(2,), constraint=3), "constraint"),
    ],
)
def test_add_weight_errors_name_the_fix(call: Any, message: str) -> None:
    with pytest.raises((InputError, ValueError, TypeError), match=message):
        call(layers.Layer(name="bad"))


def test_trainable_freezes_and_unfreezes_as_keras() -> None:
    fws = _frameworks()
    for name, fw in fws.items():
        layer = _custom_classes(fw).Linear(2)
        layer(np.ones((1, 3), "float32") if name == "keras" else torch.ones(1, 3))
        layer.trainable = False
        assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3
        layer.trainable = True
        assert [w.name for w in layer.trainable_weights] == ["w", "b"], name
    ours = _custom_classes(fws["torchbridge"]).Linear(2)
    ours(torch.ones(1, 3))
    ours.trainable = False
    assert not any(p.requires_grad for p in ours.parameters())
    ours.trainable = True
    assert [n for n, p in ours.named_parameters() if p.requires_grad] == ["w", "b"]


# --- Variable --------------------------------------------------------------------------------


def test_variable_api_matches_keras() -> None:
    ours = torchbridge.Variable(np.arange(6, dtype="float32").reshape(2, 3), name="v")
    theirs = keras.Variable(np.arange(6, dtype="float32").reshape(2, 3), name="v")
    for op, arg in [("assign", np.ones((2, 3))), ("assign_add", 2.0), ("assign_sub", 0.5)]:
        getattr(ours, op)(arg)
        getattr(theirs, op)(arg)
        np.testing.assert_array_equal(ours.numpy(), keras.ops.convert_to_numpy(theirs))
    assert ours.name == theirs.name == "v"
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.ndim == theirs.ndim
    assert ours.trainable and ours.value is ours
    assert isinstance(ours, torch.nn.Parameter)
    with pytest.raises(ValueError, match="does not match"):
        ours.assign(np.ones((3, 2)))


def test_variable_from_initializer_and_gradients() -> None:
    v = torchbridge.Variable(initializer="ones", shape=(2, 2), dtype="float32", name="w")
    assert torch.all(v == 1)
    (v * 3).sum().backward()
    assert torch.all(v.value.grad == 3)  # Keras's torch guides read v.value.grad
    frozen = torchbridge.Variable(np.zeros(3, "float32"), trainable=False)
    assert not frozen.trainable
    frozen.trainable = True
    assert frozen.requires_grad
    with pytest.raises(ValueError, match="shape"):
        torchbridge.Variable(initializer="zeros")


@pytest.mark.parametrize(
    "value",
    [np.zeros(3), np.zeros(3, "float32"), np.zeros(3, "int64"), 1.0, 3, [1.0, 2.0], [1, 2], True],
    ids=repr,
)
def test_variable_dtype_from_its_value_as_keras(value: Any) -> None:
    assert str(torchbridge.Variable(value).dtype).removeprefix("torch.") == (
        keras.Variable(value).dtype
    )


def test_variable_survives_deepcopy_and_module_moves() -> None:
    layer = layers.Dense(2)
    layer(torch.ones(1, 3))
    clone = copy.deepcopy(layer)
    assert isinstance(clone.kernel, torchbridge.Variable)
    assert clone.kernel.path == "dense/kernel" or clone.kernel.path.endswith("/kernel")
    assert clone.kernel is not layer.kernel
    torch.testing.assert_close(clone.kernel.detach(), layer.kernel.detach())
    layer.double()
    assert isinstance(layer.kernel, torchbridge.Variable) and layer.kernel.dtype == torch.float64


def test_built_in_layer_weights_are_variables() -> None:
    fws = _frameworks()
    ours = fws["torchbridge"].k.layers.Dense(3, name="d")
    theirs = keras.layers.Dense(3, name="d")
    ours(torch.ones(2, 4))
    theirs(np.ones((2, 4), "float32"))
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    ours.kernel.assign(np.full((4, 3), 0.5, "float32"))
    np.testing.assert_array_equal(ours.kernel.numpy(), np.full((4, 3), 0.5, "float32"))


# --- add_loss / losses -------------------------------------------------------------------------


def test_losses_collected_recursively_and_cleared_each_call(rng: np.random.Generator) -> None:
    fws = _frameworks()
    x = rng.standard_normal((4, 3)).astype("float32")
    got = {}
    for name, fw in fws.items():
        outer = _custom_classes(fw).Outer()
        inp = x if name == "keras" else torch.from_numpy(x)
        outer(inp)
        outer(inp)  # the second call replaces the first call's terms
        got[name] = [float(_np(v)) for v in outer.losses]
    assert len(got["torchbridge"]) == len(got["keras"]) == 1
    np.testing.assert_allclose(got["torchbridge"], got["keras"], rtol=1e-6, atol=1e-7)


def test_add_loss_rejects_non_tensors() -> None:
    with pytest.raises(ValueError, match="tensor"):
        layers.Layer().add_loss(1.0)


def test_fit_and_evaluate_include_add_loss_as_keras(rng: np.random.Generator) -> None:
    """Same model, same weights: evaluate's loss and one SGD step equal Keras's."""
    x = rng.standard_normal((16, 3)).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")
    results = {}
    weights = None
    for name, fw in _frameworks().items():
        k = fw.k
        classes = _custom_classes(fw)
        inputs = k.Input((3,))
        h = classes.ActivityPenalty(0.05)(inputs)
        h = classes.Linear(4)(h)
        outputs = k.layers.Dense(1)(h)
        model = k.Model(inputs, outputs)
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        model.compile(optimizer=k.optimizers.SGD(0.1), loss="mse")
        before = model.evaluate(x, y, batch_size=16, verbose=0)
        model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        after = model.evaluate(x, y, batch_size=16, verbose=0)
        results[name] = (before, after, model.get_weights())
    np.testing.assert_allclose(results["torchbridge"][0], results["keras"][0], rtol=1e-5)
    np.testing.assert_allclose(results["torchbridge"][1], results["keras"][1], rtol=1e-5)
    for a, b in zip(results["torchbridge"][2], results["keras"][2]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_losses_alone_are_the_loss_when_compile_has_none(rng: np.random.Generator) -> None:
    classes = _custom_classes(_frameworks()["torchbridge"])
    inputs = torchbridge.Input((3,))
    outputs = classes.ActivityPenalty(1.0)(torchbridge.layers.Dense(2)(inputs))
    model = torchbridge.Model(inputs, outputs)
    model.compile(optimizer="sgd")
    x = rng.standard_normal((8, 3)).astype("float32")
    logs = model.evaluate(x, batch_size=8, verbose=0, return_dict=True)
    with torch.no_grad():
        expected = float(torch.sum(model(torch.from_numpy(x)) ** 2))
    np.testing.assert_allclose(logs["loss"], expected, rtol=1e-5)


def test_activity_regularizer_of_the_base_layer_matches_keras(rng: np.random.Generator) -> None:
    x = rng.standard_normal((6, 3)).astype("float32")
    got = {}
    for name, fw in _frameworks().items():
        layer = _custom_classes(fw).Linear(2, activity_regularizer=fw.k.regularizers.L2(0.3))
        layer(x if name == "keras" else torch.from_numpy(x))
        got[name] = layer
    _copy_weights(got["keras"], got["torchbridge"])
    out = got["torchbridge"](torch.from_numpy(x))
    got["keras"](x)
    expected = [float(_np(v)) for v in got["keras"].losses]
    np.testing.assert_allclose(
        [float(_np(v)) for v in got["torchbridge"].losses], expected, rtol=1e-5
    )
    assert out.shape == (6, 2)
    assert got["torchbridge"].get_config()["activity_regularizer"]["class_name"] == "L2"


def test_weight_regularizer_penalties_follow_the_weights() -> None:
    layer = layers.Layer()
    w = layer.add_weight(
        shape=(3,), initializer="ones", regularizer=torchbridge.regularizers.L1(0.5)
    )
    assert [float(_np(v)) for v in layer.losses] == [1.5]
    w.assign([2.0, 2.0, 2.0])
    assert [float(_np(v)) for v in layer.losses] == [3.0]


def test_constraint_applied_after_each_optimizer_step() -> None:
    layer = layers.Layer()
    w = layer.add_weight(shape=(3,), initializer="ones", constraint="non_neg")
    opt = torchbridge.optimizers.SGD(learning_rate=1.0)
    opt.build([w])
    w.grad = torch.tensor([2.0, -1.0, 0.5])
    opt.step()
    torch.testing.assert_close(w.detach(), torch.tensor([0.0, 2.0, 0.5]))


# --- build, symbolic attributes, dtypes ----------------------------------------------------------


def test_build_runs_once_with_keras_shapes() -> None:
    seen = []

    class Probe(layers.Layer):
        def build(self, input_shape: Any) -> None:
            seen.append(input_shape)

        def call(self, x: Any) -> Any:
            return x

    probe = Probe()
    probe(torch.ones(2, 5))
    probe(torch.ones(3, 5))
    assert seen == [(None, 5)] and probe.built


def test_input_output_and_compute_output_spec() -> None:
    inputs = torchbridge.Input((7,), name="x")
    dense = layers.Dense(3)
    outputs = dense(inputs)
    assert dense.input is inputs and dense.output is outputs
    spec = layers.Dense(5).compute_output_spec(KerasTensor((None, 7)))
    assert isinstance(spec, KerasTensor) and spec.shape == (None, 5)
    with pytest.raises(AttributeError, match="never been called"):
        _ = layers.Dense(2).input


@pytest.mark.parametrize("dtype", [None, "float32", "float64", "mixed_float16"])
def test_dtype_attributes_match_keras(dtype: str | None) -> None:
    ours = layers.Dense(2, dtype=dtype)
    theirs = keras.layers.Dense(2, dtype=dtype)
    assert ours.dtype == theirs.dtype
    assert ours.compute_dtype == theirs.compute_dtype
    assert ours.variable_dtype == theirs.variable_dtype


def test_add_weight_takes_the_layer_variable_dtype() -> None:
    layer = layers.Layer(dtype="float64")
    assert layer.add_weight(shape=(2,)).dtype == torch.float64
