"""What every hook receives, checked against Keras: the ``logs`` dicts, ``params``,
``self.model``; the lazy batch logs; the hot path; errors naming the callback."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge as tb
from torchbridge.callbacks import Callback, CallbackList, History, ProgbarLogger
from torchbridge.callbacks._logs import LazyLogs, pythonify_logs

ONE_ARG = ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end"]
ONE_ARG += ["on_predict_begin", "on_predict_end"]
TWO_ARGS = ["on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end"]
TWO_ARGS += ["on_test_batch_begin", "on_test_batch_end"]
TWO_ARGS += ["on_predict_batch_begin", "on_predict_batch_end"]


def _describe(logs: Any) -> Any:
    """Type of the logs and, per key, the value's type (and shape for arrays)."""
    if not isinstance(logs, dict):
        return type(logs).__name__
    return {
        k: (type(v).__name__, tuple(v.shape) if isinstance(v, np.ndarray) else None)
        for k, v in logs.items()
    }


def recorder_class(base: type) -> type:
    """The same recording callback, built on Keras's or torchbridge's ``Callback``."""

    def one(name: str) -> Any:
        def hook(self: Any, logs: Any = None) -> None:
            self.calls.append((name, None, _describe(logs), list(logs or {})))
            self.models.add(id(self.model))

        return hook

    def two(name: str) -> Any:
        def hook(self: Any, index: int, logs: Any = None) -> None:
            self.calls.append((name, index, _describe(logs), list(logs or {})))

        return hook

    def init(self: Any) -> None:
        base.__init__(self)
        self.calls = []
        self.models = set()

    body = {"__init__": init, **{n: one(n) for n in ONE_ARG}, **{n: two(n) for n in TWO_ARGS}}
    return type("Recorder", (base,), body)


def _models() -> tuple[Any, Any]:
    k = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    k.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    t = tb.Sequential([tb.Input((3,)), tb.layers.Dense(2)])
    t.compile(optimizer="sgd", loss="mse", metrics=["mae"], device="cpu")
    return k, t


X = np.zeros((4, 3), "float32")
Y = np.zeros((4, 2), "float32")
RUNS = {
    "fit+validation": lambda m, cb: m.fit(
        X, Y, batch_size=2, epochs=2, validation_data=(X, Y), callbacks=[cb], verbose=0
    ),
    "fit verbose=auto": lambda m, cb: m.fit(X, Y, batch_size=2, callbacks=[cb], verbose=0),
    "evaluate": lambda m, cb: m.evaluate(X, Y, batch_size=4, callbacks=[cb], verbose=0),
    "predict": lambda m, cb: m.predict(X, batch_size=3, callbacks=[cb], verbose=0),
}


@pytest.mark.parametrize("run", list(RUNS))
def test_hooks_get_the_logs_keras_passes(run: str) -> None:
    k_model, t_model = _models()
    k_cb, t_cb = recorder_class(keras.callbacks.Callback)(), recorder_class(Callback)()
    RUNS[run](k_model, k_cb)
    RUNS[run](t_model, t_cb)
    assert t_cb.calls == k_cb.calls
    assert t_cb.params == k_cb.params
    assert t_cb.models == {id(t_model)}


@pytest.mark.parametrize("verbose", ["auto", 0, 2, True])
def test_params_keep_verbose_as_given(verbose: Any, capsys: pytest.CaptureFixture[str]) -> None:
    k_model, t_model = _models()
    k_cb, t_cb = recorder_class(keras.callbacks.Callback)(), recorder_class(Callback)()
    k_model.fit(X, Y, batch_size=3, epochs=1, callbacks=[k_cb], verbose=verbose)
    t_model.fit(X, Y, batch_size=3, epochs=1, callbacks=[t_cb], verbose=verbose)
    assert t_cb.params == k_cb.params == {"verbose": verbose, "epochs": 1, "steps": 2}


def test_epoch_end_logs_values_and_order_match_keras() -> None:
    seen: dict[str, list[dict[str, Any]]] = {"k": [], "t": []}
    k_model, t_model = _models()
    t_model.set_weights(k_model.get_weights())
    for key, model, lib in (("k", k_model, keras), ("t", t_model, tb)):
        cb = lib.callbacks.LambdaCallback(
            on_epoch_end=lambda e, logs, key=key: seen[key].append(logs)
        )
        x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
        model.fit(
            x, x[:, :2], batch_size=4, epochs=2, validation_split=0.5, callbacks=[cb], verbose=0
        )
    for t_logs, k_logs in zip(seen["t"], seen["k"], strict=True):
        assert list(t_logs) == list(k_logs)  # sorted, val_ keys included
        np.testing.assert_allclose(list(t_logs.values()), list(k_logs.values()), rtol=1e-5)
        assert all(type(v) is float for v in t_logs.values())


def test_predict_outputs_match_keras() -> None:
    outs: dict[str, list[Any]] = {"k": [], "t": []}
    k_model, t_model = _models()
    t_model.set_weights(k_model.get_weights())
    for key, model, lib in (("k", k_model, keras), ("t", t_model, tb)):
        cb = lib.callbacks.LambdaCallback(
            on_predict_batch_end=lambda b, logs, key=key: outs[key].append(logs["outputs"])
        )
        model.predict(np.ones((5, 3), "float32"), batch_size=2, callbacks=[cb], verbose=0)
    assert [o.shape for o in outs["t"]] == [o.shape for o in outs["k"]] == [(2, 2), (2, 2), (1, 2)]
    for t_out, k_out in zip(outs["t"], outs["k"], strict=True):
        assert isinstance(t_out, np.ndarray)
        np.testing.assert_allclose(t_out, k_out, rtol=1e-5)


def test_user_history_is_used_and_model_history_set() -> None:
    _, model = _models()
    history = History()
    returned = model.fit(X, Y, epochs=2, callbacks=[history], verbose=0)
    assert returned is history is model.history
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2


# --- the lazy batch logs -----------------------------------------------------------------
class CountingLogs(dict):  # type: ignore[type-arg]
    """Batch logs that count how often they are read."""

    reads = 0

    def items(self) -> Any:
        CountingLogs.reads += 1
        return super().items()


def test_lazy_batch_logs_are_read_only_when_a_callback_looks() -> None:
    class Ignores(Callback):
        _lazy_batch_logs = True  # as torchbridge's own callbacks

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.got = logs

    class Reads(Callback):
        _lazy_batch_logs = True

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.loss = logs["loss"]

    CountingLogs.reads = 0
    ignores = Ignores()
    CallbackList([ignores]).on_train_batch_end(0, CountingLogs(loss=torch.tensor(2.0)))
    assert CountingLogs.reads == 0 and isinstance(ignores.got, dict)
    reads = Reads()
    CallbackList([ignores, reads]).on_train_batch_end(0, CountingLogs(loss=torch.tensor(2.0)))
    assert CountingLogs.reads == 1 and reads.loss == 2.0 and type(reads.loss) is float
    assert ignores.got is not None and ignores.got == {"loss": 2.0}  # the same dict, filled


def test_user_callbacks_get_filled_dicts_our_own_get_lazy_ones() -> None:
    class Dumps(Callback):
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.text = json.dumps(logs)  # a C-level reader: needs the values in place

    dumps, bar = Dumps(), ProgbarLogger()
    assert not Dumps._lazy_batch_logs and ProgbarLogger._lazy_batch_logs
    CallbackList([dumps]).on_train_batch_end(0, {"loss": torch.tensor(0.5)})
    assert json.loads(dumps.text) == {"loss": 0.5}
    lazy = CallbackList([bar])
    assert not lazy._fill_train_end and not lazy.may_keep_lazy_logs("on_train_batch_end")
    assert CallbackList([dumps, bar])._fill_train_end


def _lazy() -> LazyLogs:
    return LazyLogs({"b": torch.tensor(1.0), "a": np.float32(2.0), "nested": {"c": 3}})


@pytest.mark.parametrize(
    ("use", "expected"),
    [
        (lambda d: list(d), ["a", "b", "c"]),
        (lambda d: dict(d), {"a": 2.0, "b": 1.0, "c": 3.0}),
        (lambda d: {**d}, {"a": 2.0, "b": 1.0, "c": 3.0}),
        (lambda d: len(d), 3),
        (lambda d: bool(d), True),
        (lambda d: "c" in d, True),
        (lambda d: d.get("a"), 2.0),
        (lambda d: sorted(d.items()), [("a", 2.0), ("b", 1.0), ("c", 3.0)]),
        (lambda d: list(d.values()), [2.0, 1.0, 3.0]),
        (lambda d: pickle.loads(pickle.dumps(d)), {"a": 2.0, "b": 1.0, "c": 3.0}),
        (lambda d: type(copy.deepcopy(d)), dict),
        (lambda d: d == {"a": 2.0, "b": 1.0, "c": 3.0}, True),
        (lambda d: d | {"z": 0}, {"a": 2.0, "b": 1.0, "c": 3.0, "z": 0}),
        (lambda d: "{a}-{b}".format(**d), "2.0-1.0"),
        (lambda d: (d.setdefault("lr", 0.5), d["lr"], len(d)), (0.5, 0.5, 4)),
        (lambda d: (d.pop("a"), list(d)), (2.0, ["b", "c"])),
        (lambda d: repr(d), "{'a': 2.0, 'b': 1.0, 'c': 3.0}"),
        (lambda d: isinstance(d, dict), True),
    ],
)
def test_lazy_logs_behave_like_the_dict_keras_passes(use: Any, expected: Any) -> None:
    assert use(_lazy()) == expected
    assert use(pythonify_logs(_lazy()._pending)) == expected


def test_keras_pythonify_rules() -> None:
    logs = {"z": torch.tensor(3), "a": np.array([1.0, 2.0]), "m": {"x": np.float64(1.5)}, "s": "t"}
    from keras.src.utils.python_utils import pythonify_logs as keras_pythonify

    ours, theirs = pythonify_logs(logs), keras_pythonify({**logs, "z": np.array(3)})
    assert list(ours) == list(theirs) == ["a", "x", "s", "z"]
    assert ours["z"] == theirs["z"] == 3.0 and type(ours["z"]) is float
    np.testing.assert_array_equal(ours["a"], theirs["a"])
    assert ours["s"] == "t" and ours["x"] == 1.5


# --- the hot path ------------------------------------------------------------------------------
def test_batch_hooks_go_only_to_callbacks_that_override_them() -> None:
    class EpochOnly(Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None: ...

    class BatchEnd(Callback):
        def on_batch_end(self, batch: int, logs: Any = None) -> None: ...

    epoch_only, batch_end, bar = EpochOnly(), BatchEnd(), ProgbarLogger()
    cbs = CallbackList([epoch_only, batch_end, bar])
    assert cbs._train_batch_end == [batch_end, bar]
    assert cbs._train_batch_begin == [] and cbs._test_batch_end == [bar]
    assert cbs.has_user_batch_hook("on_train_batch_end")
    assert not CallbackList([epoch_only, bar]).has_user_batch_hook("on_train_batch_end")


def test_callback_list_is_keras_shaped() -> None:
    model = tb.Sequential([tb.Input((3,)), tb.layers.Dense(2)])
    cbs = CallbackList([[Callback()]], add_history=True, add_progbar=True, model=model, epochs=3)
    assert [type(c).__name__ for c in cbs] == ["Callback", "History", "ProgbarLogger"]
    assert isinstance(cbs, Callback) and model.history is cbs.callbacks[1]
    assert all(c.params == {"epochs": 3} and c.model is model for c in cbs)
    with pytest.raises(TypeError, match="LambdaCallback"):
        CallbackList([print])


# --- errors -----------------------------------------------------------------------------------
class KeyErrorOnEpoch(Callback):
    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        if epoch == 1:
            raise KeyError("boom")


class ValueErrorOnBatch(Callback):
    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        raise ValueError(f"bad batch {batch}")


class TypeErrorOnPredict(Callback):
    def on_predict_end(self, logs: Any = None) -> None:
        raise TypeError("no")


@pytest.mark.parametrize(
    ("callback", "run", "error", "note"),
    [
        (KeyErrorOnEpoch(), "fit", KeyError, "KeyErrorOnEpoch in on_epoch_begin(1)"),
        (ValueErrorOnBatch(), "fit", ValueError, "ValueErrorOnBatch in on_train_batch_end(0)"),
        (TypeErrorOnPredict(), "predict", TypeError, "TypeErrorOnPredict in on_predict_end()"),
    ],
)
def test_a_failing_callback_keeps_its_error_type_and_is_named(
    callback: Callback, run: str, error: type, note: str
) -> None:
    _, model = _models()
    with pytest.raises(error) as info:
        if run == "fit":
            model.fit(X, Y, epochs=3, callbacks=[callback], verbose=0)
        else:
            model.predict(X, callbacks=[callback], verbose=0)
    assert info.value.__notes__ == [f"Raised by callback {note}."]
