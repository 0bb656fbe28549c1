"""``clone_model``: the same code run on Keras and torchbridge gives the same architecture."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import torchbridge as tb


def _sequential(lib):
    return lib.Sequential(
        [
            lib.Input((4,)),
            lib.layers.Dense(3, activation="relu", name="d1"),
            lib.layers.Dense(2, name="d2"),
        ],
        name="seq",
    )


def _functional(lib):
    a, b = lib.Input((4,), name="a"), lib.Input((2,), name="b")
    shared = lib.layers.Dense(2, name="shared")
    pre = lib.layers.Dense(2, name="pre")(a)
    joined = lib.layers.Concatenate(name="c")([shared(pre), shared(b)])
    return lib.Model([a, b], lib.layers.Dense(1, name="out")(joined), name="fn")


def _rename_dense(lib):
    def clone(layer):
        if isinstance(layer, lib.layers.Dense):
            return layer.__class__.from_config({**layer.get_config(), "name": layer.name + "_x"})
        return layer

    return clone


def _describe(model):
    return (
        type(model).__name__,
        model.name,
        [layer.name for layer in model.layers],
        [tuple(t.shape) for t in model.inputs],
        [tuple(t.shape) for t in model.outputs],
        model.count_params(),
    )


CASES = {
    "sequential": lambda lib: lib.models.clone_model(_sequential(lib)),
    "sequential_clone_function": lambda lib: lib.models.clone_model(
        _sequential(lib), clone_function=_rename_dense(lib)
    ),
    "sequential_input_tensors": lambda lib: lib.models.clone_model(
        _sequential(lib), input_tensors=lib.Input((4,), name="z")
    ),
    "functional": lambda lib: lib.models.clone_model(_functional(lib)),
    "functional_clone_function": lambda lib: lib.models.clone_model(
        _functional(lib), clone_function=_rename_dense(lib)
    ),
    "functional_input_tensors": lambda lib: lib.models.clone_model(
        _functional(lib), input_tensors=[lib.Input((4,), name="n1"), lib.Input((2,), name="n2")]
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_clone_model_matches_keras(case) -> None:
    assert _describe(CASES[case](tb)) == _describe(CASES[case](keras))


@pytest.mark.parametrize("make", [_sequential, _functional], ids=["sequential", "functional"])
def test_clones_have_the_same_configs_and_fresh_weights(make) -> None:
    model = make(tb)
    clone = tb.models.clone_model(model)
    for original, copy in zip(model.layers, clone.layers):
        assert original is not copy
        assert original.get_config() == copy.get_config()
        for w, v in zip(original.weights, copy.weights):
            assert w is not v
    kernels = [np.asarray(w) for w in model.get_weights() if np.ndim(w) == 2]
    clone_kernels = [np.asarray(w) for w in clone.get_weights() if np.ndim(w) == 2]
    assert all(not np.array_equal(a, b) for a, b in zip(kernels, clone_kernels))
    clone.set_weights(model.get_weights())
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(3, int(t.shape[-1]))).astype("float32") for t in model.inputs]
    x = x if len(x) > 1 else x[0]
    np.testing.assert_allclose(
        clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-7
    )


def test_shared_layers_stay_shared_and_call_function_sees_each_call() -> None:
    model = _functional(tb)
    calls = []

    def call_function(layer, *args, **kwargs):
        calls.append(layer.name)
        return layer(*args, **kwargs)

    clone = tb.models.clone_model(model, call_function=call_function)
    assert calls.count("shared") == 2
    assert len([layer for layer in clone.layers if layer.name == "shared"]) == 1


def test_compiled_models_clone_compiled_as_keras() -> None:
    def run(lib):
        model = _sequential(lib)
        model.compile(optimizer="adam", loss="mse")
        clone = lib.models.clone_model(model)
        config = clone.get_compile_config()
        return clone.compiled, clone.optimizer is model.optimizer, config["loss"], sorted(config)

    assert run(tb) == run(keras) and run(tb)[0]


def test_subclassed_models_clone_through_their_config() -> None:
    class Scaled(tb.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = tb.layers.Dense(units)

        def call(self, x):
            return self.dense(x) * 2

    model = Scaled(units=5, name="scaled")
    clone = tb.models.clone_model(model)
    assert type(clone) is Scaled and clone.units == 5 and clone.name == "scaled"
    with pytest.raises(ValueError, match="only supported for Sequential"):
        tb.models.clone_model(model, clone_function=lambda layer: layer)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"call_function": lambda layer, *a, **k: layer(*a, **k)},
        {"input_tensors": [1, 2]},
        {"bogus": 1},
    ],
    ids=["call_function", "two_inputs", "unknown_keyword"],
)
def test_clone_model_errors_on_sequential_match_keras(kwargs) -> None:
    messages = []
    for lib in (keras, tb):
        with pytest.raises(ValueError) as caught:
            lib.models.clone_model(_sequential(lib), **kwargs)
        messages.append(str(caught.value).split(".")[0].split(":")[0])
    assert messages[0] == messages[1]


def test_a_clone_function_that_is_not_callable_is_named() -> None:
    with pytest.raises(ValueError, match="clone_function"):
        tb.models.clone_model(_sequential(tb), clone_function=3)
