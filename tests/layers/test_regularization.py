"""Layers' ``<weight>_regularizer`` / ``<weight>_constraint`` / ``activity_regularizer``
arguments against Keras (TensorFlow backend) as the oracle: penalties, one fit step,
constrained weights and configs."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge as tb


# A layout-sensitive custom regularizer (a plain callable in each library): it only
# agrees when torchbridge hands the weight over in Keras's layout.
def _torch_first_slice(x: torch.Tensor) -> torch.Tensor:
    return 0.1 * torch.sum(torch.square(x[0]))


def _keras_first_slice(x: Any) -> Any:
    return 0.1 * keras.ops.sum(keras.ops.square(x[0]))


def _first_slice(k: ModuleType) -> Callable[[Any], Any]:
    return _torch_first_slice if k is tb else _keras_first_slice


# id -> (layer factory for either library, input arrays)
Factory = Callable[[ModuleType], Any]


def _inputs(*shapes: tuple[int, ...]) -> Callable[[np.random.Generator], list[np.ndarray]]:
    return lambda rng: [rng.standard_normal(s).astype("float32") for s in shapes]


LAYER_CASES: dict[str, tuple[Factory, Callable[[np.random.Generator], list[np.ndarray]]]] = {
    "Dense": (
        lambda k: k.layers.Dense(
            4,
            kernel_regularizer=k.regularizers.L1L2(l1=0.01, l2=0.02),
            bias_regularizer=k.regularizers.L2(0.05),
            activity_regularizer=k.regularizers.L1(0.01),
        ),
        _inputs((3, 5)),
    ),
    "Dense-orthogonal": (
        lambda k: k.layers.Dense(
            6,
            kernel_regularizer=k.regularizers.OrthogonalRegularizer(0.3, mode="columns"),
            bias_regularizer="l1",
        ),
        _inputs((2, 3, 5)),
    ),
    "Conv1D": (
        lambda k: k.layers.Conv1D(
            3,
            2,
            kernel_regularizer=_first_slice(k),
            bias_regularizer="l1",
            activity_regularizer="l2",
        ),
        _inputs((2, 6, 4)),
    ),
    "Conv2D": (
        lambda k: k.layers.Conv2D(
            3,
            (2, 3),
            padding="same",
            kernel_regularizer=_first_slice(k),
            bias_regularizer=k.regularizers.L1L2(0.1, 0.1),
            activity_regularizer=k.regularizers.L2(0.02),
        ),
        _inputs((2, 5, 6, 2)),
    ),
    "Conv2DTranspose": (
        lambda k: k.layers.Conv2DTranspose(
            2, 3, kernel_regularizer=_first_slice(k), activity_regularizer="l1"
        ),
        _inputs((2, 4, 4, 3)),
    ),
    "SeparableConv2D": (
        lambda k: k.layers.SeparableConv2D(
            4,
            3,
            depth_multiplier=2,
            depthwise_regularizer=_first_slice(k),
            pointwise_regularizer=k.regularizers.L1(0.2),
            bias_regularizer="l2",
            activity_regularizer="l1",
        ),
        _inputs((2, 5, 5, 3)),
    ),
    "DepthwiseConv2D": (
        lambda k: k.layers.DepthwiseConv2D(
            3,
            depth_multiplier=2,
            depthwise_regularizer=_first_slice(k),
            bias_regularizer=k.regularizers.L2(0.3),
            activity_regularizer=k.regularizers.L1L2(0.01, 0.01),
        ),
        _inputs((2, 5, 5, 3)),
    ),
    "Embedding": (
        lambda k: k.layers.Embedding(
            10,
            3,
            embeddings_regularizer=k.regularizers.L1L2(0.01, 0.03),
            activity_regularizer="l2",
        ),
        lambda rng: [rng.integers(0, 10, (4, 6))],
    ),
    "BatchNormalization": (
        lambda k: k.layers.BatchNormalization(
            gamma_regularizer="l2",
            beta_regularizer=k.regularizers.L1(0.1),
            activity_regularizer="l1",
        ),
        _inputs((4, 3, 5)),
    ),
    "LayerNormalization": (
        lambda k: k.layers.LayerNormalization(
            axis=[1, 2],
            gamma_regularizer=_first_slice(k),
            beta_regularizer="l2",
            activity_regularizer=k.regularizers.L2(0.1),
        ),
        _inputs((3, 4, 5)),
    ),
    "MultiHeadAttention": (
        lambda k: k.layers.MultiHeadAttention(
            2,
            3,
            kernel_regularizer=_first_slice(k),
            bias_regularizer=k.regularizers.L1L2(0.1, 0.2),
            activity_regularizer=k.regularizers.L2(0.01),
        ),
        _inputs((2, 3, 4), (2, 5, 4)),
    ),
    # layers without weights take activity_regularizer through the Layer base, as in Keras
    "MaxPooling2D": (
        lambda k: k.layers.MaxPooling2D(activity_regularizer=k.regularizers.L1(0.1)),
        _inputs((2, 4, 4, 3)),
    ),
    "Flatten": (lambda k: k.layers.Flatten(activity_regularizer="l2"), _inputs((3, 2, 5))),
    "GlobalAveragePooling1D": (
        lambda k: k.layers.GlobalAveragePooling1D(activity_regularizer="l1"),
        _inputs((3, 4, 2)),
    ),
    "MultiHeadAttention-gate": (
        lambda k: k.layers.MultiHeadAttention(
            2, 3, use_gate=True, kernel_regularizer="l2", activity_regularizer="l1"
        ),
        _inputs((2, 3, 4), (2, 3, 4)),
    ),
    # recurrent layers: weights stored in torch's fused layouts, penalties in Keras's
    # (gate order included: the first-slice regularizer sees Keras's first row)
    "SimpleRNN": (
        # Keras 3.15's SimpleRNN drops activity_regularizer: no activity term in either
        lambda k: k.layers.SimpleRNN(
            3,
            kernel_regularizer=_first_slice(k),
            recurrent_regularizer=k.regularizers.L2(0.1),
            bias_regularizer="l1",
            activity_regularizer="l2",
        ),
        _inputs((2, 4, 5)),
    ),
    "LSTM": (  # the fused kernel
        lambda k: k.layers.LSTM(
            3,
            kernel_regularizer=_first_slice(k),
            recurrent_regularizer=k.regularizers.L1L2(0.01, 0.02),
            bias_regularizer=_first_slice(k),
            activity_regularizer=k.regularizers.L2(0.05),
        ),
        _inputs((2, 4, 5)),
    ),
    "LSTM-sequences-states": (  # activity terms on the sequence and on each state
        lambda k: k.layers.LSTM(
            3,
            return_sequences=True,
            return_state=True,
            recurrent_regularizer=_first_slice(k),
            activity_regularizer="l1",
        ),
        _inputs((2, 4, 5)),
    ),
    "LSTM-loop": (  # no fused kernel for relu: the step loop
        lambda k: k.layers.LSTM(
            3, activation="relu", kernel_regularizer="l2", activity_regularizer="l2"
        ),
        _inputs((2, 4, 5)),
    ),
    "GRU": (  # bias (2, 3*units), gate order z, r, h vs torch's r, z, n
        lambda k: k.layers.GRU(
            3,
            kernel_regularizer=_first_slice(k),
            recurrent_regularizer=_first_slice(k),
            bias_regularizer=_first_slice(k),
            activity_regularizer=k.regularizers.L1(0.1),
        ),
        _inputs((2, 4, 5)),
    ),
    "GRU-reset_before": (
        lambda k: k.layers.GRU(
            2,
            reset_after=False,
            return_state=True,
            bias_regularizer=_first_slice(k),
            recurrent_regularizer="l1",
            activity_regularizer="l2",
        ),
        _inputs((2, 4, 5)),
    ),
    "RNN-SimpleRNNCell": (
        lambda k: k.layers.RNN(
            k.layers.SimpleRNNCell(3, kernel_regularizer=_first_slice(k), bias_regularizer="l2"),
            activity_regularizer="l1",
        ),
        _inputs((2, 4, 5)),
    ),
    "RNN-LSTMCell": (
        lambda k: k.layers.RNN(
            k.layers.LSTMCell(3, recurrent_regularizer=_first_slice(k), bias_regularizer="l1"),
            return_sequences=True,
        ),
        _inputs((2, 4, 5)),
    ),
    "RNN-GRUCell": (
        lambda k: k.layers.RNN(
            k.layers.GRUCell(3, kernel_regularizer="l2", bias_regularizer=_first_slice(k)),
            return_state=True,
            activity_regularizer=k.regularizers.L2(0.1),
        ),
        _inputs((2, 4, 5)),
    ),
    "StackedRNNCells": (
        lambda k: k.layers.RNN(
            k.layers.StackedRNNCells(
                [
                    k.layers.LSTMCell(3, kernel_regularizer=_first_slice(k)),
                    k.layers.GRUCell(2, recurrent_regularizer="l1", reset_after=False),
                    k.layers.SimpleRNNCell(2, bias_regularizer=k.regularizers.L1L2(0.1, 0.1)),
                ]
            ),
            activity_regularizer="l2",
        ),
        _inputs((2, 4, 5)),
    ),
    # Bidirectional copies the layer through its config: serializable (layout-sensitive) ones
    "Bidirectional-LSTM": (
        lambda k: k.layers.Bidirectional(
            k.layers.LSTM(
                2,
                return_sequences=True,
                kernel_regularizer=k.regularizers.OrthogonalRegularizer(0.2, mode="rows"),
                bias_regularizer="l2",
                activity_regularizer="l1",
            )
        ),
        _inputs((2, 4, 5)),
    ),
    "Bidirectional-GRU": (
        lambda k: k.layers.Bidirectional(
            k.layers.GRU(
                2,
                recurrent_regularizer=k.regularizers.OrthogonalRegularizer(0.3),
                activity_regularizer="l2",
            ),
            merge_mode="sum",
        ),
        _inputs((2, 4, 5)),
    ),
}


def _randomize(rng: np.random.Generator, weights: list[np.ndarray]) -> list[np.ndarray]:
    return [rng.standard_normal(w.shape).astype(w.dtype) * 0.5 for w in weights]


def _keras_losses(layer: Any) -> float:
    return float(sum(keras.ops.convert_to_numpy(t) for t in layer.losses))


@pytest.mark.parametrize("case", list(LAYER_CASES))
def test_layer_losses_match_keras(case: str) -> None:
    factory, make_inputs = LAYER_CASES[case]
    rng = np.random.default_rng(0)
    xs = make_inputs(rng)
    theirs = factory(keras)
    theirs(*xs)  # build
    weights = _randomize(rng, theirs.get_weights())
    if isinstance(theirs, keras.layers.BatchNormalization):
        weights[-1] = np.abs(weights[-1]) + 0.5  # a moving variance
    theirs.set_weights(weights)
    ours = factory(tb).eval()  # a direct Keras call is an inference call
    ours(*[torch.from_numpy(x) for x in xs])
    ours.set_weights(theirs.get_weights())

    theirs(*xs)
    expected = _keras_losses(theirs)
    with torch.no_grad():
        ours(*[torch.from_numpy(x) for x in xs])
    assert len(ours.losses) == len(theirs.losses)
    got = float(sum(ours.losses).detach())
    assert expected > 0
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_losses_are_differentiable_and_do_not_pile_up() -> None:
    layer = tb.layers.Dense(2, kernel_regularizer="l2", activity_regularizer="l1")
    x = torch.randn(4, 3)
    layer(x)
    first = [float(t.detach()) for t in layer.losses]
    layer(x)
    assert [float(t.detach()) for t in layer.losses] == first  # the last call's terms only
    sum(layer.losses).backward()
    assert layer.kernel.grad is not None and layer.kernel.grad.abs().sum() > 0


# --- training -----------------------------------------------------------------------------


def _regularized_mlp(k: ModuleType) -> Any:
    return k.Sequential(
        [
            k.Input((4,)),
            k.layers.Dense(
                3,
                activation="tanh",
                kernel_regularizer=k.regularizers.L1L2(l1=0.01, l2=0.02),
                bias_regularizer=k.regularizers.L2(0.05),
                activity_regularizer=k.regularizers.L1L2(l1=0.01, l2=0.01),
            ),
            k.layers.Dense(1, kernel_regularizer="l2", activity_regularizer="l2"),
        ]
    )


def _constrained_convnet(k: ModuleType) -> Any:
    return k.Sequential(
        [
            k.Input((5, 5, 2)),
            k.layers.DepthwiseConv2D(
                2,
                depth_multiplier=2,
                depthwise_constraint=k.constraints.MaxNorm(0.4, axis=[0, 1]),
                bias_constraint=k.constraints.NonNeg(),
            ),
            k.layers.Conv2D(
                3,
                2,
                kernel_constraint=k.constraints.MaxNorm(0.5, axis=[0, 1, 2]),
                bias_constraint="non_neg",
            ),
            k.layers.Flatten(),
            k.layers.Dense(
                2,
                kernel_constraint=k.constraints.MinMaxNorm(0.2, 0.6, rate=0.5),
                bias_constraint=k.constraints.NonNeg(),
            ),
            k.layers.Dense(1, kernel_constraint=k.constraints.UnitNorm()),
        ]
    )


def _fit_both(
    build: Callable[[ModuleType], Any], x: np.ndarray, y: np.ndarray, batch_size: int
) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    rng = np.random.default_rng(1)
    theirs, ours = build(keras), build(tb)
    theirs.set_weights(_randomize(rng, theirs.get_weights()))
    ours.set_weights(theirs.get_weights())
    for model, k in ((theirs, keras), (ours, tb)):
        model.compile(optimizer=k.optimizers.SGD(learning_rate=0.1), loss="mse")
    args = {"batch_size": batch_size, "epochs": 1, "shuffle": False, "verbose": 0}
    h_theirs = theirs.fit(x, y, **args).history
    h_ours = ours.fit(x, y, **args).history
    return theirs, ours, h_theirs, h_ours


@pytest.mark.parametrize("batch_size", [8, 4])
def test_sgd_fit_with_regularizers_matches_keras(batch_size: int) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 4)).astype("float32")
    y = rng.standard_normal((8, 1)).astype("float32")
    theirs, ours, h_theirs, h_ours = _fit_both(_regularized_mlp, x, y, batch_size)
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=1e-5, atol=1e-6)
    for got, expected in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    # the penalties made a difference: the plain MSE of the same data is smaller
    plain = float(np.mean((keras.ops.convert_to_numpy(theirs(x)) - y) ** 2))
    assert h_theirs["loss"][0] > plain


def test_constrained_weights_after_one_step_match_keras() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 5, 5, 2)).astype("float32")
    y = rng.standard_normal((6, 1)).astype("float32")
    theirs, ours, h_theirs, h_ours = _fit_both(_constrained_convnet, x, y, 6)
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=1e-5)
    for got, expected in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    depthwise, depthwise_bias, kernel, conv_bias = ours.get_weights()[:4]
    # the constraints bit: norms at most their bound, negative biases zeroed
    assert np.sqrt((kernel**2).sum(axis=(0, 1, 2))).max() <= 0.5 + 1e-5
    assert np.sqrt((depthwise**2).sum(axis=(0, 1))).max() <= 0.4 + 1e-5
    assert (depthwise_bias >= 0).all() and (depthwise_bias == 0).any()
    assert (conv_bias >= 0).all()


def test_constraint_keeps_the_parameter_object() -> None:
    layer = tb.layers.Dense(2, kernel_constraint="non_neg")
    layer(torch.zeros(1, 3))
    kernel = layer.kernel
    optimizer = tb.optimizers.SGD(learning_rate=1.0)
    loss = (layer(torch.ones(2, 3)) ** 2).sum()
    loss.backward()
    optimizer.apply_gradients([(kernel.grad, kernel)])
    assert layer.kernel is kernel and (kernel >= 0).all()


# --- configs ------------------------------------------------------------------------------

CONFIG_CASES: dict[str, Factory] = {
    "Dense": lambda k: k.layers.Dense(
        3,
        kernel_regularizer=k.regularizers.L1L2(0.1, 0.2),
        bias_regularizer="l2",
        activity_regularizer=k.regularizers.L1(0.3),
        kernel_constraint=k.constraints.MaxNorm(3, axis=[0]),
        bias_constraint="non_neg",
    ),
    "Conv1D": lambda k: k.layers.Conv1D(
        2, 3, kernel_regularizer="l1", kernel_constraint=k.constraints.UnitNorm(axis=[0, 1])
    ),
    "Conv2D": lambda k: k.layers.Conv2D(
        2,
        3,
        bias_regularizer=k.regularizers.L2(0.5),
        activity_regularizer="l2",
        bias_constraint=k.constraints.MinMaxNorm(0.1, 0.9),
    ),
    "Conv2DTranspose": lambda k: k.layers.Conv2DTranspose(
        2, 3, kernel_regularizer="l2", bias_constraint="non_neg"
    ),
    "SeparableConv2D": lambda k: k.layers.SeparableConv2D(
        2,
        3,
        depthwise_regularizer="l1",
        pointwise_regularizer=k.regularizers.L2(0.2),
        depthwise_constraint=k.constraints.MaxNorm(1.5, axis=[0, 1]),
        pointwise_constraint="unit_norm",
    ),
    "DepthwiseConv2D": lambda k: k.layers.DepthwiseConv2D(
        3, depthwise_regularizer="l2", depthwise_constraint="non_neg", bias_regularizer="l1"
    ),
    "Embedding": lambda k: k.layers.Embedding(
        5, 2, embeddings_regularizer="l1", embeddings_constraint="unit_norm"
    ),
    "BatchNormalization": lambda k: k.layers.BatchNormalization(
        gamma_regularizer="l2", beta_constraint="non_neg", activity_regularizer="l1"
    ),
    "LayerNormalization": lambda k: k.layers.LayerNormalization(
        beta_regularizer=k.regularizers.L1L2(0.1, 0.1), gamma_constraint="max_norm"
    ),
    "MultiHeadAttention": lambda k: k.layers.MultiHeadAttention(
        2,
        3,
        kernel_regularizer="l2",
        activity_regularizer=k.regularizers.L1(0.2),
        bias_constraint="non_neg",
    ),
    # Keras 3.15's SimpleRNN reports activity_regularizer=None whatever it was given
    "SimpleRNN": lambda k: k.layers.SimpleRNN(
        2,
        recurrent_regularizer="l2",
        activity_regularizer="l1",
        kernel_constraint=k.constraints.MaxNorm(2.0, axis=0),
    ),
    "LSTM": lambda k: k.layers.LSTM(
        2,
        kernel_regularizer=k.regularizers.L1L2(0.1, 0.2),
        activity_regularizer="l2",
        recurrent_constraint="unit_norm",
        bias_constraint="non_neg",
    ),
    "GRU": lambda k: k.layers.GRU(
        2,
        bias_regularizer="l1",
        recurrent_regularizer=k.regularizers.OrthogonalRegularizer(0.1),
        kernel_constraint=k.constraints.MinMaxNorm(0.1, 0.9),
    ),
    "SimpleRNNCell": lambda k: k.layers.SimpleRNNCell(
        2, kernel_regularizer="l2", bias_constraint="non_neg"
    ),
    "LSTMCell": lambda k: k.layers.LSTMCell(
        2, recurrent_regularizer="l1", kernel_constraint="unit_norm"
    ),
    "GRUCell": lambda k: k.layers.GRUCell(
        2, bias_regularizer=k.regularizers.L2(0.3), recurrent_constraint="max_norm"
    ),
    "RNN": lambda k: k.layers.RNN(k.layers.LSTMCell(2), activity_regularizer="l2"),
}


def _options(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k.endswith(("_regularizer", "_constraint"))}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_config_entries_equal_keras_and_round_trip(case: str) -> None:
    ours, theirs = CONFIG_CASES[case](tb), CONFIG_CASES[case](keras)
    config = ours.get_config()
    assert _options(config) == _options(theirs.get_config())
    assert any(v is not None for v in _options(config).values())
    clone = type(ours).from_config(config)
    assert _options(clone.get_config()) == _options(config)


def test_config_round_trip_keeps_the_penalty() -> None:
    layer = tb.layers.Conv2D(2, 3, kernel_regularizer=_torch_first_slice)
    layer(torch.zeros(1, 4, 4, 1))
    with pytest.raises(tb.errors.UnknownNameError, match="_torch_first_slice"):
        type(layer).from_config(layer.get_config())  # an unregistered function
    layer = tb.layers.Conv2D(2, 3, kernel_regularizer="l2", kernel_constraint="non_neg")
    x = torch.randn(2, 4, 4, 1)
    layer(x)
    clone = type(layer).from_config(layer.get_config())
    clone(x)
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(sum(clone.losses), sum(layer.losses))
    assert isinstance(clone.kernel.constraint, tb.constraints.NonNeg)


def test_bad_options_raise_naming_the_name() -> None:
    with pytest.raises(ValueError, match="'l3'"):
        tb.layers.Dense(2, kernel_regularizer="l3")
    with pytest.raises(ValueError, match=r"'maxnorm'.*'MaxNorm'"):
        tb.layers.Conv2D(2, 3, kernel_constraint="maxnorm")
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: 3"):
        tb.layers.Embedding(3, 2, embeddings_regularizer=3)
    with pytest.raises(ValueError):
        tb.layers.BatchNormalization(gamma_regularizer=tb.regularizers.L2(-1.0))
