"""The on-disk form of ``Dataset.save`` / ``Dataset.load`` / ``snapshot``.

A saved dataset is a directory: ``dataset_spec.json`` (format, element count, shard
list, compression) and per shard a folder of chunk files, each a safetensors file holding
up to ``CHUNK`` elements' tensors, with the elements' structures and text leaves as JSON
in its metadata — no pickle, so loading a dataset never runs code. ``compression`` is
``None`` or ``"GZIP"``. This is torchbridge's own layout: TensorFlow's saved datasets
cannot be read (and vice versa).

The writer streams (``snapshot`` writes while it yields) and finishes atomically: chunks
go to a temporary folder renamed into place when the input is exhausted.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import struct
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError, SavedFormatError

__all__ = ["DatasetWriter", "read_spec", "read_chunk", "chunk_paths", "CHUNK"]

CHUNK = 256
_FORMAT = "torchbridge.data.save"
_SPEC = "dataset_spec.json"


def _check_compression(compression: str | None) -> str | None:
    if compression in (None, "", "NONE", "AUTO"):
        return None
    if str(compression).upper() == "GZIP":
        return "GZIP"
    raise InputError(
        f"Dataset.save/load/snapshot: compression {compression!r} is not supported; use "
        "None or 'GZIP'."
    )


# --- one element <-> JSON-able structure + tensors ----------------------------------------
def _encode(x: Any, tensors: dict[str, torch.Tensor], prefix: str) -> Any:
    if isinstance(x, torch.Tensor):
        key = f"{prefix}/{len(tensors)}"
        tensors[key] = x.detach().cpu().contiguous().clone()
        return {"t": key}
    if isinstance(x, str):
        return {"s": x}
    if isinstance(x, bytes):
        return {"b": base64.b64encode(x).decode("ascii")}
    if isinstance(x, np.ndarray) and x.dtype.kind in "OUS":
        flat = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in x.reshape(-1)]
        return {
            "a": flat,
            "shape": list(x.shape),
            "bytes": x.size > 0 and isinstance(x.reshape(-1)[0], bytes),
        }
    if isinstance(x, np.ndarray):
        return _encode(torch.from_numpy(np.ascontiguousarray(x)), tensors, prefix)
    if isinstance(x, dict):
        return {"d": [[k, _encode(v, tensors, prefix)] for k, v in x.items()]}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        raise InputError("Dataset.save cannot store namedtuple elements; map them to tuples.")
    if isinstance(x, (tuple, list)):
        return {"l" if isinstance(x, list) else "u": [_encode(v, tensors, prefix) for v in x]}
    if isinstance(x, (bool, int, float)):
        return _encode(torch.as_tensor(x), tensors, prefix)
    raise InputError(
        f"Dataset.save cannot store an element component of type {type(x).__name__}; "
        "elements must be tensors, strings or nests of them."
    )


def _decode(node: dict[str, Any], tensors: dict[str, torch.Tensor]) -> Any:
    if "t" in node:
        return tensors[node["t"]]
    if "s" in node:
        return node["s"]
    if "b" in node:
        return base64.b64decode(node["b"])
    if "a" in node:
        values = [v.encode("latin-1") for v in node["a"]] if node.get("bytes") else node["a"]
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(node["shape"])
    if "d" in node:
        return {k: _decode(v, tensors) for k, v in node["d"]}
    if "l" in node:
        return [_decode(v, tensors) for v in node["l"]]
    return tuple(_decode(v, tensors) for v in node["u"])


# --- chunks ---------------------------------------------------------------------------------
def _write_chunk(path: str, elements: list[Any], compression: str | None) -> None:
    from safetensors.torch import save

    tensors: dict[str, torch.Tensor] = {}
    structures = [_encode(e, tensors, str(i)) for i, e in enumerate(elements)]
    data = save(tensors, metadata={"elements": json.dumps(structures)})
    if compression == "GZIP":
        data = gzip.compress(data)
    with open(path, "wb") as f:
        f.write(data)


def read_chunk(path: str, compression: str | None) -> list[Any]:
    from safetensors.torch import load

    with open(path, "rb") as f:
        data = f.read()
    if compression == "GZIP":
        data = gzip.decompress(data)
    try:
        (n,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8 : 8 + n])
        structures = json.loads(header["__metadata__"]["elements"])
    except (struct.error, ValueError, KeyError) as e:
        raise SavedFormatError(
            f"{path} is not a chunk of a torchbridge saved dataset ({e}); was it written by "
            "Dataset.save with the same compression?"
        ) from None
    tensors = load(data)
    return [_decode(s, tensors) for s in structures]


def read_spec(path: str) -> dict[str, Any]:
    spec_path = os.path.join(path, _SPEC)
    if not os.path.isfile(spec_path):
        raise FileNotFoundError(
            f"No saved dataset at {path!r} ({_SPEC} is missing); write one with "
            "Dataset.save(path) first."
        )
    with open(spec_path, encoding="utf-8") as f:
        spec: dict[str, Any] = json.load(f)
    if spec.get("format") != _FORMAT:
        raise SavedFormatError(f"{spec_path} is not a torchbridge saved dataset.")
    return spec


def chunk_paths(path: str, shard: str, count: int) -> list[str]:
    return [os.path.join(path, shard, f"chunk_{i:05d}.safetensors") for i in range(count)]


class DatasetWriter:
    """Streams elements into ``path`` (shards chosen by ``shard_func``); :meth:`finish`
    makes the result appear atomically, :meth:`abort` drops it."""

    def __init__(
        self,
        path: str,
        compression: str | None = None,
        shard_func: Callable[[Any], Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self._path = os.fspath(path)
        self._compression = _check_compression(compression)
        self._shard_func = shard_func
        self._extra = extra or {}
        parent = os.path.dirname(os.path.abspath(self._path))
        os.makedirs(parent, exist_ok=True)
        self._tmp = os.path.join(
            parent, f".{os.path.basename(self._path)}.tmp-{uuid.uuid4().hex[:8]}"
        )
        os.makedirs(self._tmp)
        self._pending: dict[int, list[Any]] = {}
        self._chunks: dict[int, int] = {}
        self._count = 0

    def add(self, element: Any) -> None:
        shard = 0
        if self._shard_func is not None:
            from torchbridge.data.ops._call import call_on_element

            value = call_on_element(self._shard_func, element)
            shard = int(value.item() if isinstance(value, torch.Tensor) else value)
            if shard < 0:
                raise InputError(f"Dataset.save: shard_func returned {shard}; use >= 0.")
        bucket = self._pending.setdefault(shard, [])
        bucket.append(element)
        self._count += 1
        if len(bucket) >= CHUNK:
            self._flush(shard)

    def _flush(self, shard: int) -> None:
        elements = self._pending.pop(shard, [])
        if not elements:
            return
        index = self._chunks.get(shard, 0)
        folder = os.path.join(self._tmp, f"shard_{shard:05d}")
        os.makedirs(folder, exist_ok=True)
        _write_chunk(
            os.path.join(folder, f"chunk_{index:05d}.safetensors"), elements, self._compression
        )
        self._chunks[shard] = index + 1

    def finish(self) -> None:
        for shard in list(self._pending):
            self._flush(shard)
        spec = {
            "format": _FORMAT,
            "version": 1,
            "cardinality": self._count,
            "compression": self._compression,
            "shards": [[f"shard_{s:05d}", n] for s, n in sorted(self._chunks.items())],
            **self._extra,
        }
        with open(os.path.join(self._tmp, _SPEC), "w", encoding="utf-8") as f:
            json.dump(spec, f)
        if os.path.isdir(self._path):
            shutil.rmtree(self._path)
        os.replace(self._tmp, self._path)

    def abort(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)
