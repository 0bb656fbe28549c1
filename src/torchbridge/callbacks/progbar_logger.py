"""``ProgbarLogger``: prints Keras's progress bar for fit, evaluate and predict.

verbose 1 draws a live bar (throttled to 20 redraws a second), verbose 2 one
line per epoch, verbose 0 nothing. Per-batch logs are read only when the bar
is actually redrawn, so the bar adds no device synchronisation to other steps.
After ``keras.config.disable_interactive_logging()`` the lines go to the
``"torchbridge"`` logger at INFO level instead of stdout, as Keras sends them to
absl logging (silent unless logging is configured to show INFO).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

from torchbridge.backend.config import is_interactive_logging_enabled
from torchbridge.callbacks.callback import Callback, Logs
from torchbridge.utils.progbar import Progbar

__all__ = ["ProgbarLogger"]


class _LogLines:
    """A write-only stream that sends each completed line to the ``torchbridge`` logger."""

    def __init__(self) -> None:
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            line = line.rsplit("\r", 1)[-1].strip()  # a live bar's last redraw only
            if line:
                logging.getLogger("torchbridge").info(line)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class ProgbarLogger(Callback):
    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.verbose = 1
        self.epochs = 1
        self.target: int | None = None
        self.progbar: Progbar | None = None
        self.seen = 0
        self._in_fit = False

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = int(params.get("epochs", 1))
        self.target = params.get("steps")

    def _new_bar(self, target: int | None, verbose: int) -> None:
        self.seen = 0
        self.progbar = Progbar(target, verbose=verbose, stream=self._stream())

    def _stream(self) -> Any:
        if self.stream is not None:
            return self.stream
        return sys.stdout if is_interactive_logging_enabled() else _LogLines()

    def _update(self, batch: int, logs: Logs | None) -> None:
        self.seen = batch + 1
        bar = self.progbar
        if bar is not None and bar.due():
            bar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize(self, logs: Logs | None) -> None:
        if self.progbar is None:
            return
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.seen
        self.progbar.update(self.seen, list((logs or {}).items()), finalize=True)

    # --- fit ----------------------------------------------------------------
    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._in_fit = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._in_fit = False

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if self.verbose and self.epochs > 1:
            stream = self._stream()
            stream.write(f"Epoch {epoch + 1}/{self.epochs}\n")
            stream.flush()
        self._new_bar(self.target, self.verbose)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._update(batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._finalize(logs)

    # --- evaluate / predict (validation inside fit draws nothing) -------------
    def on_test_begin(self, logs: Logs | None = None) -> None:
        if not self._in_fit:
            self._new_bar(self.target, self.verbose)

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if not self._in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        if not self._in_fit:
            self._finalize(logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._new_bar(self.target, self.verbose)

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._update(batch, None)

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._finalize(None)
