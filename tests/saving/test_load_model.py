"""``model.save`` / ``load_model``: the file alone rebuilds the model; nothing is unpickled."""

from __future__ import annotations

import json
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

import torchbridge as tb
from torchbridge.errors import SavedFormatError, UnknownClassError
from torchbridge.saving import register_serializable


def _data(rng, n=64):
    return rng.normal(size=(n, 6)).astype("float32"), rng.integers(0, 3, n)


def _functional():
    x = tb.Input((6,))
    h = tb.layers.Dense(8, activation="relu")(x)
    h = tb.layers.BatchNormalization()(h)
    return tb.Model(x, tb.layers.Dense(3, activation="softmax")(h))


@pytest.mark.parametrize("suffix", [".keras", ".torchbridge"])
def test_reload_predicts_bit_identically_and_resumes_training(tmp_path, rng, suffix) -> None:
    x, y = _data(rng)
    torch.manual_seed(0)
    model = _functional()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    path = tmp_path / f"model{suffix}"
    model.save(path)
    loaded = tb.models.load_model(path)
    assert type(loaded) is type(model) and loaded.compiled
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # the optimizer state came back: one more epoch gives the same weights on both
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_sequential_uncompiled_and_without_optimizer(tmp_path, rng) -> None:
    model = tb.Sequential([tb.Input((6,)), tb.layers.Dense(4), tb.layers.Dense(2)])
    model.save(tmp_path / "seq.keras")
    loaded = tb.load_model(tmp_path / "seq.keras")
    assert isinstance(loaded, tb.Sequential) and not loaded.compiled
    x, _ = _data(rng, 5)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "noopt.keras", include_optimizer=False)
    with zipfile.ZipFile(tmp_path / "noopt.keras") as zf:
        assert "optimizer.safetensors" not in zf.namelist()
    assert tb.load_model(tmp_path / "noopt.keras", compile=False).compiled is False


@register_serializable(package="tests")
class Scale(tb.layers.Layer):
    def __init__(self, factor: float = 2.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Unregistered(Scale):
    pass


def test_custom_layers_register_by_name(tmp_path, rng) -> None:
    x = tb.Input((6,))
    model = tb.Model(x, Scale(3.0)(tb.layers.Dense(2)(x)))
    model.save(tmp_path / "custom.keras")
    with zipfile.ZipFile(tmp_path / "custom.keras") as zf:
        config = json.loads(zf.read("config.json"))
    assert config["config"]["layers"][-1]["registered_name"] == "tests>Scale"
    loaded = tb.load_model(tmp_path / "custom.keras")
    assert loaded.layers[-1].factor == 3.0
    data, _ = _data(rng, 4)
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


def test_unknown_class_names_the_class_and_the_fix(tmp_path) -> None:
    x = tb.Input((6,))
    tb.Model(x, Unregistered(2.0)(x)).save(tmp_path / "unknown.keras")
    with pytest.raises(UnknownClassError, match=r"Unregistered.*register_serializable"):
        tb.load_model(tmp_path / "unknown.keras")
    loaded = tb.load_model(
        tmp_path / "unknown.keras", custom_objects={"Unregistered": Unregistered}
    )
    assert isinstance(loaded.layers[-1], Unregistered)


class _Exploit:
    """Unpickling this runs code: it creates a marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_a_malicious_pickle_is_never_executed(tmp_path) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Exploit(str(marker)))
    pickle.loads(payload)  # prove the payload works when unpickled ...
    assert marker.exists()
    marker.rmdir()
    # ... then hand it to every loader under every name it could have
    (tmp_path / "evil.keras").write_bytes(payload)
    torch.save({"w": _Exploit(str(marker))}, tmp_path / "evil.torchbridge")
    (tmp_path / "evil.safetensors").write_bytes(payload)
    with zipfile.ZipFile(tmp_path / "inner.keras", "w") as zf:  # a model file hiding one
        model = tb.Sequential([tb.Input((2,)), tb.layers.Dense(1)])
        zf.writestr("metadata.json", json.dumps({"format": "torchbridge", "format_version": 2}))
        zf.writestr("config.json", json.dumps(tb.saving.serialize(model)))
        zf.writestr("model.weights.safetensors", payload)
    for name in ("evil.keras", "evil.torchbridge"):
        with pytest.raises(SavedFormatError, match="never loads pickled files"):
            tb.load_model(tmp_path / name)
    with pytest.raises(Exception, match=r"safetensors|header|deserialize"):
        tb.load_model(tmp_path / "inner.keras")
    with pytest.raises(Exception, match=r"safetensors|header|deserialize"):
        model.load_weights(tmp_path / "evil.safetensors")
    assert not marker.exists()


def test_version_and_foreign_files_get_clear_errors(tmp_path) -> None:
    model = tb.Sequential([tb.Input((2,)), tb.layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as src:
        files = {n: src.read(n) for n in src.namelist()}
    meta = json.loads(files["metadata.json"])
    meta["format_version"] = 99
    files["metadata.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(tmp_path / "future.keras", "w") as dst:
        for n, b in files.items():
            dst.writestr(n, b)
    with pytest.raises(SavedFormatError, match=r"format version 99.*Upgrade"):
        tb.load_model(tmp_path / "future.keras")
    with zipfile.ZipFile(tmp_path / "keras3.keras", "w") as zf:  # what Keras itself writes
        zf.writestr("config.json", "{}")
        zf.writestr("model.weights.h5", b"")
    with pytest.raises(SavedFormatError, match=r"keras3.keras.*config.json does not describe"):
        tb.load_model(tmp_path / "keras3.keras")  # Keras's layout, read by keras_archive
    with pytest.raises(FileNotFoundError):
        tb.load_model(tmp_path / "missing.keras")


class _Subclassed(tb.Model):
    def __init__(self, units: int) -> None:
        super().__init__()
        self.units = units
        self.dense = tb.layers.Dense(units)

    def call(self, x):
        return self.dense(x)


class _TakesAModule(tb.Model):
    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def call(self, x):
        return self.inner(x)


@register_serializable(package="tests")
class _Configured(_Subclassed):
    def get_config(self):
        return {"units": self.units}


def test_subclassed_models_record_their_arguments(tmp_path, rng) -> None:
    data, _ = _data(rng, 3)
    plain = _Subclassed(2)
    plain(torch.from_numpy(data))
    assert plain.get_config() == {"units": 2}  # Keras 3's automatic config
    plain.save(tmp_path / "plain.keras")
    with pytest.raises(UnknownClassError, match="_Subclassed"):
        tb.load_model(tmp_path / "plain.keras")
    # lazily built layers get their weights from the recorded input shape
    loaded = tb.load_model(tmp_path / "plain.keras", custom_objects={"_Subclassed": _Subclassed})
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), plain.predict(data, verbose=0))
    configured = _Configured(2)
    configured(torch.from_numpy(data))
    configured.save(tmp_path / "configured.keras")
    loaded = tb.load_model(tmp_path / "configured.keras")
    assert isinstance(loaded, _Configured)
    np.testing.assert_array_equal(
        loaded.predict(data, verbose=0), configured.predict(data, verbose=0)
    )
    opaque = _TakesAModule(torch.nn.Linear(6, 2))
    with pytest.raises(NotImplementedError, match="override get_config"):
        opaque.get_config()
    opaque.save(tmp_path / "opaque.keras")  # weights still save ...
    with pytest.raises(SavedFormatError, match="get_config"):  # ... but cannot be rebuilt
        tb.load_model(tmp_path / "opaque.keras")


def test_preprocessing_state_travels_with_the_model(tmp_path, rng) -> None:
    texts = np.array(["the cat sat", "a dog ran", "the dog sat down", "cats and dogs"], object)
    numbers = rng.normal(3.0, 2.0, size=(4, 2)).astype("float32")
    vectorize = tb.layers.TextVectorization(max_tokens=20, output_mode="tf_idf")
    vectorize.adapt(texts)
    norm = tb.layers.Normalization()
    norm.adapt(numbers)
    text_in = tb.Input((1,), dtype="string", name="text")
    num_in = tb.Input((2,), name="num")
    joined = tb.layers.Concatenate()([vectorize(text_in), norm(num_in)])
    model = tb.Model([text_in, num_in], tb.layers.Dense(1, activation="sigmoid")(joined))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit([texts, numbers], np.array([1, 0, 1, 0]), epochs=2, verbose=0)
    model.save(tmp_path / "pre.keras")
    with zipfile.ZipFile(tmp_path / "pre.keras") as zf:
        assets = json.loads(zf.read("assets.json"))
    assert any("vocabulary" in json.dumps(v) for v in assets.values())
    loaded = tb.load_model(tmp_path / "pre.keras")
    new = [np.array(["the cat ran", "unknown words here"], object), numbers[:2]]
    np.testing.assert_array_equal(loaded.predict(new, verbose=0), model.predict(new, verbose=0))
    restored = loaded.get_layer(vectorize.name)
    assert restored.get_vocabulary() == vectorize.get_vocabulary()
