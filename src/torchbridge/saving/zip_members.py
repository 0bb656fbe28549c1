"""Bounded reads of zip members for every model-archive reader (torchbridge's ``.keras`` /
``.torchbridge`` files and Keras-written ``.keras`` archives).

A member is read only if its declared size is under a limit — a fixed cap for JSON, and
for binary members a multiple of its compressed size (so a small archive cannot declare
gigabytes: the zip-bomb case) — and it must hold exactly the bytes it declares. JSON goes
through :func:`torchbridge.saving.serialization.load_config_json` (bounded nesting). Every
failure is a :class:`SavedFormatError` naming the file and the member.
"""

from __future__ import annotations

import zipfile
from typing import Any

from torchbridge.errors import SavedFormatError

__all__ = ["JSON_LIMIT", "read_json_member", "read_member"]

#: The most a JSON member (config, metadata, assets index) may hold.
JSON_LIMIT = 64 * 2**20
#: Binary members may expand at most this much over their compressed size (and 1 MiB).
_MAX_RATIO = 50


def read_member(zf: zipfile.ZipFile, path: str, name: str, limit: int | None = None) -> bytes:
    """The bytes of member ``name``; refused over ``limit`` (default: ``_MAX_RATIO`` times
    its compressed size) or when it holds other than its declared size."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise SavedFormatError(f"{path!r} has no member {name!r}.") from None
    if limit is None:
        limit = max(2**20, _MAX_RATIO * info.compress_size)
    if info.file_size > limit:
        raise SavedFormatError(
            f"{path!r}: the member {name!r} declares {info.file_size} bytes, over the "
            f"{limit}-byte limit for it; the file is not a model torchbridge will read."
        )
    try:
        with zf.open(info) as fh:
            data = fh.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as e:
        raise SavedFormatError(f"{path!r}: the member {name!r} is corrupt ({e}).") from None
    if len(data) != info.file_size:
        raise SavedFormatError(
            f"{path!r}: the member {name!r} holds {len(data)} bytes, not the "
            f"{info.file_size} the archive declares."
        )
    return data


def read_json_member(zf: zipfile.ZipFile, path: str, name: str) -> Any:
    """Member ``name`` parsed as JSON (bounded size and nesting)."""
    from torchbridge.saving.serialization import load_config_json

    return load_config_json(read_member(zf, path, name, JSON_LIMIT), f"{path!r}: {name}")
