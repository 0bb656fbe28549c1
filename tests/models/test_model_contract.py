"""Keras's Model attributes, each run the same way on Keras and torchbridge.

Sequential's symbolic attributes, ``get_layer``, ``metrics`` /
``metrics_names`` / ``reset_metrics``, ``get_compile_config`` /
``compile_from_config`` and the functional-subclass constructor.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import torchbridge as tb


def _outcome(fn, lib):
    """What ``fn(lib)`` returns, or ``(exception base type, message)``."""
    try:
        return fn(lib)
    except (AttributeError, ValueError) as e:
        kind = AttributeError if isinstance(e, AttributeError) else ValueError
        return kind, str(e).replace("sequential_1", "sequential")


def _shapes(tensors):
    return [tuple(t.shape) for t in tensors]


def _seq_from_input(lib):
    m = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3)], name="sequential")
    return m.input_shape, m.output_shape, _shapes(m.inputs), _shapes(m.outputs)


def _seq_built(lib):
    m = lib.Sequential([lib.layers.Dense(3), lib.layers.Dense(2)], name="sequential")
    m.build((None, 5))
    return m.input_shape, m.output_shape, _shapes(m.inputs), _shapes(m.outputs)


def _seq_multi_dims(lib):
    m = lib.Sequential([lib.Input((6, 4)), lib.layers.Flatten(), lib.layers.Dense(2)])
    return m.input_shape, m.output_shape


def _unbuilt(attribute):
    def run(lib):
        m = lib.Sequential([lib.layers.Dense(3)], name="sequential")
        return getattr(m, attribute)

    return run


def _after_pop(lib):
    m = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3), lib.layers.Dense(7)])
    m.pop()
    return m.output_shape


SEQUENTIAL_CASES = {
    "input_first": _seq_from_input,
    "build": _seq_built,
    "flatten": _seq_multi_dims,
    "pop": _after_pop,
    **{f"unbuilt_{a}": _unbuilt(a) for a in ("inputs", "outputs", "input_shape", "output_shape")},
}


@pytest.mark.parametrize("case", SEQUENTIAL_CASES)
def test_sequential_symbolic_attributes_match_keras(case) -> None:
    fn = SEQUENTIAL_CASES[case]
    assert _outcome(fn, tb) == _outcome(fn, keras)


def _named_model(lib):
    inputs = lib.Input((4,), name="x")
    hidden = lib.layers.Dense(3, name="hidden")(inputs)
    return lib.Model(inputs, lib.layers.Dense(1, name="out")(hidden), name="m")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "hidden"},
        {"index": 2},
        {"index": -1},
        {"name": "nope"},
        {"index": 9},
        {},
        {"name": "out", "index": 1},
    ],
    ids=repr,
)
def test_get_layer_matches_keras(kwargs) -> None:
    def run(lib):
        return _named_model(lib).get_layer(**kwargs).name

    assert _outcome(run, tb) == _outcome(run, keras)


def _metric_names_through_training(lib):
    model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(2)])
    seen = [model.metrics_names]
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", "mse"])
    seen.append(model.metrics_names)
    x, y = np.ones((8, 4), "float32"), np.zeros((8, 2), "float32")
    model.fit(x, y, batch_size=4, verbose=0)
    seen.append(model.metrics_names)
    seen.append([m.name for m in model.metrics[1].metrics])
    before = {k: float(v) for k, v in model.get_metrics_result().items()}
    model.reset_metrics()
    after = {k: float(v) for k, v in model.get_metrics_result().items()}
    return seen, sorted(before), all(v > 0 for v in before.values()), after


def test_metrics_metrics_names_and_reset_metrics_match_keras() -> None:
    assert _metric_names_through_training(tb) == _metric_names_through_training(keras)


def test_metrics_without_compile_metrics_and_set_as_attributes_match_keras() -> None:
    def run(lib):
        class WithTracker(lib.Model):
            def __init__(self):
                super().__init__()
                self.dense = lib.layers.Dense(1)
                self.tracker = lib.metrics.Mean(name="tracked")

            def call(self, x):
                return self.dense(x)

        model = WithTracker()
        names = [model.metrics_names]
        model.compile(optimizer="sgd", loss="mse")
        names.append(model.metrics_names)
        return names

    assert run(tb) == run(keras)


def _compile_configs(lib):
    model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(2)])
    configs = [model.get_compile_config()]
    model.compile(
        optimizer=lib.optimizers.Adam(learning_rate=0.5, name="adam"),
        loss=lib.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics=["mae", lib.metrics.AUC(num_thresholds=10, name="auc")],
        weighted_metrics=["mse"],
        loss_weights=[0.5],
    )
    configs.append(model.get_compile_config())
    return json.loads(json.dumps(configs))


def test_get_compile_config_is_keras_layout() -> None:
    ours, theirs = _compile_configs(tb), _compile_configs(keras)
    assert ours[0] == theirs[0] == {}
    assert sorted(ours[1]) == sorted(theirs[1])
    for key, value in theirs[1].items():
        assert ours[1][key] == value, key


def test_compile_from_config_rebuilds_the_compile_arguments() -> None:
    for source in (tb, keras):  # a Keras-written compile config too
        config = _compile_configs(source)[1]
        model = tb.Sequential([tb.Input((4,)), tb.layers.Dense(2)])
        model.compile_from_config(config)
        assert model.compiled
        assert isinstance(model.optimizer, tb.optimizers.Adam)
        assert model.optimizer.learning_rate == pytest.approx(0.5)
        assert model.get_compile_config() == config
    untouched = tb.Sequential([tb.Input((4,)), tb.layers.Dense(2)])
    untouched.compile_from_config({})
    assert not untouched.compiled


def test_compile_from_config_leaves_a_custom_compile_alone_as_keras() -> None:
    class OwnCompile(tb.Sequential):
        def compile(self, **kwargs):
            super().compile(**kwargs)

    model = OwnCompile([tb.Input((4,)), tb.layers.Dense(2)])
    with pytest.warns(UserWarning, match="compile_from_config"):
        model.compile_from_config(_compile_configs(tb)[1])
    assert not model.compiled


def test_functional_subclass_constructor_matches_keras() -> None:
    def run(lib):
        class Tower(lib.Model):
            def __init__(self, units=3, **kwargs):
                inputs = lib.Input(shape=(4,))
                outputs = lib.layers.Dense(units)(inputs)
                super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        named, default = Tower(units=6, name="t"), Tower()
        return (
            [c.__name__ for c in type(named).__mro__[:2]],
            named.name,
            default.name,
            named.output_shape,
            len(named.layers),
            named.built,
        )

    assert run(tb) == run(keras)
