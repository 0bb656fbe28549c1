"""``FixedLengthRecordDataset``: the fixed-size binary records of one or more files
(``bytes`` elements, as tf.data), after ``header_bytes`` and before ``footer_bytes``.

A file whose body is not a whole number of records is a
:class:`~torchbridge.errors.DataLossError` naming the file and sizes (tf.data fails
too). Files are read in chunks of ``buffer_size`` bytes, one after the other or
interleaved one record at a time with ``num_parallel_reads``; compression ``GZIP`` /
``ZLIB`` as ``TextLineDataset``. State per open file: the index of the next record.
"""

from __future__ import annotations

from typing import Any

from torchbridge.data.dataset import UNKNOWN, Dataset
from torchbridge.data.sources.files import (
    RoundRobin,
    _compression,
    cycle_length_of,
    filename_iterator,
    open_binary,
    skip_bytes,
)
from torchbridge.errors import DataLossError, InputError

__all__ = ["FixedLengthRecordDataset"]

_DEFAULT_BUFFER = 256 * 1024


class _RecordFileIterator:
    def __init__(self, path: str, ds: FixedLengthRecordDataset) -> None:
        self._path = path
        self._ds = ds
        self._f: Any = None
        self._buffer = b""
        self._eof = False
        self._damaged = False  # a compressed file turned out truncated/corrupted
        self._next = 0  # index of the next record

    def __iter__(self) -> _RecordFileIterator:
        return self

    def __next__(self) -> bytes:
        ds = self._ds
        size, footer = ds._record, ds._footer
        if self._f is None:
            self._f = open_binary(self._path, ds._compression)
            skip_bytes(self._f, ds._header + self._next * size, self._path, ds._compression)
        while not self._eof and len(self._buffer) < size + footer:
            try:
                chunk = self._f.read(ds._buffer_size)
            except DataLossError:  # a damaged compressed file: the rest of it is skipped
                self._eof, self._buffer, self._damaged = True, b"", True
                raise
            if chunk:
                self._buffer += chunk
            else:
                self._eof = True
        if len(self._buffer) >= size + footer:
            record, self._buffer = self._buffer[:size], self._buffer[size:]
            self._next += 1
            return record
        if len(self._buffer) != footer and not self._damaged:
            body = self._next * size + len(self._buffer) - footer
            raise DataLossError(
                f"{self._path!r}: excluding the header ({ds._header} bytes) and footer "
                f"({footer} bytes), the body has {body} bytes, which is not a multiple of "
                f"record_bytes={size}. Check record_bytes / header_bytes / footer_bytes."
            )
        self.close()
        raise StopIteration

    def get_state(self) -> dict[str, Any]:
        return {"next": self._next}

    def set_state(self, state: dict[str, Any]) -> None:
        self.close()
        self._next = int(state["next"])
        self._buffer, self._eof, self._damaged = b"", False, False

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


class FixedLengthRecordDataset(Dataset):
    """``tf.data.FixedLengthRecordDataset``: records of ``record_bytes`` bytes."""

    def __init__(
        self,
        filenames: Any,
        record_bytes: int,
        header_bytes: int | None = None,
        footer_bytes: int | None = None,
        buffer_size: int | None = None,
        compression_type: str | None = None,
        num_parallel_reads: int | None = None,
        name: str | None = None,
    ) -> None:
        self._names = filename_iterator(filenames)
        self._record = int(record_bytes)
        self._header = int(header_bytes or 0)
        self._footer = int(footer_bytes or 0)
        if self._record < 1 or self._header < 0 or self._footer < 0:
            raise InputError(
                f"FixedLengthRecordDataset: record_bytes must be positive and header/footer "
                f"bytes non-negative, got {record_bytes}, {header_bytes}, {footer_bytes}."
            )
        self._buffer_size = int(buffer_size) if buffer_size else _DEFAULT_BUFFER
        self._compression = _compression(compression_type) or None
        self._cycle = cycle_length_of(num_parallel_reads)

    def _open(self, path: str) -> _RecordFileIterator:
        return _RecordFileIterator(path, self)

    def _iterator(self) -> RoundRobin:
        return RoundRobin(self._names(), self._open, self._cycle)

    def _cardinality(self) -> int:
        return UNKNOWN
