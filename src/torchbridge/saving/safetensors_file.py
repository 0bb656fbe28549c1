"""Reading one ``.safetensors`` file defensively: the header is checked before any tensor is read.

:func:`read_safetensors` refuses, with a :class:`~torchbridge.errors.SavedFormatError`
naming the file and the problem, a header length larger than the file (or
than :data:`MAX_HEADER_BYTES`), a header that is not a JSON object, an
unknown dtype, a malformed shape, tensor offsets outside the data section,
overlapping tensors, a byte size that does not match dtype x shape, and
metadata that is not ``str -> str``. Only then does ``safetensors`` map the
tensors; its own errors are reported the same way. Nothing is unpickled.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import struct
from typing import Any

import torch

from torchbridge.errors import SavedFormatError

__all__ = ["read_safetensors", "check_safetensors_header", "MAX_HEADER_BYTES"]

#: The largest JSON header accepted (the limit the safetensors format itself sets).
MAX_HEADER_BYTES = 100 * 1024 * 1024

_ITEM_BYTES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "F64": 8,
    "I64": 8,
    "U64": 8,
}


def _bad(path: str, problem: str) -> SavedFormatError:
    return SavedFormatError(
        f"{path!r} is not a valid safetensors file: {problem}. It was not loaded; the file is "
        "damaged or was not written by safetensors (torchbridge never loads pickled "
        "checkpoints: convert a .pt/.bin file with safetensors.torch.save_file first)."
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_safetensors_header(path: str) -> dict[str, Any]:
    """The validated JSON header of ``path`` (see the module docstring for what is refused)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            prefix = f.read(8)
            if len(prefix) < 8:
                raise _bad(path, f"the file is {size} bytes, shorter than the 8-byte header length")
            (header_len,) = struct.unpack("<Q", prefix)
            if header_len > size - 8 or header_len > MAX_HEADER_BYTES:
                raise _bad(
                    path,
                    f"the header declares {header_len} bytes but the file has {size - 8} after "
                    f"the length field (limit {MAX_HEADER_BYTES})",
                )
            raw = f.read(header_len)
    except OSError as e:
        raise SavedFormatError(f"Cannot read the safetensors file {path!r}: {e}.") from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _bad(path, f"the header is not valid JSON ({type(e).__name__}: {e})") from None
    if not isinstance(header, dict):
        raise _bad(path, f"the header is a JSON {type(header).__name__}, not an object")
    data_len = size - 8 - header_len
    spans: list[tuple[int, int, str]] = []
    for name, entry in header.items():
        if name == "__metadata__":
            if not isinstance(entry, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in entry.items()
            ):
                raise _bad(path, "__metadata__ must map strings to strings")
            continue
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise _bad(path, f"tensor {name!r} needs exactly dtype, shape and data_offsets")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in _ITEM_BYTES:
            raise _bad(path, f"tensor {name!r} has an unsupported dtype {dtype!r}")
        if not isinstance(shape, list) or not all(_is_int(d) for d in shape):
            raise _bad(path, f"tensor {name!r} has a malformed shape {shape!r}")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(_is_int(o) for o in offsets)
        ):
            raise _bad(path, f"tensor {name!r} has malformed data_offsets {offsets!r}")
        begin, end = offsets
        if begin > end or end > data_len:
            raise _bad(
                path,
                f"tensor {name!r} has data_offsets [{begin}, {end}] outside the data section "
                f"of {data_len} bytes",
            )
        expected = math.prod(shape) * _ITEM_BYTES[dtype]
        if end - begin != expected:
            raise _bad(
                path,
                f"tensor {name!r} ({dtype}, shape {shape}) needs {expected} bytes but its "
                f"data_offsets span {end - begin}",
            )
        spans.append((begin, end, name))
    spans.sort()
    for (_, end_a, name_a), (begin_b, _, name_b) in itertools.pairwise(spans):
        if begin_b < end_a:
            raise _bad(path, f"tensors {name_a!r} and {name_b!r} overlap in the data section")
    return header


def read_safetensors(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """All tensors of ``path`` on the CPU, after :func:`check_safetensors_header` passed."""
    path = os.fspath(path)
    check_safetensors_header(path)
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(path, device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise _bad(path, f"{type(e).__name__}: {e}") from None
