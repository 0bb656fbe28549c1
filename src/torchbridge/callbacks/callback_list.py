"""``CallbackList``: fans each hook out to a list of callbacks, as Keras's does.

What every callback receives is what Keras 3 passes: ``logs`` is always a
``dict`` — ``{}`` for the begin hooks and ``on_predict_end``, the step's
metrics for the batch-end hooks, ``{"outputs": ...}`` for
``on_predict_batch_end``, the epoch's (and validation) metrics for
``on_epoch_end`` / ``on_train_end`` / ``on_test_end`` — made by
:func:`~torchbridge.callbacks._logs.pythonify_logs` (sorted, floats). Each
hook gets its own dict, shared by the callbacks of that call.

Batch hooks are the hot path, so the list records once which callbacks
actually override each batch hook and calls only those: with no per-batch
callback, a training step pays one attribute lookup and an empty check. When
only torchbridge's own callbacks receive a batch-end hook (the progress bar,
checkpoints counting batches), the logs are a
:class:`~torchbridge.callbacks._logs.LazyLogs`, converted only when one reads
them; a user's callback gets them converted up front, as Keras does (one
device→host read per step).

An exception from a callback propagates with its own type (Keras users catch
those) and gains a note naming the callback class and the hook.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from torchbridge.callbacks._logs import LazyLogs, pythonify_logs
from torchbridge.callbacks.callback import Callback, Logs
from torchbridge.callbacks.history import History
from torchbridge.callbacks.progbar_logger import ProgbarLogger

__all__ = ["CallbackList"]

_BATCH_HOOKS = {
    "on_train_batch_begin": ("on_train_batch_begin", "on_batch_begin"),
    "on_train_batch_end": ("on_train_batch_end", "on_batch_end"),
    "on_test_batch_begin": ("on_test_batch_begin",),
    "on_test_batch_end": ("on_test_batch_end",),
    "on_predict_batch_begin": ("on_predict_batch_begin",),
    "on_predict_batch_end": ("on_predict_batch_end",),
}


def _overrides(cb: Callback, names: tuple[str, ...]) -> bool:
    # A hook set on the instance (LambdaCallback) counts as an override too.
    own = vars(cb)
    return any(n in own or getattr(type(cb), n) is not getattr(Callback, n) for n in names)


def _flatten(callbacks: Any) -> list[Any]:
    if callbacks is None:
        return []
    if isinstance(callbacks, CallbackList):
        return list(callbacks.callbacks)
    if isinstance(callbacks, (list, tuple)):
        out: list[Any] = []
        for cb in callbacks:
            out.extend(_flatten(cb) if isinstance(cb, (list, tuple)) else [cb])
        return out
    return [callbacks]


def annotate_callback_error(
    error: BaseException, callback: Any, hook: str, index: int | None = None
) -> None:
    """Add a note to ``error`` naming the callback and hook it came from (once)."""
    if isinstance(callback, CallbackList):
        return  # the inner list names the real callback
    call = f"{hook}({index})" if index is not None else f"{hook}()"
    note = f"Raised by callback {type(callback).__name__} in {call}."
    if note not in getattr(error, "__notes__", ()):
        error.add_note(note)


class CallbackList(Callback):
    """A container that forwards every hook to its callbacks in order (Keras's API)."""

    def __init__(
        self,
        callbacks: Iterable[Callback] | Callback | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        super().__init__()
        self.callbacks: list[Callback] = _flatten(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks must be torchbridge.callbacks.Callback instances, got "
                    f"{type(cb).__name__}. Subclass Callback or wrap a function in LambdaCallback."
                )
        self._add_default_callbacks(add_history, add_progbar)
        self._refresh()
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def _refresh(self) -> None:
        lists = {
            hook: [cb for cb in self.callbacks if _overrides(cb, names)]
            for hook, names in _BATCH_HOOKS.items()
        }
        self._batch = lists
        # One attribute per batch hook: the hot path reads a list, not a dict entry.
        self._train_batch_begin = lists["on_train_batch_begin"]
        self._train_batch_end = lists["on_train_batch_end"]
        self._test_batch_begin = lists["on_test_batch_begin"]
        self._test_batch_end = lists["on_test_batch_end"]
        self._predict_batch_begin = lists["on_predict_batch_begin"]
        self._predict_batch_end = lists["on_predict_batch_end"]
        # Batch-end logs stay lazy only when every receiver is one of ours.
        self._fill_train_end = any(not cb._lazy_batch_logs for cb in self._train_batch_end)
        self._fill_test_end = any(not cb._lazy_batch_logs for cb in self._test_batch_end)
        self._fill_predict_end = any(not cb._lazy_batch_logs for cb in self._predict_batch_end)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)
        self._refresh()
        if self._model is not None:
            callback.set_model(self._model)
        if self.params:
            callback.set_params(self.params)

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        if self._history is not None and model is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def needs_batch_logs(self, hook: str) -> bool:
        return bool(self._batch[hook])

    def has_user_batch_hook(self, hook: str) -> bool:
        """Whether a callback other than the progress bar implements ``hook``."""
        return any(not isinstance(cb, ProgbarLogger) for cb in self._batch[hook])

    def may_keep_lazy_logs(self, hook: str) -> bool:
        """Whether ``hook``'s logs reach a callback unfilled that might read them after
        the step (anything but the progress bar): the loop then snapshots the step's
        values, so a late read still shows that step."""
        fill = {
            "on_train_batch_end": self._fill_train_end,
            "on_test_batch_end": self._fill_test_end,
            "on_predict_batch_end": self._fill_predict_end,
        }.get(hook, True)
        return not fill and self.has_user_batch_hook(hook)

    # --- begin/end and epoch hooks: a fresh pythonified dict per call ----------------
    def _call(self, hook: str, logs: Logs | None) -> None:
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            try:
                getattr(cb, hook)(logs)
            except Exception as e:
                annotate_callback_error(e, cb, hook)
                raise

    def _call_epoch(self, hook: str, epoch: int, logs: Logs | None) -> None:
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            try:
                getattr(cb, hook)(epoch, logs)
            except Exception as e:
                annotate_callback_error(e, cb, hook, epoch)
                raise

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._call("on_train_begin", logs)

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._call_epoch("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._call_epoch("on_epoch_end", epoch, logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        self._call("on_test_begin", logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._call("on_predict_end", logs)

    # --- batch hooks (hot path): only the overriding callbacks, lazy logs ----------------
    # Keras calls these with ``logs=`` as a keyword; so do we.
    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.on_train_batch_begin(batch, logs)

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.on_train_batch_end(batch, logs)

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        cbs = self._train_batch_begin
        if cbs:
            logs = pythonify_logs(logs)
            for cb in cbs:
                try:
                    cb.on_train_batch_begin(batch, logs=logs)
                except Exception as e:
                    annotate_callback_error(e, cb, "on_train_batch_begin", batch)
                    raise

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        cbs = self._train_batch_end
        if cbs:
            logs = pythonify_logs(logs) if self._fill_train_end else LazyLogs(logs)
            for cb in cbs:
                try:
                    cb.on_train_batch_end(batch, logs=logs)
                except Exception as e:
                    annotate_callback_error(e, cb, "on_train_batch_end", batch)
                    raise

    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        cbs = self._test_batch_begin
        if cbs:
            logs = pythonify_logs(logs)
            for cb in cbs:
                try:
                    cb.on_test_batch_begin(batch, logs=logs)
                except Exception as e:
                    annotate_callback_error(e, cb, "on_test_batch_begin", batch)
                    raise

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        cbs = self._test_batch_end
        if cbs:
            logs = pythonify_logs(logs) if self._fill_test_end else LazyLogs(logs)
            for cb in cbs:
                try:
                    cb.on_test_batch_end(batch, logs=logs)
                except Exception as e:
                    annotate_callback_error(e, cb, "on_test_batch_end", batch)
                    raise

    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        cbs = self._predict_batch_begin
        if cbs:
            logs = pythonify_logs(logs)
            for cb in cbs:
                try:
                    cb.on_predict_batch_begin(batch, logs=logs)
                except Exception as e:
                    annotate_callback_error(e, cb, "on_predict_batch_begin", batch)
                    raise

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        cbs = self._predict_batch_end
        if cbs:
            # {"outputs": ...}: copied to the host only if read (or a user callback gets it).
            logs = pythonify_logs(logs) if self._fill_predict_end else LazyLogs(logs)
            for cb in cbs:
                try:
                    cb.on_predict_batch_end(batch, logs=logs)
                except Exception as e:
                    annotate_callback_error(e, cb, "on_predict_batch_end", batch)
                    raise
