"""Reading CSV records: one file (:class:`CsvFileReader`) or many files, one after
the other (:class:`SequentialRows`) or in tf.data's interleave order
(:class:`InterleavedRows`), in blocks of ``list[str]`` records with their file and
line. Shared by ``CsvDataset`` and ``make_csv_dataset`` (``torchbridge.data.sources.csv``
re-exports these names).

Files are read with the C ``csv`` module; a reader's state is the line reached, so a
restored reader skips straight there. A truncated or corrupted GZIP/ZLIB file
yields the records read before the damage, then raises
:class:`~torchbridge.errors.DataLossError` (file, byte offset, last complete line)
and reads as ended.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from torchbridge.data.sources.files import _compression, as_path, open_binary
from torchbridge.errors import DataLossError, InputError

__all__ = ["Block", "CsvFormat", "CsvFileReader", "SequentialRows", "InterleavedRows"]


@dataclass(frozen=True)
class CsvFormat:
    compression: str | None = None
    encoding: str = "utf-8"
    header: bool = False
    field_delim: str = ","
    use_quote_delim: bool = True

    def __post_init__(self) -> None:
        _compression(self.compression)
        if len(self.field_delim) != 1:
            raise InputError(f"field_delim must be one character, got {self.field_delim!r}.")


class CsvFileReader:
    """The records (lists of ``str`` fields) of one CSV file, with their line numbers."""

    def __init__(self, path: str, fmt: CsvFormat) -> None:
        self.path = path
        self._fmt = fmt
        self._f: Any = None
        self._reader: Any = None
        self._base = 0  # lines skipped before the csv reader started
        self._start_line = 0
        self._dead = False  # the file turned out damaged: it reads as ended
        self._deferred: DataLossError | None = None  # raised after the rows read before it

    def _open(self) -> None:
        fmt = self._fmt
        self._f = io.TextIOWrapper(
            open_binary(self.path, fmt.compression), encoding=fmt.encoding, newline=""
        )
        self._reader = csv.reader(
            self._f,
            delimiter=fmt.field_delim,
            quoting=csv.QUOTE_MINIMAL if fmt.use_quote_delim else csv.QUOTE_NONE,
            strict=fmt.use_quote_delim,
        )
        self._base = self._start_line
        with self._errors():
            for _ in range(self._start_line):
                if not self._f.readline():
                    raise InputError(
                        f"{self.path!r} has fewer lines than the saved position {self._start_line}."
                    )
            if fmt.header and self._start_line == 0:
                next(self._reader, None)

    @property
    def line(self) -> int:
        return self._base + (self._reader.line_num if self._reader is not None else 0)

    def _errors(self) -> Any:
        reader = self

        class _Wrap:
            def __enter__(self) -> None:
                return None

            def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
                if kind is None or kind is StopIteration:
                    return
                if issubclass(kind, DataLossError):  # a damaged compressed file: skip the rest
                    reader._dead = True
                    raise DataLossError(
                        f"{exc} The last complete line read was line {reader.line}."
                    ) from None
                if issubclass(kind, csv.Error):
                    raise InputError(
                        f"{reader.path!r}, line {reader.line}: malformed CSV ({exc})."
                    ) from None
                if issubclass(kind, UnicodeDecodeError):
                    raise InputError(
                        f"{reader.path!r}, near line {reader.line + 1}: not valid "
                        f"{reader._fmt.encoding} ({exc.reason}). Pass the file's encoding."
                    ) from None

        return _Wrap()

    def read_block(self, n: int) -> tuple[list[list[str]], list[int]]:
        """Up to ``n`` records and the (last) line number of each; ``[]`` at the end."""
        if self._deferred is not None:  # the records before the damage came first
            error, self._deferred = self._deferred, None
            raise error
        if self._dead:
            return [], []
        if self._f is None:
            self._open()
        rows: list[list[str]] = []
        lines: list[int] = []
        reader = self._reader
        base = self._base
        append_row, append_line = rows.append, lines.append
        try:
            with self._errors():
                for row in reader:
                    append_row(row)
                    append_line(base + reader.line_num)
                    if len(rows) >= n:
                        break
        except DataLossError as e:
            if not rows:
                raise
            self._deferred = e
        return rows, lines

    def __iter__(self) -> CsvFileReader:
        return self

    def __next__(self) -> tuple[list[str], str, int]:
        if self._dead:
            raise StopIteration
        if self._f is None:
            self._open()
        with self._errors():
            row = next(self._reader)
        return row, self.path, self.line

    def get_state(self) -> dict[str, Any]:
        return {"line": self.line if self._f is not None else self._start_line}

    def set_state(self, state: dict[str, Any]) -> None:
        self.close()
        self._start_line = int(state["line"])
        self._dead, self._deferred = False, None

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
        self._f = self._reader = None


Block = tuple[list[list[str]], list[str], list[int]]


class SequentialRows:
    """Blocks of records from files read one after the other (a block never spans files)."""

    def __init__(self, names: Any, fmt: CsvFormat) -> None:
        self._names = names
        self._fmt = fmt
        self._cur: CsvFileReader | None = None

    def read_block(self, n: int) -> Block:
        while True:
            if self._cur is None:
                try:
                    name = as_path(next(self._names))
                except StopIteration:
                    return [], [], []
                self._cur = CsvFileReader(name, self._fmt)
            rows, lines = self._cur.read_block(n)
            if rows:
                return rows, [self._cur.path] * len(rows), lines
            self._cur.close()
            self._cur = None

    def get_state(self) -> dict[str, Any]:
        cur = None if self._cur is None else (self._cur.path, self._cur.get_state())
        return {"names": self._names.get_state(), "file": cur}

    def set_state(self, state: dict[str, Any]) -> None:
        self.close()
        self._names.set_state(state["names"])
        if state["file"] is not None:
            self._cur = CsvFileReader(state["file"][0], self._fmt)
            self._cur.set_state(state["file"][1])

    def close(self) -> None:
        if self._cur is not None:
            self._cur.close()
            self._cur = None


class InterleavedRows:
    """Blocks of records taken one at a time from files in tf.data's interleave order."""

    def __init__(self, names: Any, fmt: CsvFormat, cycle_length: int) -> None:
        from torchbridge.data.sources.files import RoundRobin

        self._rr = RoundRobin(names, lambda p: CsvFileReader(p, fmt), cycle_length)

    def read_block(self, n: int) -> Block:
        rows: list[list[str]] = []
        paths: list[str] = []
        lines: list[int] = []
        for row, path, line in self._rr:
            rows.append(row)
            paths.append(path)
            lines.append(line)
            if len(rows) >= n:
                break
        return rows, paths, lines

    def get_state(self) -> dict[str, Any]:
        return self._rr.get_state()

    def set_state(self, state: dict[str, Any]) -> None:
        self._rr.set_state(state)

    def close(self) -> None:
        self._rr.close()
