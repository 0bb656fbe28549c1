"""``cache(filename="")``: record the elements of the first full pass and replay them.

**Memory** (``filename=""``): the first iteration that runs to the end records
its elements; later iterations (e.g. later epochs / ``repeat`` rounds) read
them from memory instead of running the input. A pass that stops early never
produces a (truncated) cache — as tf.data, the partial recording is dropped
and the next iteration records again.

**File** (``filename="path/prefix"``): elements are written next to
``filename`` and read back by later iterations and in later processes. The
format contains no pickle: chunks of elements are
``{filename}.tbcache-<run>-<k>.safetensors`` files (tensors as safetensors
tensors; strings, bytes, scalars and the element structure as JSON in the
safetensors metadata) and ``{filename}.tbcache-index.json`` lists the chunks.
The index is written last (atomically), so it exists only for a complete
cache; a cache with a missing, unreadable or inconsistent index or chunk
(e.g. a crash while writing) is ignored and written again, and the stale
chunk files are removed when the new cache is complete. An index that lists a
file other than this cache's own chunks in its folder (a path, ``..``, a
symlink) raises :class:`~torchbridge.errors.InputError` and is never followed. Namedtuple elements
come back as namedtuples of the same name and fields (a class re-created
from the file, not imported).

State: while reading, the position in the cache; while recording, the input's
state (a restored recording pass yields the same elements but does not
complete the cache: the next pass records it). A reading state restored where
the cache is gone (a memory cache in a new process) re-records from the start.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import glob
import json
import os
import struct
import threading
import time
import uuid
from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import Dataset
from torchbridge.errors import InputError


def _st_save(tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """``safetensors.torch.save``, imported on first use (keeps ``import torchbridge`` light)."""
    from safetensors.torch import save

    return save(tensors, metadata=metadata)


def _st_load(data: bytes) -> dict[str, torch.Tensor]:
    """``safetensors.torch.load``, imported on first use."""
    from safetensors.torch import load

    return load(data)


__all__ = ["CacheDataset"]

_FORMAT = "torchbridge-cache/1"
_CHUNK_ELEMENTS = 1024
_CHUNK_BYTES = 64 << 20


def _close(it: Any) -> None:
    getattr(it, "close", lambda: None)()


# --- element <-> (JSON, tensors) -----------------------------------------------------------


def _encode_string(x: str | bytes) -> Any:
    if isinstance(x, bytes):
        return {"b": base64.b64encode(x).decode("ascii")}
    return x


def _decode_string(x: Any) -> str | bytes:
    if isinstance(x, dict):
        return base64.b64decode(x["b"])
    return x


def _encode(x: Any, tensors: dict[str, torch.Tensor], prefix: str) -> Any:
    """JSON for one element; tensors go to ``tensors`` under ``prefix``-based names."""
    if isinstance(x, torch.Tensor):
        name = f"{prefix}.{len(tensors)}"
        # A private contiguous copy: safetensors refuses tensors that share storage.
        tensors[name] = x.detach().to("cpu").contiguous().clone()
        return {"t": name}
    if isinstance(x, (str, bytes)):
        return {"s": _encode_string(x)}
    if isinstance(x, np.ndarray) and x.dtype.kind in "OUS":
        flat = [_encode_string(v if isinstance(v, (str, bytes)) else str(v)) for v in x.ravel()]
        return {"sa": flat, "shape": list(x.shape)}
    if isinstance(x, np.ndarray):
        name = f"{prefix}.{len(tensors)}"
        tensors[name] = torch.from_numpy(np.ascontiguousarray(x)).clone()
        return {"t": name, "np": True}
    if isinstance(x, bool):
        return {"bool": x}
    if isinstance(x, int):
        return {"int": x}
    if isinstance(x, float):
        return {"float": repr(x)}
    if x is None:
        return {"none": True}
    if isinstance(x, dict):
        return {"dict": [[k, _encode(x[k], tensors, prefix)] for k in x]}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return {
            "namedtuple": type(x).__name__,
            "fields": list(x._fields),
            "items": [_encode(v, tensors, prefix) for v in x],
        }
    if isinstance(x, (tuple, list)):
        kind = "tuple" if isinstance(x, tuple) else "list"
        return {kind: [_encode(v, tensors, prefix) for v in x]}
    raise InputError(
        f"cache(filename=...) cannot store a {type(x).__name__} element component; file "
        "caches hold tensors, NumPy arrays, strings/bytes, Python scalars and tuples/dicts/lists "
        "of them. Convert it in a map() before cache(), or use the memory cache (filename='')."
    )


_NAMEDTUPLES: dict[tuple[str, tuple[str, ...]], type] = {}


def _decode(j: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if "t" in j:
        t = tensors[j["t"]]
        return t.numpy() if j.get("np") else t
    if "s" in j:
        return _decode_string(j["s"])
    if "sa" in j:
        out = np.empty(len(j["sa"]), dtype=object)
        out[:] = [_decode_string(v) for v in j["sa"]]
        return out.reshape(j["shape"])
    if "dict" in j:
        return {k: _decode(v, tensors) for k, v in j["dict"]}
    if "tuple" in j:
        return tuple(_decode(v, tensors) for v in j["tuple"])
    if "list" in j:
        return [_decode(v, tensors) for v in j["list"]]
    if "namedtuple" in j:
        key = (str(j["namedtuple"]), tuple(j["fields"]))
        cls = _NAMEDTUPLES.get(key)
        if cls is None:
            cls = _NAMEDTUPLES[key] = collections.namedtuple(key[0], key[1])  # type: ignore[misc]
        return cls(*(_decode(v, tensors) for v in j["items"]))
    if "bool" in j:
        return bool(j["bool"])
    if "int" in j:
        return int(j["int"])
    if "float" in j:
        return float(j["float"])
    if "none" in j:
        return None
    raise ValueError(f"unknown cache entry {sorted(j)}")


def _read_chunk(path: str) -> list[Any]:
    """The elements stored in one chunk file (safetensors; structure in its metadata)."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        (header_len,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8 : 8 + header_len])
        meta = json.loads(header["__metadata__"]["elements"])
        tensors = _st_load(data) if len(header) > 1 else {}
        return [_decode(j, tensors) for j in meta]
    except Exception as e:
        raise InputError(
            f"The cache file {path} is corrupted ({type(e).__name__}: {e}). Delete the files "
            f"{path.split('.tbcache-')[0]}.tbcache-* to rebuild the cache."
        ) from e


# --- the caches ------------------------------------------------------------------------------


class _MemoryCache:
    def __init__(self) -> None:
        self.elements: list[Any] | None = None
        self.lock = threading.Lock()

    def complete(self) -> bool:
        return self.elements is not None

    def length(self) -> int:
        return len(self.elements or ())

    def reader(self, start: int) -> Any:
        elements = self.elements or []
        return iter(elements[start:]) if start else iter(elements)

    def writer(self) -> _MemoryWriter:
        return _MemoryWriter(self)


class _MemoryWriter:
    def __init__(self, cache: _MemoryCache) -> None:
        self._cache = cache
        self._elements: list[Any] = []

    def add(self, element: Any) -> None:
        self._elements.append(element)

    def commit(self) -> None:
        with self._cache.lock:
            if self._cache.elements is None:
                self._cache.elements = self._elements
        self._elements = []

    def abort(self) -> None:
        self._elements = []


class _FileCache:
    def __init__(self, filename: str) -> None:
        self.prefix = os.fspath(filename)
        self.index_path = self.prefix + ".tbcache-index.json"
        self._index: dict[str, Any] | None = None
        self._index_stat: Any = None

    def _load_index(self) -> dict[str, Any] | None:
        """The index if the cache on disk is complete and consistent, else ``None``."""
        try:
            stat = os.stat(self.index_path)
        except OSError:
            self._index = None
            return None
        key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if self._index is not None and self._index_stat == key:
            return self._index
        try:
            with open(self.index_path, encoding="utf-8") as f:
                index = json.load(f)
            if index.get("format") != _FORMAT:
                return None
            total = 0
            for chunk in index["chunks"]:
                path = self._chunk_path(chunk["file"])
                if os.path.getsize(path) != int(chunk["bytes"]):
                    return None
                total += int(chunk["count"])
            if total != int(index["count"]):
                return None
        except InputError:
            raise  # an index pointing outside the cache: never silently rewritten over
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self._index, self._index_stat = index, key
        return index

    def _chunk_path(self, name: Any) -> str:
        """The path of a chunk the index lists; refuses any name that leaves the cache's files."""
        directory = os.path.dirname(os.path.abspath(self.index_path))
        own = os.path.basename(self.prefix) + ".tbcache-"
        path = os.path.join(directory, name) if isinstance(name, str) else ""
        if (
            not isinstance(name, str)
            or name != os.path.basename(name)
            or "\\" in name
            or "\x00" in name
            or not name.startswith(own)
            or not name.endswith(".safetensors")
            or os.path.islink(path)
            or os.path.dirname(os.path.realpath(path)) != os.path.realpath(directory)
        ):
            raise InputError(
                f"The cache index {self.index_path} lists the chunk {name!r}, which is not one of "
                f"this cache's files ({own}*.safetensors in {directory}); the index was not "
                f"followed. Delete the files {self.prefix}.tbcache-* to rebuild the cache."
            )
        return path

    def complete(self) -> bool:
        return self._load_index() is not None

    def length(self) -> int:
        index = self._load_index()
        return 0 if index is None else int(index["count"])

    def reader(self, start: int) -> Any:
        index = self._load_index()
        if index is None:
            raise InputError(f"The cache {self.index_path} disappeared while being read.")
        return _file_reader(index, self._chunk_path, start)

    def writer(self) -> _FileWriter:
        return _FileWriter(self)


def _file_reader(index: dict[str, Any], chunk_path: Any, start: int) -> Any:
    position = 0
    for chunk in index["chunks"]:
        count = int(chunk["count"])
        if position + count <= start:
            position += count
            continue
        elements = _read_chunk(chunk_path(chunk["file"]))
        yield from elements[max(0, start - position) :]
        position += count


class _FileWriter:
    def __init__(self, cache: _FileCache) -> None:
        self._cache = cache
        self._run = uuid.uuid4().hex[:12]
        self._started = time.time()
        self._pending_json: list[Any] = []
        self._pending_tensors: dict[str, torch.Tensor] = {}
        self._pending_bytes = 0
        self._chunks: list[dict[str, Any]] = []
        self._count = 0
        directory = os.path.dirname(cache.prefix)
        if directory:
            os.makedirs(directory, exist_ok=True)

    def add(self, element: Any) -> None:
        before = len(self._pending_tensors)
        self._pending_json.append(
            _encode(element, self._pending_tensors, f"e{len(self._pending_json)}")
        )
        for name in list(self._pending_tensors)[before:]:
            t = self._pending_tensors[name]
            self._pending_bytes += t.numel() * t.element_size()
        self._count += 1
        if len(self._pending_json) >= _CHUNK_ELEMENTS or self._pending_bytes >= _CHUNK_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self._pending_json:
            return
        name = f"{os.path.basename(self._cache.prefix)}.tbcache-{self._run}-{len(self._chunks):06d}"
        path = os.path.join(os.path.dirname(self._cache.prefix), name + ".safetensors")
        metadata = {"format": _FORMAT, "elements": json.dumps(self._pending_json)}
        data = _st_save(self._pending_tensors, metadata=metadata)
        with open(path, "wb") as f:
            f.write(data)
        self._chunks.append(
            {"file": os.path.basename(path), "count": len(self._pending_json), "bytes": len(data)}
        )
        self._pending_json, self._pending_tensors, self._pending_bytes = [], {}, 0

    def commit(self) -> None:
        self._flush()
        cache = self._cache
        if cache.complete():  # another pass finished first: keep its cache
            self.abort()
            return
        index = {"format": _FORMAT, "count": self._count, "chunks": self._chunks}
        tmp = f"{cache.index_path}.{self._run}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(index, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, cache.index_path)
        self._remove_stale()

    def _remove_stale(self) -> None:
        """Chunks of earlier, unfinished passes (written before this pass started)."""
        keep = {c["file"] for c in self._chunks}
        for path in glob.glob(glob.escape(self._cache.prefix) + ".tbcache-*"):
            base = os.path.basename(path)
            if base in keep or path == self._cache.index_path:
                continue
            try:
                if os.path.getmtime(path) < self._started:
                    os.remove(path)
            except OSError:
                pass

    def abort(self) -> None:
        directory = os.path.dirname(self._cache.prefix)
        for chunk in self._chunks:
            with contextlib.suppress(OSError):
                os.remove(os.path.join(directory, chunk["file"]))
        self._chunks = []
        self._pending_json, self._pending_tensors = [], {}


# --- the iterator -----------------------------------------------------------------------------


class _CacheIterator:
    """Reads a complete cache, or runs the input and records it (``writer``)."""

    def __init__(self, dataset: CacheDataset) -> None:
        self._ds = dataset
        self._up: Any = None
        self._reader: Any = None
        self._writer: Any = None
        self._skip = 0  # outputs to discard (a reading state restored as a recording pass)
        self._position = 0  # elements produced so far
        self._done = False
        self._begin()

    def _begin(self) -> None:
        cache = self._ds._cache
        if cache.complete():
            self._reader = cache.reader(0)
        else:
            self._up = self._ds._input._iterator()
            self._writer = cache.writer()

    def __iter__(self) -> _CacheIterator:
        return self

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        if self._reader is not None:
            try:
                element = next(self._reader)
            except StopIteration:
                self._done = True
                raise
            self._position += 1
            return element
        while True:
            try:
                element = next(self._up)
            except StopIteration:
                self._done = True
                if self._writer is not None:
                    self._writer.commit()
                    self._writer = None
                raise
            if self._writer is not None:
                self._writer.add(element)
            if self._skip:
                self._skip -= 1
                continue
            self._position += 1
            return element

    def get_state(self) -> dict[str, Any]:
        if self._reader is not None or self._done:
            return {"mode": "read", "position": self._position, "done": self._done}
        return {"mode": "write", "position": self._position, "upstream": self._up.get_state()}

    def set_state(self, state: dict[str, Any]) -> None:
        self._drop()
        cache = self._ds._cache
        position = int(state["position"])
        self._position = position
        self._done = bool(state.get("done", False))
        self._skip = 0
        if cache.complete() and position <= cache.length():
            self._reader = cache.reader(position)
        elif state["mode"] == "read":  # the cache is gone: record it again from the start
            self._up = self._ds._input._iterator()
            self._writer = cache.writer()
            self._skip = position
        else:  # mid-way through a recording pass: replay the rest, record nothing
            self._up = self._ds._input._iterator()
            self._up.set_state(state["upstream"])

    def _drop(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None
        if self._up is not None:
            _close(self._up)
            self._up = None
        self._reader = None

    def close(self) -> None:
        self._drop()
        self._done = True

    def __del__(self) -> None:
        try:
            if self._writer is not None:
                self._writer.abort()
        except Exception:
            pass


class CacheDataset(Dataset):
    def __init__(self, input: Dataset, filename: str = "") -> None:
        self._input = input
        self._filename = os.fspath(filename)
        self._cache: Any = _FileCache(self._filename) if self._filename else _MemoryCache()

    @property
    def _inputs(self) -> list[Dataset]:
        return [self._input]

    def _iterator(self) -> _CacheIterator:
        return _CacheIterator(self)

    def _cardinality(self) -> int:
        return self._input._cardinality()
