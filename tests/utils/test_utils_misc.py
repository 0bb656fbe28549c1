"""The small keras.utils names against real Keras: Config, Progbar, get_source_inputs,
is_keras_tensor, standardize_dtype, the logging switches, (un)pack_x_y_sample_weight, and
keras.utils.legacy's serialization."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest

import torchbridge as tb

SAME_SIGNATURE = [
    "Config",
    "Progbar",
    "PyDataset",
    "get_source_inputs",
    "is_keras_tensor",
    "standardize_dtype",
    "clear_session",
    "enable_interactive_logging",
    "disable_interactive_logging",
    "is_interactive_logging_enabled",
    "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight",
]


@pytest.mark.parametrize("name", SAME_SIGNATURE)
def test_signature_matches_keras(name: str) -> None:
    ours, theirs = getattr(tb.utils, name), getattr(keras.utils, name)
    assert list(inspect.signature(ours).parameters) == list(inspect.signature(theirs).parameters)
    for p, q in zip(
        inspect.signature(ours).parameters.values(), inspect.signature(theirs).parameters.values()
    ):
        assert p.default == q.default, (name, p.name)


@pytest.mark.parametrize("module", [keras.utils, tb.utils], ids=["keras", "torchbridge"])
def test_config(module) -> None:
    config = module.Config(learning_rate=0.1, momentum=0.9)
    config.seed = 123
    config["use_ema"] = True
    assert config.learning_rate == 0.1 and config["seed"] == 123
    assert list(config) == ["learning_rate", "momentum", "seed", "use_ema"]
    assert config.as_dict() == {"learning_rate": 0.1, "momentum": 0.9, "seed": 123, "use_ema": True}
    assert "seed" in config and len(config) == 4
    assert config.to_json().startswith('{"learning_rate": 0.1')
    with pytest.raises(AttributeError, match="Did you mean 'momentum'"):
        _ = config.momentun
    config.freeze()
    assert config.frozen
    with pytest.raises(ValueError, match="frozen"):
        config.foo = 1
    config.unfreeze()
    del config["seed"]
    assert config.pop("use_ema") is True and len(config) == 2


@pytest.mark.parametrize(
    "kwargs", [{}, {"stateful_metrics": ["loss"]}, {"stateless_metrics": ["acc"]}], ids=str
)
def test_progbar_averages_as_keras(kwargs, capsys) -> None:
    steps = [(1, [("loss", 1.0), ("acc", 0.5)]), (3, [("loss", 2.0), ("acc", 0.7)])]
    ours = tb.utils.Progbar(5, verbose=0, **kwargs)
    theirs = keras.utils.Progbar(5, verbose=0, **kwargs)
    for current, values in steps:
        ours.update(current, values)
        theirs.update(current, values)
        assert ours._values == theirs._values
    ours.update(5, [("loss", 9.0)])
    theirs.update(5, [("loss", 9.0)])
    assert ours._values == theirs._values  # the final update shows the last value


def test_progbar_add_and_conflicting_arguments() -> None:
    bar = tb.utils.Progbar(4, verbose=0)
    bar.add(2, [("loss", 1.0)])
    bar.add(2, [("loss", 3.0)])
    assert bar._seen_so_far == 4
    import torch

    bar.update(4, [("loss", torch.tensor(2.0, requires_grad=True))], finalize=False)
    assert float(bar._values["loss"][0]) == pytest.approx(3.0 + 2.0)  # last value + one step
    with pytest.raises(ValueError, match="Only one of"):
        tb.utils.Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_get_source_inputs_and_is_keras_tensor() -> None:
    a, b = tb.Input((3,)), tb.Input((3,))
    hidden = tb.layers.Dense(2)(a)
    out = tb.layers.Add()([hidden, tb.layers.Dense(2)(b)])
    sources = tb.utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert tb.utils.get_source_inputs(a) == [a]
    assert tb.utils.is_keras_tensor(out) and not tb.utils.is_keras_tensor(np.zeros(2))
    ka = keras.Input((3,))
    assert len(keras.utils.get_source_inputs(keras.layers.Dense(2)(ka))) == 1


@pytest.mark.parametrize("dtype", ["float32", "int64", np.float16, "bool", float, int])
def test_standardize_dtype(dtype) -> None:
    assert tb.utils.standardize_dtype(dtype) == keras.utils.standardize_dtype(dtype)


@pytest.mark.parametrize(
    "args",
    [
        (np.ones(2),),
        (np.ones(2), np.zeros(2)),
        (np.ones(2), np.zeros(2), np.ones(2)),
        ([np.ones(2)],),
    ],
    ids=["x", "xy", "xysw", "list_x"],
)
def test_pack_unpack(args) -> None:
    ours = tb.utils.pack_x_y_sample_weight(*args)
    theirs = keras.utils.pack_x_y_sample_weight(*args)
    assert type(ours) is type(theirs)
    assert [type(v) for v in tb.utils.unpack_x_y_sample_weight(theirs)] == [
        type(v) for v in keras.utils.unpack_x_y_sample_weight(theirs)
    ]


def test_interactive_logging_switches() -> None:
    assert tb.utils.is_interactive_logging_enabled()
    tb.utils.disable_interactive_logging()
    try:
        assert not tb.utils.is_interactive_logging_enabled()
    finally:
        tb.utils.enable_interactive_logging()


def test_legacy_serialization_matches_keras_layout() -> None:
    import torchbridge.legacy.saving as legacy_saving

    theirs = keras.utils.legacy.serialize_keras_object(keras.layers.Dense(3, name="d"))
    ours = tb.utils.legacy.serialize_keras_object(tb.layers.Dense(3, name="d"))
    assert ours["class_name"] == theirs["class_name"] == "Dense"
    assert set(ours["config"]) >= {"units", "activation", "name"}
    assert ours["config"]["units"] == theirs["config"]["units"]
    layer = legacy_saving.deserialize_keras_object(ours, module_objects={"Dense": tb.layers.Dense})
    assert isinstance(layer, tb.layers.Dense) and layer.units == 3
    assert tb.utils.legacy.serialize_keras_object(None) is None
    with pytest.raises(ValueError, match="Unknown object: 'Dense'"):
        tb.utils.legacy.deserialize_keras_object(ours)
