"""The custom-object registry and Keras 3's config layout, against ``keras.saving``."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import torch

import torchbridge as tb
from torchbridge.errors import UnknownClassError
from torchbridge.saving import serialization


def _register_both(package: str | None, name: str | None):
    """A function and a class registered the same way in Keras and in torchbridge."""
    out = {}
    for lib in (keras, tb):
        kwargs = {} if package is None else {"package": package}
        fn_kwargs = dict(kwargs)
        if name is not None:
            kwargs["name"] = name
            fn_kwargs["name"] = name + "_fn"

        def double(x):
            return x * 2

        class Scaler:
            def __init__(self, factor=2.0):
                self.factor = factor

            def get_config(self):
                return {"factor": self.factor}

        register = lib.saving.register_keras_serializable
        out[lib.__name__] = (register(**fn_kwargs)(double), register(**kwargs)(Scaler))
    return out["keras"], out["torchbridge"]


@pytest.mark.parametrize(
    ("package", "name"), [(None, None), ("my_pkg", None), ("my_pkg", "renamed")]
)
def test_registered_names_match_keras(package, name) -> None:
    (k_fn, k_cls), (t_fn, t_cls) = _register_both(package, name)
    for k_obj, t_obj in ((k_fn, t_fn), (k_cls, t_cls)):
        registered = keras.saving.get_registered_name(k_obj)
        assert tb.saving.get_registered_name(t_obj) == registered
        assert ">" in registered  # "Package>Name"
        assert tb.saving.get_registered_object(registered) is t_obj
        assert tb.saving.get_custom_objects()[registered] is t_obj
    assert keras.saving.get_registered_object("not>there") is None
    assert tb.saving.get_registered_object("not>there") is None


def test_unregistered_name_and_class_without_get_config_match_keras() -> None:
    def plain(x):
        return x

    assert tb.saving.get_registered_name(plain) == keras.saving.get_registered_name(plain)

    class NoConfig:
        pass

    for lib in (keras, tb):
        with pytest.raises(ValueError, match="get_config"):
            lib.saving.register_keras_serializable()(NoConfig)


def test_custom_objects_is_a_live_dict_and_scopes_nest_like_keras() -> None:
    marker = object()
    tb.saving.get_custom_objects()["tests>Marker"] = marker
    try:
        assert tb.saving.get_registered_object("tests>Marker") is marker
    finally:
        del tb.saving.get_custom_objects()["tests>Marker"]
    assert tb.saving.get_registered_object("tests>Marker") is None
    a, b = object(), object()
    for lib, found in ((keras, []), (tb, [])):
        with lib.saving.custom_object_scope({"A": a}):
            found.append(lib.saving.get_registered_object("A"))
            with lib.saving.CustomObjectScope({"B": b}):  # the inner scope replaces the outer
                found += [
                    lib.saving.get_registered_object("A"),
                    lib.saving.get_registered_object("B"),
                ]
            found.append(lib.saving.get_registered_object("A"))
        found.append(lib.saving.get_registered_object("A"))
        assert found == [a, None, b, a, None], lib.__name__
    # lookup order: the scope, then the registry, then custom_objects
    with tb.saving.custom_object_scope({"X": a}):
        assert tb.saving.get_registered_object("X", custom_objects={"X": b}) is a
    assert tb.saving.get_registered_object("X", custom_objects={"X": b}) is b


VALUES = [
    None,
    3,
    2.5,
    "text",
    True,
    [1, 2, [3]],
    {"a": 1, "b": [1, 2]},
    b"bytes",
    slice(1, 10, 2),
    Ellipsis,
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_plain_values_serialize_as_keras_does(value) -> None:
    expected = keras.saving.serialize_keras_object(value)
    got = tb.saving.serialize_keras_object(value)
    assert got == expected
    assert tb.saving.deserialize_keras_object(json.loads(json.dumps(got))) == (
        keras.saving.deserialize_keras_object(json.loads(json.dumps(expected)))
    )


def test_arrays_serialize_as_keras_does() -> None:
    array = np.arange(6, dtype="float32").reshape(2, 3)
    expected = keras.saving.serialize_keras_object(array)
    assert tb.saving.serialize_keras_object(array) == expected
    assert tb.saving.serialize_keras_object(np.float32(1.5)) == 1.5
    back = tb.saving.deserialize_keras_object(expected)
    np.testing.assert_array_equal(back, array)
    tensor = tb.saving.deserialize_keras_object(
        tb.saving.serialize_keras_object(torch.arange(3, dtype=torch.int32))
    )
    assert tensor.dtype == torch.int32 and tensor.tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (tb.losses.mean_squared_error, keras.losses.mean_squared_error),
        (tb.losses.MeanSquaredError(), keras.losses.MeanSquaredError()),
        (tb.layers.Dense(3, name="d"), keras.layers.Dense(3, name="d")),
    ],
    ids=["loss_function", "loss_class", "layer"],
)
def test_builtin_objects_use_keras_public_modules(ours, theirs) -> None:
    got = tb.saving.serialize_keras_object(ours)
    expected = keras.saving.serialize_keras_object(theirs)
    for key in ("module", "class_name", "registered_name"):
        assert got[key] == expected[key], key
    if expected["class_name"] == "function":
        assert got["config"] == expected["config"]
    rebuilt = tb.saving.deserialize_keras_object(json.loads(json.dumps(got)))
    assert type(rebuilt) is type(ours) or rebuilt is ours


def test_registered_function_and_class_round_trip_by_registered_name() -> None:
    (k_fn, k_cls), (t_fn, t_cls) = _register_both("roundtrip", None)
    fn_config = tb.saving.serialize_keras_object(t_fn)
    assert fn_config == keras.saving.serialize_keras_object(k_fn)
    assert tb.saving.deserialize_keras_object(fn_config) is t_fn
    obj_config = tb.saving.serialize_keras_object(t_cls(4.0))
    expected = keras.saving.serialize_keras_object(k_cls(4.0))
    assert {k: obj_config[k] for k in ("class_name", "config", "registered_name")} == {
        k: expected[k] for k in ("class_name", "config", "registered_name")
    }
    rebuilt = tb.saving.deserialize_keras_object(obj_config)
    assert type(rebuilt) is t_cls and rebuilt.factor == 4.0
    # a Keras-written config of the same registered class loads in torchbridge
    rebuilt = tb.saving.deserialize_keras_object(json.loads(json.dumps(expected)))
    assert type(rebuilt) is t_cls and rebuilt.factor == 4.0


def test_unknown_classes_and_functions_name_the_fix() -> None:
    config = {
        "module": "my.mod",
        "class_name": "Mystery",
        "config": {},
        "registered_name": "p>Mystery",
    }
    with pytest.raises(UnknownClassError, match=r"p>Mystery.*register"):
        tb.saving.deserialize_keras_object(config)

    class Mystery:
        def __init__(self, **kw):
            self.kw = kw

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    assert isinstance(tb.saving.deserialize_keras_object(config, {"p>Mystery": Mystery}), Mystery)
    with tb.saving.custom_object_scope({"p>Mystery": Mystery}):
        assert isinstance(tb.saving.deserialize_keras_object(config), Mystery)
    fn = {
        "module": "builtins",
        "class_name": "function",
        "config": "nope",
        "registered_name": "function",
    }
    with pytest.raises(UnknownClassError, match="nope"):
        tb.saving.deserialize_keras_object(fn)


def test_code_is_never_written_or_run() -> None:
    with pytest.raises(ValueError, match="lambda"):
        tb.saving.serialize_keras_object(lambda x: x)
    lam = {"class_name": "__lambda__", "config": {"value": ["payload"]}}
    with pytest.raises(ValueError, match="never runs code"):
        tb.saving.deserialize_keras_object(lam, safe_mode=False)


def test_builtin_names_ignore_unexpected_registered_names() -> None:
    # a config claiming a package for a built-in name must not silently load the built-in
    config = tb.saving.serialize_keras_object(tb.layers.Dense(2))
    config["registered_name"] = "evil>Dense"
    with pytest.raises(UnknownClassError):
        serialization.deserialize(config)


def test_activations_and_initializers_resolve_registered_names() -> None:
    @tb.saving.register_keras_serializable(package="acts")
    def twice(x):
        return x * 2

    @tb.saving.register_keras_serializable(package="inits")
    class Constant3:
        def __call__(self, shape, dtype=None):
            return torch.full(tuple(shape), 3.0)

        def get_config(self):
            return {}

    assert tb.activations.get("acts>twice") is twice
    assert tb.activations.get("twice") is twice  # one package has it: the bare name works
    layer = tb.layers.Dense(2, activation=twice, kernel_initializer="inits>Constant3")
    config = layer.get_config()
    assert config["activation"] == keras.saving.serialize_keras_object(twice) | {
        "config": "acts>twice"
    }
    clone = tb.layers.Dense.from_config(json.loads(json.dumps(config)))
    clone.build_from_shape((None, 4))
    assert clone.activation is twice
    assert torch.all(clone.kernel == 3.0)
    init_config = tb.initializers.serialize(Constant3())
    assert init_config["registered_name"] == "inits>Constant3"
    assert isinstance(tb.initializers.get(init_config), Constant3)
    with tb.saving.custom_object_scope({"halve": lambda x: x / 2}):
        assert tb.activations.get("halve")(torch.tensor(4.0)) == 2.0


def test_keras_utils_aliases_are_the_saving_functions() -> None:
    names = [n for n in dir(keras.utils) if n in dir(keras.saving) and not n.startswith("_")]
    assert "register_keras_serializable" in names
    for name in names:
        assert getattr(tb.utils, name) is getattr(tb.saving, name), name


def test_seed_generator_round_trips_as_keras_writes_it() -> None:
    ours = tb.saving.serialize_keras_object(tb.random.SeedGenerator(7, name="sg"))
    assert ours == keras.saving.serialize_keras_object(keras.random.SeedGenerator(7, name="sg"))
    back = tb.saving.deserialize_keras_object(ours)
    assert isinstance(back, tb.random.SeedGenerator)
    assert int(back.state[0]) == 7
