"""SwapEMAWeights: evaluation sees the EMA weights, training keeps its own — as in Keras."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest

import torchbridge as tb
from torchbridge.callbacks import SwapEMAWeights
from torchbridge.errors import InputError

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 4)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5], [0.0]], "float32") + 0.3).astype("float32")
FIT = {"batch_size": 8, "epochs": 3, "shuffle": False, "verbose": 0}


def _pair(use_ema: bool = True) -> tuple[keras.Model, tb.Model]:
    keras.utils.set_random_seed(0)
    k = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    k.compile(optimizer=keras.optimizers.SGD(0.05, use_ema=use_ema, ema_momentum=0.8), loss="mse")
    t = tb.Sequential([tb.Input((4,)), tb.layers.Dense(1)])
    t.compile(
        optimizer=tb.optimizers.SGD(0.05, use_ema=use_ema, ema_momentum=0.8),
        loss="mse",
        device="cpu",
    )
    t.set_weights(k.get_weights())
    return k, t


def _averages(model: Any) -> list[np.ndarray]:
    """The optimizer's moving averages, in Keras's layout (kernel, bias)."""
    opt = model.optimizer
    if isinstance(model, keras.Model):
        return [np.array(v) for v in opt._model_variables_moving_average]
    return [e.detach().numpy().copy() for e in opt._ema]  # Dense keeps Keras's layout


def _watcher(lib: Any) -> Any:
    """Records the weights and averages the model holds at a few hooks."""

    class Watch(lib.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[tuple[str, list[np.ndarray], list[np.ndarray]]] = []

        def _record(self, hook: str) -> None:
            weights = [np.array(w) for w in self.model.get_weights()]
            self.seen.append((hook, weights, _averages(self.model)))

        def on_test_begin(self, logs: Any = None) -> None:
            self._record("test")

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self._record("epoch_end")

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            if epoch:
                self._record("epoch_begin")

    return Watch()


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_fit_with_validation_matches_keras(swap_on_epoch: bool) -> None:
    k, t = _pair()
    k_watch, t_watch = _watcher(keras), _watcher(tb)
    k_hist = k.fit(X, Y, validation_data=(X, Y), callbacks=[SwapK(swap_on_epoch), k_watch], **FIT)
    t_hist = t.fit(
        X, Y, validation_data=(X, Y), callbacks=[SwapEMAWeights(swap_on_epoch), t_watch], **FIT
    )
    # val_loss is computed on the EMA weights; loss on the training weights.
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(t_hist.history[key], k_hist.history[key], rtol=1e-5)
    assert [s[0] for s in t_watch.seen] == [s[0] for s in k_watch.seen]
    for (hook, t_w, t_avg), (_, k_w, k_avg) in zip(t_watch.seen, k_watch.seen, strict=True):
        for a, b in zip(t_w + t_avg, k_w + k_avg, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=hook)
    for a, b in zip(t.get_weights(), k.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def SwapK(swap_on_epoch: bool) -> Any:
    return keras.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)


def test_validation_sees_the_averages_and_training_its_own_weights() -> None:
    _, with_swap = _pair()
    _, without = _pair()
    before, after = _watcher(tb), _watcher(tb)  # on either side of the swap
    callbacks = [before, SwapEMAWeights(), after]
    with_swap.fit(X, Y, validation_data=(X, Y), callbacks=callbacks, **FIT)
    without.fit(X, Y, validation_data=(X, Y), **FIT)
    pairs = [(b, a) for b, a in zip(before.seen, after.seen, strict=True) if b[0] == "test"]
    assert len(pairs) == FIT["epochs"]
    for (_, weights, averages), (_, swapped_weights, swapped_averages) in pairs:
        for x, y in zip(weights + averages, swapped_averages + swapped_weights, strict=True):
            np.testing.assert_array_equal(x, y)
        assert not np.array_equal(weights[0], averages[0])
    # Swapping in and out for validation leaves training untouched.
    for x, y in zip(with_swap.get_weights(), without.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("run", ["evaluate", "predict"])
def test_evaluate_and_predict_use_the_averages_then_restore(run: str) -> None:
    _, t = _pair()
    t.fit(X, Y, **{**FIT, "epochs": 1})
    t.optimizer._ema[1].add_(0.5)  # averages that differ from the (finalized) weights
    training, averages = [w.copy() for w in t.get_weights()], _averages(t)

    def call(**kwargs: Any) -> Any:
        if run == "evaluate":
            return t.evaluate(X, Y, verbose=0, **kwargs)
        return t.predict(X, verbose=0, **kwargs)

    swapped = call(callbacks=[SwapEMAWeights()])
    for a, b in zip(t.get_weights(), training, strict=True):
        np.testing.assert_array_equal(a, b)  # restored
    plain = call()
    t.set_weights(averages)
    np.testing.assert_allclose(swapped, call(), rtol=1e-6, atol=1e-7)
    assert not np.allclose(swapped, plain)


def test_needs_an_ema_optimizer_like_keras() -> None:
    k, t = _pair(use_ema=False)
    with pytest.raises(ValueError, match="use_ema"):
        k.evaluate(X, Y, callbacks=[keras.callbacks.SwapEMAWeights()], verbose=0)
    with pytest.raises(InputError, match="use_ema=True") as info:
        t.evaluate(X, Y, callbacks=[SwapEMAWeights()], verbose=0)
    assert info.value.__notes__ == ["Raised by callback SwapEMAWeights in on_test_begin()."]
