"""Model: subclassing, wrap(), compile/fit/evaluate/predict, *_on_batch, weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from torch import nn

import torchbridge as tb
from torchbridge.errors import InputError, NotCompiledError, SavedFormatError


class TwoLayer(tb.Model):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(4, 8)
        self.out = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.hidden(x)))


class KerasStyle(tb.Model):
    """A Keras-style subclass: call(inputs, training=None)."""

    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Linear(4, 1)
        self.seen_training: list[bool] = []

    def call(self, inputs: torch.Tensor, training: bool | None = None) -> torch.Tensor:
        self.seen_training.append(bool(training))
        return self.dense(inputs)


def _blobs(n: int = 256, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype=np.float64)
    x = centers[y] + rng.normal(0, 0.5, (n, 4))
    return x, y


def test_subclass_fit_learns_and_reports_keras_logs() -> None:
    torch.manual_seed(0)
    x, y = _blobs()
    model = TwoLayer()
    model.compile(
        optimizer=tb.optimizers.Adam(learning_rate=0.05),
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(x, y, batch_size=32, epochs=8, validation_split=0.25, verbose=0)
    assert set(history.history) == {"accuracy", "loss", "val_accuracy", "val_loss"}
    assert history.epoch == list(range(8))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] > 0.9
    assert model.history is history
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(results) == {"accuracy", "loss"}
    as_list = model.evaluate(x, y, verbose=0)
    assert as_list == pytest.approx([results["loss"], results["accuracy"]])
    probs = model.predict(x, verbose=0)
    assert isinstance(probs, np.ndarray) and probs.shape == (256, 3)
    assert (probs.argmax(-1) == y).mean() == pytest.approx(results["accuracy"])


def test_keras_style_call_gets_training_flag() -> None:
    model = KerasStyle()
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 4), "float32")
    model.fit(x, np.ones((8, 1)), batch_size=8, verbose=0)
    model.predict(x, verbose=0)
    assert model.seen_training == [True, False]


def test_model_without_forward_names_the_fix() -> None:
    model = tb.Model()
    with pytest.raises(NotImplementedError, match="forward"):
        model(torch.ones(1))


def test_wrap_keeps_module_and_state_dict_keys(tmp_path) -> None:
    module = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    keys = list(module.state_dict())
    model = tb.Model.wrap(module)
    assert isinstance(model, tb.Model) and isinstance(model, nn.Module)
    assert model.module is module
    assert list(model.module.state_dict()) == keys
    assert tb.Model.wrap(model) is model
    path = tmp_path / "m.weights.safetensors"
    model.save_weights(path)
    assert sorted(load_file(path)) == sorted(keys)
    fresh = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    fresh.load_state_dict(load_file(path))  # plain PyTorch loads the file as is
    x = torch.randn(5, 4)
    torch.testing.assert_close(fresh(x), module(x))


def test_wrap_calling_conventions() -> None:
    class TwoInputs(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(2, 1)
            self.b = nn.Linear(3, 1)

        def forward(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
            return self.a(left) + self.b(right)

    model = tb.Model.wrap(TwoInputs())
    model.compile(optimizer="sgd", loss="mse")
    left, right, y = np.ones((6, 2)), np.ones((6, 3)), np.zeros((6, 1))
    model.fit((left, right), y, batch_size=3, verbose=0)
    model.fit({"left": left, "right": right}, y, batch_size=3, verbose=0)
    assert model.predict({"left": left, "right": right}, verbose=0).shape == (6, 1)


def test_save_and_load_weights_round_trip(tmp_path) -> None:
    torch.manual_seed(1)
    a, b = TwoLayer(), TwoLayer()
    path = tmp_path / "two.weights.safetensors"
    a.save_weights(path)
    b.load_weights(path)
    x = torch.randn(3, 4)
    torch.testing.assert_close(a(x), b(x), rtol=0, atol=0)
    with pytest.raises(InputError, match=r"\.safetensors"):
        a.save_weights(tmp_path / "two.weights.bin")  # neither .weights.h5 nor .safetensors
    with pytest.raises(FileExistsError, match="overwrite=True"):
        a.save_weights(path, overwrite=False)


def test_load_weights_mismatch_names_keys(tmp_path) -> None:
    path = tmp_path / "w.weights.safetensors"
    tb.Model.wrap(nn.Linear(4, 2)).save_weights(path)
    target = tb.Model.wrap(nn.Linear(4, 3))
    with pytest.raises(InputError, match="shape mismatch: weight"):
        target.load_weights(path)
    report = target.load_weights(path, skip_mismatch=True)
    assert sorted(report["skipped"]) == ["bias", "weight"]


def test_load_weights_refuses_pickle(tmp_path) -> None:
    path = tmp_path / "evil.safetensors"
    torch.save({"weight": torch.ones(1)}, path)  # a pickle in disguise
    with pytest.raises(SavedFormatError, match="never loads pickled"):
        tb.Model.wrap(nn.Linear(1, 1)).load_weights(path)


def test_on_batch_methods() -> None:
    torch.manual_seed(0)
    model = TwoLayer()
    model.compile(
        optimizer="sgd",
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    x, y = _blobs(32)
    before = model.test_on_batch(x, y, return_dict=True)
    for _ in range(3):
        logs = model.train_on_batch(x, y, return_dict=True)
    assert set(logs) == {"accuracy", "loss"}
    after = model.test_on_batch(x, y)
    assert after[0] < before["loss"]
    out = model.predict_on_batch(x)
    assert isinstance(out, np.ndarray) and out.shape == (32, 3)
    assert model.training  # restored after predict/test


def test_fit_before_compile_names_the_fix() -> None:
    with pytest.raises(NotCompiledError, match=r"compile\(\) before fit"):
        TwoLayer().fit(np.ones((2, 4)), np.ones(2))
    with pytest.raises(NotCompiledError, match="compile"):
        TwoLayer().evaluate(np.ones((2, 4)), np.ones(2))


def test_compile_without_loss_cannot_fit() -> None:
    model = TwoLayer()
    model.compile(optimizer="adam")
    with pytest.raises(NotCompiledError, match="loss="):
        model.fit(np.ones((2, 4)), np.ones(2), verbose=0)
    assert model.predict(np.ones((2, 4)), verbose=0).shape == (2, 3)


def test_unknown_names_suggest_close_matches() -> None:
    with pytest.raises(ValueError, match="'adam'"):
        TwoLayer().compile(optimizer="adma", loss="mse")
    with pytest.raises(ValueError, match="mean_squared_error"):
        TwoLayer().compile(optimizer="adam", loss="mean_squared_eror")
    with pytest.raises(ValueError, match="accuracy"):
        TwoLayer().compile(optimizer="adam", loss="mse", metrics=["acuracy"])


def test_nan_loss_stops_with_an_error_naming_fixes() -> None:
    model = tb.Model.wrap(nn.Linear(2, 1))
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 2), "float32")
    x[3, 0] = np.nan
    with pytest.raises(tb.errors.NonFiniteLossError, match="TerminateOnNaN"):
        model.fit(x, np.ones((8, 1)), verbose=0, epochs=3)


def test_lazy_modules_build_the_optimizer_after_the_first_forward() -> None:
    model = tb.Model.wrap(nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(1)))
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(np.random.rand(16, 5), np.random.rand(16, 1), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_summary_prints_keras_table(capsys) -> None:
    model = TwoLayer()
    model.compile(optimizer="sgd", loss="mse")
    model.predict(np.ones((2, 4)), verbose=0)
    model.summary()
    out = capsys.readouterr().out
    assert 'Model: "TwoLayer"' in out
    assert "hidden (Linear)" in out and "(None, 8)" in out
    assert "Total params: 67" in out and "Trainable params: 67" in out
    assert "Non-trainable params: 0" in out


def test_jit_compile_uses_torch_compile() -> None:
    torch.manual_seed(0)
    x, y = _blobs(64)
    eager, jitted = TwoLayer(), TwoLayer()
    jitted.load_state_dict(eager.state_dict())
    for m, jit in ((eager, False), (jitted, True)):
        m.compile(
            optimizer="sgd",
            loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=jit,
        )
        m.fit(x, y, batch_size=64, epochs=2, shuffle=False, verbose=0)
    assert jitted._jit_call is not None
    torch.testing.assert_close(
        jitted(torch.ones(2, 4)), eager(torch.ones(2, 4)), rtol=1e-5, atol=1e-6
    )


def test_compile_places_the_model_on_the_chosen_device(monkeypatch) -> None:
    from torchbridge.models import model as model_module

    chosen: list[object] = []

    def fake_resolve(device):
        chosen.append(device)
        return torch.device("cpu")

    monkeypatch.setattr(model_module, "resolve_device", fake_resolve)
    model = TwoLayer()
    model.compile(optimizer="sgd", loss="mse")
    model.compile(optimizer="sgd", loss="mse", device="cpu")
    assert chosen == [None, "cpu"]
    assert model.device == torch.device("cpu")


def test_dict_output_with_one_key_is_a_single_output() -> None:
    class HFStyle(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(4, 3)

        def forward(self, x):
            return {"logits": self.linear(x)}

    model = tb.Model.wrap(HFStyle())
    model.compile(
        optimizer="adam",
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    x, y = _blobs(32)
    h = model.fit(x, y, epochs=1, verbose=0)
    assert set(h.history) == {"accuracy", "loss"}  # no "logits_" prefix, as Keras
    assert model.predict(x, verbose=0)["logits"].shape == (32, 3)


def test_torch_loss_modules_take_input_then_target() -> None:
    torch.manual_seed(0)
    x, y = _blobs(128)
    model = TwoLayer()
    model.compile(optimizer=tb.optimizers.SGD(0.5), loss=nn.CrossEntropyLoss(), metrics=["acc"])
    first = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    logits = model.predict(x, verbose=0)
    expected = nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(y))
    assert first == pytest.approx(float(expected), rel=1e-5)
    h = model.fit(x, y, epochs=5, verbose=0)
    assert h.history["loss"][-1] < first and h.history["acc"][-1] > 0.9
    assert "loss" not in dict(model.named_children())  # not registered as a submodule
    assert not any(k.startswith("loss") for k in model.state_dict())
    with pytest.raises(InputError, match="no per-sample weights"):
        model.fit(x, y, sample_weight=np.ones(128), verbose=0)


def test_train_on_batch_rejects_both_weights() -> None:
    model = TwoLayer()
    model.compile(optimizer="sgd", loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = _blobs(8)
    with pytest.raises(InputError, match="either class_weight or sample_weight"):
        model.train_on_batch(x, y, sample_weight=np.ones(8), class_weight={0: 2.0})


def test_example_input_does_not_keep_the_dataset_alive() -> None:
    model = tb.Model.wrap(nn.Linear(64, 1))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.random.rand(4096, 64), np.random.rand(4096, 1), batch_size=256, verbose=0)
    example = model._example_input
    assert example.untyped_storage().nbytes() == 64 * 4


def test_summary_counts_buffers_as_non_trainable(capsys) -> None:
    model = tb.Model.wrap(nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8)))
    model.summary()
    out = capsys.readouterr().out
    # Linear 40 + BN gamma/beta 16 trainable; BN moving mean/variance 16 non-trainable.
    assert "Trainable params: 56" in out and "Non-trainable params: 16" in out
