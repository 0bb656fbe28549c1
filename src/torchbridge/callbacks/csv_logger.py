"""``CSVLogger``: stream each epoch's logs to a CSV file, in Keras's exact format.

Columns are ``epoch`` then the sorted log keys of the first epoch; when those
keys hold no ``val_`` entry, a ``val_<key>`` column is added for each key (as
Keras does), filled with ``NA`` when absent. Rows end in ``\\r\\n`` (the csv
module's excel dialect). With ``append=True`` an existing non-empty file keeps
its header and gets rows only.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from typing import IO, Any

import numpy as np
import torch

from torchbridge.callbacks.callback import Callback, Logs
from torchbridge.utils.process_rank import is_main_process

__all__ = ["CSVLogger"]


def _cell(value: Any) -> Any:
    """Strings as they are, 1-D and deeper iterables as ``"[a, b]"``, else the value."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Write one CSV row per epoch.

    Args:
        filename: path of the CSV file, e.g. ``"run/log.csv"``.
        separator: field separator.
        append: append to an existing file (e.g. when resuming) instead of
            overwriting it.
    """

    def __init__(
        self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False
    ) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: csv.DictWriter[str] | None = None
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: IO[str] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if not is_main_process():  # distributed: rank 0 writes the file
            self.csv_file = open(os.devnull, "w", newline="")  # noqa: SIM115
            self.writer = self.keys = None
            return
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not f.readline()
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        # newline="" lets the csv module write its own "\r\n" on every platform.
        self.csv_file = open(self.filename, mode, newline="")  # noqa: SIM115
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend([f"val_{k}" for k in self.keys])

        if self.writer is None:
            if self.csv_file is None or self.csv_file.closed:
                raise RuntimeError(
                    "CSVLogger.on_epoch_end was called before on_train_begin opened "
                    f"{self.filename!r}; call on_train_begin first (fit() does)."
                )
            self.writer = csv.DictWriter(
                self.csv_file,
                fieldnames=["epoch", *self.keys],
                dialect="excel",
                delimiter=self.sep,
            )
            if self.append_header:
                self.writer.writeheader()

        row: dict[str, Any] = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        assert self.csv_file is not None
        self.csv_file.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
