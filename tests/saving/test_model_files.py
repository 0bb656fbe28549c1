"""Whole-model files with custom objects: ``save_model`` / ``load_model``, Keras's per-layer
hooks (``get_build_config`` / ``build_from_config``, ``save_own_variables`` /
``load_own_variables``, ``save_assets`` / ``load_assets``) and objects found by their
registered names — the same code run on Keras and on torchbridge."""

from __future__ import annotations

import json
import os

import keras
import numpy as np
import pytest
import torch

import torchbridge as tb


def _hooked_model(lib, log: list):
    """A functional model around a custom layer that overrides every saving hook (without
    calling the base class's, so the same code runs on both)."""

    class Scale(lib.layers.Layer):
        def __init__(self, k=2.0, **kwargs):
            super().__init__(**kwargs)
            self.k = k
            self.vocab = ["a", "b"]

        def build(self, input_shape):
            log.append(("build", tuple(input_shape)))
            self.shape_seen = tuple(input_shape)
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, x):
            return x * self.w * self.k

        def get_config(self):
            return {**super().get_config(), "k": self.k}

        def get_build_config(self):
            log.append(("get_build_config",))
            return {"input_shape": list(self.shape_seen)}

        def build_from_config(self, config):
            log.append(("build_from_config", json.dumps(config)))
            self.build(config["input_shape"])
            self.built = True

        def save_own_variables(self, store):
            for i, v in enumerate(self.weights):
                store[str(i)] = np.asarray(v.numpy())
            store["extra"] = np.array([7.0], "float32")
            log.append(("save_own_variables", sorted(store.keys())))

        def load_own_variables(self, store):
            keys = sorted(store.keys())
            log.append(("load_own_variables", keys, [type(store[k]).__name__ for k in keys]))
            for i, v in enumerate(self.weights):
                v.assign(store[str(i)])
            self.extra = np.asarray(store["extra"]).tolist()

        def save_assets(self, dir_path):
            log.append(("save_assets", type(dir_path).__name__))
            with open(os.path.join(dir_path, "vocab.txt"), "w") as f:
                f.write("\n".join(self.vocab))

        def load_assets(self, dir_path):
            log.append(("load_assets", type(dir_path).__name__, sorted(os.listdir(dir_path))))
            with open(os.path.join(dir_path, "vocab.txt")) as f:
                self.vocab = [*f.read().split("\n"), "loaded"]

    inputs = lib.Input((3,))
    outputs = lib.layers.Dense(2, name="d")(Scale(3.0, name="scale")(inputs))
    return lib.Model(inputs, outputs), Scale


def _round_trip_with_hooks(lib, path):
    log: list = []
    model, scale_cls = _hooked_model(lib, log)
    scale = model.get_layer("scale")
    scale.w.assign(np.array([1.0, 2.0, 3.0], "float32"))
    scale.count.assign(5.0)
    model.save(path)
    loaded = lib.saving.load_model(path, custom_objects={"Scale": scale_cls})
    got = loaded.get_layer("scale")
    x = np.ones((2, 3), "float32")
    same = np.allclose(np.asarray(model.predict(x, verbose=0)), loaded.predict(x, verbose=0))
    state = (got.vocab, got.extra, np.asarray(got.w).tolist(), float(np.asarray(got.count)))
    return log, state, same


def test_saving_hooks_are_called_as_keras_calls_them(tmp_path) -> None:
    theirs = _round_trip_with_hooks(keras, str(tmp_path / "k.keras"))
    ours = _round_trip_with_hooks(tb, str(tmp_path / "t.keras"))
    assert ours == theirs
    _, (vocab, extra, _, count), same = ours
    assert same and vocab == ["a", "b", "loaded"] and extra == [7.0] and count == 5.0


def test_hooks_may_call_the_base_class_as_in_keras_guides(tmp_path) -> None:
    class Counter(tb.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

        def save_own_variables(self, store):
            super().save_own_variables(store)
            store["note"] = np.array([1.0], "float32")

    inputs = tb.Input((2,))
    tb.Model(inputs, Counter()(inputs)).save(tmp_path / "m.keras")


def _register_custom_objects(lib, package):
    register = lib.saving.register_keras_serializable(package=package)

    @register
    def scaled_tanh(x):
        return lib.ops.tanh(x) * 2 if lib is keras else torch.tanh(x) * 2

    @register
    def half_mse(y_true, y_pred):
        if lib is keras:
            return lib.ops.mean(lib.ops.square(y_true - y_pred), axis=-1) / 2
        return torch.mean((y_true - y_pred) ** 2, dim=-1) / 2

    @register
    class Fill(lib.initializers.Initializer if lib is keras else object):
        def __init__(self, value=0.1):
            self.value = value

        def __call__(self, shape, dtype=None):
            if lib is keras:
                return lib.ops.full(shape, self.value, dtype=dtype)
            return torch.full(tuple(shape), float(self.value))

        def get_config(self):
            return {"value": self.value}

    @register
    class Clip(lib.constraints.Constraint):
        def __init__(self, limit=0.5):
            self.limit = limit

        def __call__(self, w):
            if lib is keras:
                return lib.ops.clip(w, -self.limit, self.limit)
            return torch.clamp(w, -self.limit, self.limit)

        def get_config(self):
            return {"limit": self.limit}

    @register
    class SumAbs(lib.regularizers.Regularizer):
        def __init__(self, rate=0.01):
            self.rate = rate

        def __call__(self, w):
            if lib is keras:
                return self.rate * lib.ops.sum(lib.ops.abs(w))
            return self.rate * torch.sum(torch.abs(w))

        def get_config(self):
            return {"rate": self.rate}

    @register
    class MaxError(lib.metrics.MeanMetricWrapper):
        def __init__(self, name="max_error", dtype=None):
            def fn(y_true, y_pred):
                if lib is keras:
                    return lib.ops.max(lib.ops.abs(y_true - y_pred), axis=-1)
                return torch.amax(torch.abs(y_true - y_pred), dim=-1)

            super().__init__(fn, name=name, dtype=dtype)

        def get_config(self):
            return {"name": self.name}

    return scaled_tanh, half_mse, Fill, Clip, SumAbs, MaxError


def _custom_model(lib, package):
    scaled_tanh, half_mse, _, clip, sum_abs, max_error = _register_custom_objects(lib, package)
    model = lib.Sequential(
        [
            lib.Input((3,)),
            lib.layers.Dense(
                2,
                activation=scaled_tanh,
                kernel_constraint=clip(0.3),
                kernel_regularizer=sum_abs(0.05),
                name="d",
            ),
        ]
    )
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss=half_mse, metrics=[max_error()])
    return model


def test_custom_objects_travel_by_registered_name(tmp_path) -> None:
    x = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)
    y = np.ones((4, 2), "float32")
    results = {}
    start = None
    for lib in (keras, tb):
        model = _custom_model(lib, f"files_{lib.__name__}")
        if start is None:
            start = model.get_weights()
        model.set_weights(start)
        history = model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0).history
        path = str(tmp_path / f"{lib.__name__}.keras")
        model.save(path)
        loaded = lib.saving.load_model(path)
        dense = loaded.get_layer("d")
        evaluated = loaded.evaluate(x, y, verbose=0, return_dict=True)
        compile_config = loaded.get_compile_config()
        results[lib.__name__] = {
            "history": history,
            "evaluate": evaluated,
            "predict": np.asarray(loaded.predict(x, verbose=0)),
            "activation": dense.activation.__name__,
            "kernel": np.asarray(dense.kernel),
            "loss": compile_config["loss"]["config"].split(">")[1],
            "metric": compile_config["metrics"][0]["class_name"],
            "classes": [
                dense.get_config()[key]["class_name"]
                for key in ("kernel_constraint", "kernel_regularizer")
            ],
        }
    ours, theirs = results["torchbridge"], results["keras"]
    for key in ("activation", "loss", "metric", "classes"):
        assert ours[key] == theirs[key], key
    for key in ("predict", "kernel"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6)
    for key, values in theirs["history"].items():
        np.testing.assert_allclose(ours["history"][key], values, rtol=1e-5, err_msg=key)
    for key, value in theirs["evaluate"].items():
        assert ours["evaluate"][key] == pytest.approx(value, rel=1e-5), key


def test_a_registered_initializer_function_travels_by_name(tmp_path) -> None:
    @tb.saving.register_keras_serializable(package="files_init")
    def point_two(shape, dtype=None):
        return torch.full(tuple(shape), 0.2)

    model = tb.Sequential([tb.Input((3,)), tb.layers.Dense(2, kernel_initializer=point_two)])
    model.save(tmp_path / "m.keras")
    loaded = tb.saving.load_model(tmp_path / "m.keras")
    assert loaded.layers[0].kernel_initializer in ("point_two", "files_init>point_two", point_two)
    clone = tb.models.clone_model(loaded)
    assert torch.all(clone.layers[0].kernel == 0.2)


def test_a_registered_initializer_object_travels_in_layer_configs(tmp_path) -> None:
    fill = _register_custom_objects(tb, "files_fill")[2]
    layer = tb.layers.Dense(2, kernel_initializer=fill(0.2))
    config = json.loads(json.dumps(layer.get_config()))
    assert config["kernel_initializer"]["registered_name"] == "files_fill>Fill"
    rebuilt = tb.layers.Dense.from_config(config)
    rebuilt.build_from_shape((None, 3))
    assert torch.all(rebuilt.kernel == 0.2)


def _named_model(lib):
    inputs = lib.Input((4,), name="x")
    hidden = lib.layers.Dense(3, name="hidden")(inputs)
    return lib.Model(inputs, lib.layers.Dense(1, name="out")(hidden), name="m")


def test_save_model_is_model_save(tmp_path) -> None:
    model = _named_model(tb)
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    for i, save_model in enumerate((tb.models.save_model, tb.saving.save_model)):
        path = tmp_path / f"m{i}.keras"
        save_model(model, path)
        loaded = tb.models.load_model(path)
        assert loaded.compiled
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
        with pytest.raises(FileExistsError):
            save_model(model, path, overwrite=False)
    with pytest.raises(tb.errors.InputError, match="zipped"):
        tb.models.save_model(model, tmp_path / "dir", zipped=False)
