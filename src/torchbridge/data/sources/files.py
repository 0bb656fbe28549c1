"""File sources' shared plumbing, and ``Dataset.list_files``.

* :func:`list_files` — ``tf.data.Dataset.list_files``: the paths matching one
  or more glob patterns, sorted, then shuffled (by default) each iteration.
* :func:`glob_files` — the same matching, as a list (``make_csv_dataset`` uses it).
* :func:`open_binary` — open a path as a binary stream, uncompressed or with
  TF's ``compression_type`` ``"GZIP"`` / ``"ZLIB"``; a missing file raises
  :class:`~torchbridge.errors.InputError` naming the path, a truncated or corrupted
  compressed file :class:`~torchbridge.errors.DataLossError` naming the file and
  the byte offset (tf.data reads such text files silently short).
* :func:`filename_iterator` — the filenames argument of the file datasets
  (a path, a list of paths or a ``Dataset`` of paths) as a resumable iterator.
* :class:`RoundRobin` — tf.data's ``interleave(cycle_length, block_length=1)``
  order over per-file iterators, used for ``num_parallel_reads``. Files are
  read in turn on the calling thread: the order is tf.data's deterministic
  order; no threads are involved.
"""

from __future__ import annotations

import glob
import io
import os
import random
import zlib
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO

from torchbridge.data.dataset import Dataset
from torchbridge.errors import DataLossError, InputError

__all__ = [
    "list_files",
    "ListFilesDataset",
    "glob_files",
    "open_binary",
    "filename_iterator",
    "skip_bytes",
    "as_path",
    "cycle_length_of",
    "RoundRobin",
]


def _as_path_list(file_pattern: Any, what: str) -> list[str]:
    if isinstance(file_pattern, (str, bytes, os.PathLike)):
        items: list[Any] = [file_pattern]
    elif hasattr(file_pattern, "tolist") and not isinstance(file_pattern, Dataset):
        items = list(file_pattern.reshape(-1).tolist())
    elif isinstance(file_pattern, Sequence):
        items = list(file_pattern)
    else:
        raise InputError(
            f"{what} must be a path, a list of paths or a Dataset of paths; got "
            f"{type(file_pattern).__name__}."
        )
    out = []
    for p in items:
        if isinstance(p, bytes):
            p = p.decode("utf-8")
        out.append(os.fspath(p))
    return out


def glob_files(file_pattern: str | Sequence[str]) -> list[str]:
    """All paths matching the pattern(s), sorted; ``InputError`` naming the pattern if none."""
    patterns = _as_path_list(file_pattern, "file_pattern")
    if not patterns:
        raise InputError("file_pattern is an empty list; pass at least one path or glob pattern.")
    names: list[str] = []
    for pattern in patterns:
        names.extend(glob.glob(pattern))
    if not names:
        raise InputError(
            f"No files match file_pattern {file_pattern!r} (working directory {os.getcwd()!r}). "
            "Check the path and the glob wildcards."
        )
    return sorted(names)


# --- list_files ------------------------------------------------------------------------


class _ListFilesIterator:
    def __init__(
        self,
        names: list[str],
        pos: int = 0,
        on_restore: Callable[[int], None] | None = None,
        pass_index: int = 0,
    ) -> None:
        self._names = names
        self._pos = pos
        self._pass = pass_index
        self._on_restore = on_restore

    def __iter__(self) -> _ListFilesIterator:
        return self

    def __next__(self) -> str:
        if self._pos >= len(self._names):
            raise StopIteration
        self._pos += 1
        return self._names[self._pos - 1]

    def get_state(self) -> dict[str, Any]:
        return {"names": list(self._names), "pos": self._pos, "pass": self._pass}

    def set_state(self, state: dict[str, Any]) -> None:
        self._names = list(state["names"])
        self._pos = int(state["pos"])
        self._pass = int(state.get("pass", 0))
        if self._on_restore is not None:
            self._on_restore(self._pass)


class ListFilesDataset(Dataset):
    """The sorted matches of ``file_pattern``; shuffled anew for each iterator if asked.

    With a ``seed`` the n-th iterator's order is fixed (like tf.data's
    ``shuffle(seed=..., reshuffle_each_iteration=True)``: each pass differs, the
    sequence of passes is reproducible). The state holds the pass's order, so a
    resumed iterator continues the same order.
    """

    def __init__(self, names: list[str], shuffle: bool, seed: int | None) -> None:
        self._names = names
        self._shuffle = shuffle
        self._seed = seed
        self._passes = 0

    def _iterator(self) -> _ListFilesIterator:
        names = list(self._names)
        pass_index = self._passes
        if self._shuffle:
            seed = None if self._seed is None else (int(self._seed), pass_index)
            random.Random(str(seed) if seed is not None else None).shuffle(names)
            self._passes += 1
        return _ListFilesIterator(names, 0, self._restored, pass_index)

    def _restored(self, pass_index: int) -> None:
        # The next pass after a restored one is the one that followed it originally.
        if self._shuffle:
            self._passes = pass_index + 1

    def _cardinality(self) -> int:
        return len(self._names)


def list_files(
    file_pattern: str | Sequence[str], shuffle: bool | None = None, seed: int | None = None
) -> Dataset:
    """``tf.data.Dataset.list_files``: a Dataset of the matching paths (``str``).

    Matches are sorted; ``shuffle`` (default ``True``) shuffles them per
    iteration, deterministically when ``seed`` is given. Raises
    :class:`~torchbridge.errors.InputError` naming the pattern when nothing matches.
    """
    names = glob_files(file_pattern)
    return ListFilesDataset(names, True if shuffle is None else bool(shuffle), seed)


# --- opening files -----------------------------------------------------------------------


class _InflateReader(io.RawIOBase):
    """A GZIP (``wbits=31``) or ZLIB (``15``) file decompressed on the fly.

    Concatenated streams are read on, as TF does. A file that ends inside a
    stream, or a stream that fails its checks, raises
    :class:`~torchbridge.errors.DataLossError` naming the file and the byte
    offset — never a silent short read. The error comes only once every byte
    decompressed before it has been returned (a ``read`` that has data returns it
    and keeps the error for the next call); after it the file reads as ended.
    """

    def __init__(self, raw: BinaryIO, path: str, compression: str) -> None:
        self._raw = raw
        self._path = path
        self._compression = compression
        self._wbits = 31 if compression == "GZIP" else 15
        self._d = zlib.decompressobj(self._wbits)
        self._fed = False  # the current stream has begun
        self._pending = b""  # compressed bytes not yet decompressed
        self._buf = b""  # decompressed bytes not yet returned
        self._read = 0  # compressed bytes read from the file
        self._out = 0  # decompressed bytes produced
        self._error: DataLossError | None = None
        self._done = False

    def readable(self) -> bool:
        return True

    def _lost(self, what: str) -> DataLossError:
        return DataLossError(
            f"{self._path!r}: {what} (after {self._out} decompressed bytes). The file is "
            "damaged: re-create it, check compression_type, or use Dataset.ignore_errors() "
            "to skip the rest of the file."
        )

    def _produce(self) -> None:
        """Decompress more into ``_buf``; sets ``_done`` at a clean end, ``_error`` on damage."""
        while not self._buf:
            if not self._pending:
                self._pending = self._raw.read(1 << 16)
                self._read += len(self._pending)
                if not self._pending:
                    if self._fed:
                        self._error = self._lost(
                            f"the {self._compression} stream ends without its end marker at "
                            f"byte {self._read} of the file (the file is truncated)"
                        )
                    else:
                        self._done = True
                    return
            self._fed = True
            try:
                out = self._d.decompress(self._pending, 1 << 16)
            except zlib.error as e:
                self._error = self._lost(
                    f"the {self._compression} stream is corrupted before byte {self._read} "
                    f"of the file ({e})"
                )
                return
            self._pending = self._d.unconsumed_tail
            if self._d.eof:  # a complete stream; a concatenated one may follow
                self._pending = self._d.unused_data + self._pending
                self._d = zlib.decompressobj(self._wbits)
                self._fed = False
            self._out += len(out)
            self._buf = out

    def readinto(self, b: Any) -> int:
        view = memoryview(b).cast("B")
        filled = 0
        while filled < len(view):
            if not self._buf:
                if self._done or self._error is not None:
                    break
                self._produce()
                continue
            n = min(len(view) - filled, len(self._buf))
            view[filled : filled + n] = self._buf[:n]
            self._buf = self._buf[n:]
            filled += n
        if filled == 0 and self._error is not None:
            error, self._error, self._done = self._error, None, True
            raise error
        return filled

    def close(self) -> None:
        self._raw.close()
        super().close()


def _compression(compression_type: str | None) -> str:
    c = (compression_type or "").upper()
    if c not in ("", "GZIP", "ZLIB"):
        raise InputError(
            f"Unknown compression_type {compression_type!r}; use None/'' (none), 'GZIP' or 'ZLIB'."
        )
    return c


def open_binary(path: str, compression_type: str | None = None) -> BinaryIO:
    """Open ``path`` for binary reading, decompressing ``"GZIP"`` / ``"ZLIB"`` streams."""
    compression = _compression(compression_type)
    try:
        raw: BinaryIO = open(path, "rb")  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise InputError(
            f"File not found: {path!r}. Check the path (and the glob pattern)."
        ) from None
    except IsADirectoryError:
        raise InputError(f"{path!r} is a directory, not a file.") from None
    if compression:
        # Not wrapped in a BufferedReader: that would drop the data read before an error.
        return _InflateReader(raw, path, compression)  # type: ignore[return-value]
    return raw


def skip_bytes(f: BinaryIO, offset: int, path: str, compression_type: str | None) -> None:
    """Move to ``offset`` of the uncompressed stream: seek, or read up to it if compressed."""
    if offset <= 0:
        return
    if not _compression(compression_type):
        f.seek(offset)
        return
    left = offset
    while left > 0:
        chunk = f.read(min(left, 1 << 20))
        if not chunk:
            raise InputError(f"{path!r} is shorter than the saved reading position {offset}.")
        left -= len(chunk)


# --- the filenames argument ------------------------------------------------------------------


def filename_iterator(filenames: Any, what: str = "filenames") -> Callable[[], Any]:
    """A factory of resumable iterators over the filenames argument of a file dataset."""
    if isinstance(filenames, Dataset):
        dataset = filenames

        def from_dataset() -> Any:
            return dataset._iterator()

        return from_dataset
    names = _as_path_list(filenames, what)
    return lambda: _ListFilesIterator(names)


def as_path(name: Any) -> str:
    if isinstance(name, bytes):
        return name.decode("utf-8")
    if hasattr(name, "item") and not isinstance(name, str):  # a 0-d array / tensor
        return as_path(name.item())
    return os.fspath(name)


def cycle_length_of(num_parallel_reads: int | None) -> int:
    if num_parallel_reads is None:
        return 1
    n = int(num_parallel_reads)
    if n == -1:  # AUTOTUNE: one per CPU core, like tf.data
        return max(1, os.cpu_count() or 1)
    if n < 1:
        raise InputError(f"num_parallel_reads must be >= 1 or AUTOTUNE (-1), got {n}.")
    return n


# --- interleaving files ---------------------------------------------------------------------


class RoundRobin:
    """tf.data's interleave order (``block_length=1``) over per-file iterators.

    ``open_fn(path)`` returns a resumable iterator for one file. Slots are
    filled lazily as the cycle reaches them; an exhausted file frees its slot,
    which the next file takes when the cycle comes back to it — the exact order
    of tf.data's ``interleave`` (and so of ``num_parallel_reads``).
    """

    def __init__(self, names: Any, open_fn: Callable[[str], Any], cycle_length: int) -> None:
        self._names = names  # resumable iterator of file names
        self._open = open_fn
        self._slots: list[tuple[str, Any] | None] = [None] * cycle_length
        self._index = 0
        self._end_of_input = False
        self._open_count = 0

    def __iter__(self) -> RoundRobin:
        return self

    def __next__(self) -> Any:
        n = len(self._slots)
        while not self._end_of_input or self._open_count > 0:
            slot = self._slots[self._index]
            if slot is not None:
                try:
                    element = next(slot[1])
                except StopIteration:
                    _close(slot[1])
                    self._slots[self._index] = None
                    self._open_count -= 1
                    self._index = (self._index + 1) % n
                    continue
                self._index = (self._index + 1) % n
                return element
            if not self._end_of_input:
                try:
                    name = as_path(next(self._names))
                except StopIteration:
                    self._end_of_input = True
                    continue
                self._slots[self._index] = (name, self._open(name))
                self._open_count += 1
            else:
                self._index = (self._index + 1) % n
        raise StopIteration

    def get_state(self) -> dict[str, Any]:
        return {
            "names": self._names.get_state(),
            "slots": [None if s is None else (s[0], s[1].get_state()) for s in self._slots],
            "index": self._index,
            "end_of_input": self._end_of_input,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.close()
        self._names.set_state(state["names"])
        self._slots = []
        for s in state["slots"]:
            if s is None:
                self._slots.append(None)
                continue
            it = self._open(s[0])
            it.set_state(s[1])
            self._slots.append((s[0], it))
        self._open_count = sum(s is not None for s in self._slots)
        self._index = int(state["index"])
        self._end_of_input = bool(state["end_of_input"])

    def close(self) -> None:
        for s in self._slots:
            if s is not None:
                _close(s[1])
        self._slots = [None] * len(self._slots)
        self._open_count = 0


def _close(it: Any) -> None:
    close = getattr(it, "close", None)
    if close is not None:
        close()
