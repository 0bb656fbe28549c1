"""The Keras ``Callback`` base class: every hook, ``self.model`` and ``self.params``.

Called through a :class:`~torchbridge.callbacks.CallbackList` (as ``fit``,
``evaluate`` and ``predict`` do), every hook receives ``logs`` as a ``dict``,
exactly where Keras 3 passes one: ``{}`` for the begin hooks, the metrics
(Python floats, sorted by name) at batch and epoch end, ``{"outputs": ...}``
at ``on_predict_batch_end``. Per-batch logs are computed only when a callback
reads them, so a callback that ignores them costs no device→host
synchronisation. ``self.params`` is ``{"verbose", "epochs", "steps"}`` as the
loop passed them (``verbose`` as given to ``fit``, e.g. ``"auto"``).
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["Callback"]

Logs = dict[str, Any]


class Callback:
    """Base class for callbacks; override the hooks you need (Keras names)."""

    #: Whether batch logs may reach this callback unfilled (a ``LazyLogs`` that reads the
    #: metrics on first access). True for torchbridge's own callbacks, which read logs
    #: through the dict methods only; a callback defined elsewhere gets them filled, so
    #: C-level readers such as ``json.dumps`` see the values.
    _lazy_batch_logs: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_lazy_batch_logs" not in cls.__dict__:
            cls._lazy_batch_logs = cls.__module__.startswith("torchbridge.callbacks.")

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self._model: Any = None

    # --- wiring -------------------------------------------------------------
    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def set_model(self, model: Any) -> None:
        self._model = model

    @property
    def model(self) -> Any:
        return self._model

    # --- fit ----------------------------------------------------------------
    def on_train_begin(self, logs: Logs | None = None) -> None: ...
    def on_train_end(self, logs: Logs | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_end(batch, logs=logs)

    # Keras keeps these as aliases of the train-batch hooks.
    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...

    # --- evaluate -----------------------------------------------------------
    def on_test_begin(self, logs: Logs | None = None) -> None: ...
    def on_test_end(self, logs: Logs | None = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...

    # --- predict ------------------------------------------------------------
    def on_predict_begin(self, logs: Logs | None = None) -> None: ...
    def on_predict_end(self, logs: Logs | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...
