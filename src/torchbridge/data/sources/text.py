"""``TextLineDataset``: one element per line of one or more text files.

Like ``tf.data.TextLineDataset`` — lines split on ``\\n``, every ``\\r`` in a
line dropped (so ``\\r\\n`` files read like ``\\n`` files), empty lines kept, a
last line without a newline kept, files read in order or, with
``num_parallel_reads``, interleaved one line at a time in tf.data's order —
with one deliberate difference: **elements are Python ``str``** decoded as
UTF-8 (tf.data yields ``bytes``). A file that is not valid UTF-8 raises
:class:`~torchbridge.errors.InputError` naming the file and line. A truncated or
corrupted GZIP/ZLIB file yields its complete lines, then raises
:class:`~torchbridge.errors.DataLossError` naming the file and byte offset, and
the rest of that file is skipped (tf.data silently yields what it could read).

Files are read in large chunks (``buffer_size`` bytes, default 256 KiB) that
are decoded and split in bulk. An iterator's state is the file position
(``{"offset": byte offset of the next line, "line": its line number}`` per
open file), so a restored iterator seeks straight there.
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

__all__ = ["TextLineDataset"]

_DEFAULT_BUFFER = 256 * 1024


class _TextFileIterator:
    """The lines of one file, read in chunks; state is the byte offset of the next line."""

    def __init__(self, path: str, compression_type: str | None, buffer_size: int) -> None:
        self._path = path
        self._compression = compression_type
        self._buffer_size = buffer_size
        self._f: Any = None
        self._eof = False
        self._tail = b""  # bytes after the last newline read so far
        self._body = b""  # the raw bytes of the current chunk's lines
        self._body_offset = 0  # stream offset of self._body
        self._body_line = 0  # line number (0-based) of the chunk's first line
        self._lines: list[str] = []
        self._pos = 0
        self._start_offset = 0
        self._start_line = 0

    def __iter__(self) -> _TextFileIterator:
        return self

    def __next__(self) -> str:
        pos = self._pos
        if pos < len(self._lines):
            self._pos = pos + 1
            return self._lines[pos]
        while self._fill():
            if self._lines:
                self._pos = 1
                return self._lines[0]
        raise StopIteration

    def _fill(self) -> bool:
        """Read the next chunk of whole lines; ``False`` at the end of the file."""
        if self._f is None:
            self._f = open_binary(self._path, self._compression)
            skip_bytes(self._f, self._start_offset, self._path, self._compression)
            self._body_offset = self._start_offset
            self._body_line = self._start_line
        else:
            self._body_offset += len(self._body)
            self._body_line += len(self._lines)
        if self._eof and not self._tail:
            self._body, self._lines, self._pos = b"", [], 0
            return False
        data = self._tail
        while True:
            if self._eof:
                body, self._tail = data, b""
                break
            try:
                chunk = self._f.read(self._buffer_size)
            except DataLossError:  # a damaged compressed file: the rest of it is skipped
                self._eof, self._tail, self._body, self._lines = True, b"", b"", []
                raise
            if not chunk:
                self._eof = True
                continue
            data += chunk
            cut = data.rfind(b"\n")
            if cut >= 0:
                body, self._tail = data[: cut + 1], data[cut + 1 :]
                break
        self._body, self._pos = body, 0
        if not body:
            self._lines = []
            return False
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            line = self._body_line + body.count(b"\n", 0, e.start) + 1
            raise InputError(
                f"{self._path!r}, line {line}: not valid UTF-8 ({e.reason} at byte "
                f"{self._body_offset + e.start}). TextLineDataset decodes lines as UTF-8; "
                "re-encode the file."
            ) from None
        if "\r" in text:
            text = text.replace("\r", "")
        lines = text.split("\n")
        if body.endswith(b"\n"):
            lines.pop()
        self._lines = lines
        return True

    def get_state(self) -> dict[str, Any]:
        if self._f is None:
            return {"offset": self._start_offset, "line": self._start_line}
        # the byte offset of the next line inside the current chunk
        idx = -1
        for _ in range(self._pos):
            idx = self._body.find(b"\n", idx + 1)
            if idx < 0:  # the last line, without a newline, has been read
                idx = len(self._body) - 1
                break
        return {"offset": self._body_offset + idx + 1, "line": self._body_line + self._pos}

    def set_state(self, state: dict[str, Any]) -> None:
        self.close()
        self._start_offset = int(state["offset"])
        self._start_line = int(state["line"])
        self._eof, self._tail, self._body, self._lines, self._pos = False, b"", b"", [], 0

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


class TextLineDataset(Dataset):
    """``tf.data.TextLineDataset``: the lines (``str``) of one or more text files.

    ``filenames`` is a path, a list of paths or a Dataset of paths;
    ``compression_type`` is ``None``/``""``, ``"GZIP"`` or ``"ZLIB"``;
    ``num_parallel_reads`` (or ``AUTOTUNE``) interleaves that many files one
    line at a time, in tf.data's order (on the calling thread).
    """

    def __init__(
        self,
        filenames: Any,
        compression_type: str | None = None,
        buffer_size: int | None = None,
        num_parallel_reads: int | None = None,
        name: str | None = None,
    ) -> None:
        self._names = filename_iterator(filenames)
        self._compression = _compression(compression_type) or None
        self._buffer_size = int(buffer_size) if buffer_size else _DEFAULT_BUFFER
        if self._buffer_size < 1:
            raise InputError(f"buffer_size must be positive, got {buffer_size}.")
        self._cycle = cycle_length_of(num_parallel_reads)

    def _open(self, path: str) -> _TextFileIterator:
        return _TextFileIterator(path, self._compression, self._buffer_size)

    def _iterator(self) -> RoundRobin:
        return RoundRobin(self._names(), self._open, self._cycle)

    def _cardinality(self) -> int:
        return UNKNOWN
