"""Reading the tensors of TF-era Hugging Face checkpoint files, safely.

transformers 4's TensorFlow classes saved weights in three layouts, all read here
into ``{TF weight name: NumPy array}`` (names with the TF model's scope, as
``tf_bert_for_sequence_classification/bert/.../kernel:0``):

* ``tf_model.h5`` — Keras's ``save_weights`` HDF5 layout: the root's ``layer_names``,
  one group per layer whose ``weight_names`` list its datasets;
* ``tf_model.h5.index.json`` + ``tf_model-0000i-of-0000n.h5`` — sharded: the index
  maps each weight to its shard, where the dataset sits at the name without scope;
* ``model.safetensors`` (and its index) whose metadata says ``format: tf`` — TF
  names without scope. transformers 5 loads such a file as if it were PyTorch's
  and initialises every weight randomly; :func:`find_tf_weights` catches it.

Nothing is executed and nothing is read before everything has been checked:
HDF5 hard links only, plain numeric datasets stored in the file, declared sizes
bounded by the file's size; index files small JSON naming shards in the same
folder. Every problem is a :class:`~torchbridge.errors.SavedFormatError` naming
the file and the tensor.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

from torchbridge.errors import InputError, SavedFormatError

__all__ = [
    "TF_WEIGHTS_NAME",
    "TF_SHARD_INDEX",
    "find_tf_weights",
    "is_tf_safetensors",
    "read_tf_weights",
]

TF_WEIGHTS_NAME = "tf_model.h5"
TF_SHARD_INDEX = "tf_model.h5.index.json"
_SAFETENSORS = "model.safetensors"
_SAFETENSORS_INDEX = "model.safetensors.index.json"
_PT_ONLY = ("pytorch_model.bin", "pytorch_model.bin.index.json")
_SCOPE = "tf_model"  # stands in for the scope that sharded / safetensors names lack
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_NUMERIC_KINDS = "biuf"
_ATTR_LIMIT = 64 * 2**20  # bytes of one names attribute
_INDEX_LIMIT = 64 * 2**20  # bytes of an index JSON
_HEADER_LIMIT = 100 * 2**20  # bytes of a safetensors header
_MAX_TENSORS = 200_000
_MAX_NAME = 1024
_SLACK = 2**20  # declared bytes allowed beyond the file's size (headers, rounding)


def _bad(path: str, what: str) -> SavedFormatError:
    return SavedFormatError(
        f"{path!r} is not a TensorFlow checkpoint torchbridge will read: {what}. Only the "
        "weight files transformers' TF classes write (HDF5 with hard links and numeric "
        "datasets stored in the file, or safetensors) are converted; a damaged download "
        "must be fetched again."
    )


def _names(group: Any, attr: str, path: str) -> list[str]:
    """A list-of-names attribute, also when Keras split it into ``attr0``, ``attr1`` ..."""
    attrs = group.attrs
    keys = [attr] if attr in attrs else []
    if not keys:
        while f"{attr}{len(keys)}" in attrs:
            keys.append(f"{attr}{len(keys)}")
    out: list[str] = []
    for key in keys:
        try:
            size = int(attrs.get_id(key).get_storage_size())
        except RuntimeError:  # HDF5 reports an empty attribute's size as an error
            size = 0
        if size > _ATTR_LIMIT:
            raise _bad(path, f"the attribute {group.name}/{key} holds {size} bytes")
        values = np.asarray(attrs[key])
        if values.size and values.dtype.kind not in "OSU":
            raise _bad(path, f"the attribute {group.name}/{key} does not list names")
        out += [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values.ravel()]
        if len(out) > _MAX_TENSORS:
            raise _bad(path, f"{group.name} lists more than {_MAX_TENSORS} names")
    return out


def _resolve(h5py: Any, group: Any, relative: str, path: str, tensor: str) -> Any:
    """The dataset ``group/relative``, following hard links only."""
    current = group
    parts = relative.split("/")
    for i, part in enumerate(parts):
        if not part or part in (".", ".."):
            raise _bad(path, f"the tensor {tensor!r} has an empty or relative path part")
        link = current.get(part, default=None, getlink=True)
        if link is None:
            raise SavedFormatError(
                f"{path!r}: the tensor {tensor!r} is listed in {group.name}'s weight_names but "
                f"the file has no dataset {current.name.rstrip('/')}/{part}. The checkpoint "
                "is incomplete; download or save it again."
            )
        if not isinstance(link, h5py.HardLink):
            raise _bad(path, f"{current.name.rstrip('/')}/{part} is a {type(link).__name__}")
        want = h5py.Dataset if i == len(parts) - 1 else h5py.Group
        if current.get(part, getclass=True) is not want:
            raise _bad(path, f"{current.name.rstrip('/')}/{part} is not an HDF5 {want.__name__}")
        current = current[part]
    return current


def _check(ds: Any, path: str, tensor: str) -> None:
    if ds.external:
        raise _bad(path, f"the tensor {tensor!r} keeps its data in external files")
    if ds.is_virtual:
        raise _bad(path, f"the tensor {tensor!r} is a virtual dataset")
    dtype = ds.dtype
    if dtype.kind not in _NUMERIC_KINDS or dtype.names is not None or dtype.shape != ():
        raise SavedFormatError(
            f"{path!r}: the tensor {tensor!r} has dtype {dtype}, not a number type; a "
            "TensorFlow checkpoint holds numeric weights only."
        )


def _datasets(h5py: Any, f: Any, path: str) -> dict[str, Any]:
    """TF weight name (with its model scope) → dataset, checked, nothing read yet."""
    found: dict[str, Any] = {}
    layer_names = _names(f, "layer_names", path)
    if not layer_names:
        raise _bad(path, "it has no 'layer_names' attribute (not a Keras weights file)")
    for layer in layer_names:
        group = _resolve_group(h5py, f, layer, path)
        for name in _names(group, "weight_names", path):
            if len(name) > _MAX_NAME:
                raise _bad(path, f"a weight name in {group.name} is {len(name)} characters long")
            if name not in found:  # a weight shared by two layers is stored under each
                found[name] = _resolve(h5py, group, name, path, name)
    return found


def _resolve_group(h5py: Any, f: Any, layer: str, path: str) -> Any:
    link = f.get(layer, default=None, getlink=True) if layer and "/" not in layer else None
    if link is None:
        raise _bad(path, f"the layer {layer!r} named in layer_names has no group")
    if not isinstance(link, h5py.HardLink) or f.get(layer, getclass=True) is not h5py.Group:
        raise _bad(path, f"the layer {layer!r} is not a plain HDF5 group")
    return f[layer]


def _keras_layout(h5py: Any, f: Any, path: str) -> dict[str, Any]:
    """``tf_model.h5``: TF weight name → dataset, found through layer_names / weight_names."""
    return _datasets(h5py, f, path)


def _read_h5(
    path: str,
    locate: Callable[[Any, Any, str], dict[str, Any]],
    max_bytes: int | None,
) -> dict[str, np.ndarray]:
    from torchbridge.saving.keras_format.weights_h5 import require_h5py

    if not os.path.isfile(path):
        raise InputError(f"{path!r} does not exist; pass the path of a tf_model.h5 file.")
    with open(path, "rb") as fh:
        if fh.read(len(_HDF5_SIGNATURE)) != _HDF5_SIGNATURE:
            raise _bad(path, "it is not an HDF5 file")
    limit = os.path.getsize(path) + _SLACK if max_bytes is None else int(max_bytes)
    h5py = require_h5py()
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise _bad(path, f"HDF5 cannot open it ({e})") from None
    with f:
        try:
            datasets = locate(h5py, f, path)
            total = 0
            for name, ds in datasets.items():
                _check(ds, path, name)
                total += int(np.prod(ds.shape, dtype=np.int64)) * ds.dtype.itemsize
                if total > limit:
                    raise SavedFormatError(
                        f"{path!r}: the tensor {name!r} declares shape {ds.shape} "
                        f"({ds.dtype}); the tensors declare more than {limit} bytes in a "
                        f"{os.path.getsize(path)}-byte file. The file is damaged or forged; "
                        "nothing was read."
                    )
            out: dict[str, np.ndarray] = {}
            for name, ds in datasets.items():
                array = np.empty(ds.shape, dtype=ds.dtype)
                if array.size:
                    ds.read_direct(array)
                out[name] = array
        except (OSError, RuntimeError, KeyError, ValueError) as e:
            if isinstance(e, SavedFormatError):
                raise
            raise _bad(path, f"HDF5 could not read it ({type(e).__name__}: {e})") from None
    return out


def _strip_scope(name: str) -> str:
    """The name transformers stored in shards and safetensors (its scope dropped)."""
    return name if "model." in name or "/" not in name else name.split("/", 1)[1]


def _with_scope(stored: str) -> str:
    return stored if "model." in stored else f"{_SCOPE}/{stored}"


def _read_index(path: str) -> dict[str, str]:
    """An index JSON's ``weight_map`` (weight → shard file in the same folder), checked."""
    if os.path.getsize(path) > _INDEX_LIMIT:
        raise _bad(path, f"the index is larger than {_INDEX_LIMIT} bytes")
    try:
        with open(path, encoding="utf-8") as f:
            index = json.load(f)
    except (OSError, ValueError, RecursionError) as e:
        raise _bad(path, f"the index is not valid JSON ({type(e).__name__})") from None
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in weight_map.items()
    ):
        raise _bad(path, "the index has no weight_map of names to shard files")
    folder = os.path.dirname(path)
    for shard in set(weight_map.values()):
        if os.path.basename(shard) != shard or shard in ("", ".", ".."):
            raise _bad(path, f"the shard {shard!r} is not a file name in the same folder")
        if not os.path.isfile(os.path.join(folder, shard)):
            raise SavedFormatError(
                f"{path!r} names the shard {shard!r}, which is not in {folder!r}; the "
                "checkpoint is incomplete: download all of its files."
            )
    return weight_map


def _read_h5_shards(index_path: str, max_bytes: int | None) -> dict[str, np.ndarray]:
    weight_map = _read_index(index_path)
    folder = os.path.dirname(index_path)
    out: dict[str, np.ndarray] = {}
    for shard in sorted(set(weight_map.values())):
        names = [n for n, s in weight_map.items() if s == shard]

        def locate(h5py: Any, f: Any, path: str, names: list[str] = names) -> dict[str, Any]:
            return {n: _resolve(h5py, f, _strip_scope(n), path, n) for n in names}

        out.update(_read_h5(os.path.join(folder, shard), locate, max_bytes))
    return out


def _safetensors_header(path: str) -> dict[str, Any]:
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise _bad(path, "it is too short for a safetensors file")
        (length,) = struct.unpack("<Q", head)
        if length > min(_HEADER_LIMIT, size - 8):
            raise _bad(path, f"its header declares {length} bytes")
        try:
            header = json.loads(f.read(length))
        except (ValueError, RecursionError) as e:
            raise _bad(path, f"its header is not valid JSON ({type(e).__name__})") from None
    if not isinstance(header, dict):
        raise _bad(path, "its header is not a JSON object")
    return header


def is_tf_safetensors(path: str | os.PathLike[str]) -> bool:
    """Whether a safetensors file was written by transformers' TF classes (``format: tf``)."""
    try:
        header = _safetensors_header(os.fspath(path))
    except (OSError, SavedFormatError):
        return False
    metadata = header.get("__metadata__")
    return isinstance(metadata, dict) and metadata.get("format") == "tf"


def _read_safetensors(path: str) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError, safe_open

    if not is_tf_safetensors(path):
        raise _bad(path, "its metadata does not say format 'tf'")
    out: dict[str, np.ndarray] = {}
    try:
        with safe_open(path, framework="np") as f:
            for stored in f.keys():  # noqa: SIM118  (safe_open is not a mapping)
                array = np.asarray(f.get_tensor(stored))
                if array.dtype.kind not in _NUMERIC_KINDS:
                    raise SavedFormatError(
                        f"{path!r}: the tensor {stored!r} has dtype {array.dtype}, not a "
                        "number type."
                    )
                out[_with_scope(stored)] = array
    except (SafetensorError, OSError, ValueError, TypeError) as e:
        if isinstance(e, SavedFormatError):
            raise
        raise _bad(path, f"safetensors could not read it ({type(e).__name__}: {e})") from None
    return out


def read_tf_weights(
    filepath: str | os.PathLike[str], max_bytes: int | None = None
) -> dict[str, np.ndarray]:
    """The tensors of a TF-era checkpoint file: TF weight name → array.

    ``filepath``: ``tf_model.h5``, ``tf_model.h5.index.json`` (sharded), or a
    TF-format ``model.safetensors`` (or its index). For HDF5 every dataset is checked
    before any is read; the declared sizes of one file together may not exceed
    ``max_bytes`` (default: the file's size plus 1 MiB — weights are stored
    uncompressed, so more means a forged header).
    """
    path = os.fspath(filepath)
    if not os.path.isfile(path):
        raise InputError(f"{path!r} does not exist; pass the path of a tf_model.h5 file.")
    if path.endswith(".index.json"):
        if path.endswith(".h5.index.json"):
            return _read_h5_shards(path, max_bytes)
        out: dict[str, np.ndarray] = {}
        folder = os.path.dirname(path)
        for shard in sorted(set(_read_index(path).values())):
            out.update(_read_safetensors(os.path.join(folder, shard)))
        return out
    if path.endswith(".safetensors"):
        return _read_safetensors(path)
    return _read_h5(path, _keras_layout, max_bytes)


def find_tf_weights(directory: str | os.PathLike[str]) -> str | None:
    """The TF weights file of a local checkpoint folder that has no PyTorch weights, or None.

    ``tf_model.h5``, its shard index, or a TF-format ``model.safetensors`` (or index).
    """
    path = os.fspath(directory)
    if not os.path.isdir(path):
        return None
    names = set(os.listdir(path))
    if any(n in names for n in _PT_ONLY):
        return None
    if _SAFETENSORS in names or _SAFETENSORS_INDEX in names:
        if _SAFETENSORS in names:
            first = _SAFETENSORS
        else:
            try:
                shards = sorted(set(_read_index(os.path.join(path, _SAFETENSORS_INDEX)).values()))
            except SavedFormatError:
                return None  # transformers reports a broken PyTorch index itself
            first = shards[0] if shards else ""
        if first and is_tf_safetensors(os.path.join(path, first)):
            return os.path.join(path, _SAFETENSORS if _SAFETENSORS in names else _SAFETENSORS_INDEX)
        return None
    for name in (TF_WEIGHTS_NAME, TF_SHARD_INDEX):
        if name in names:
            return os.path.join(path, name)
    return None
