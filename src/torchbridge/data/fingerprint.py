"""A pipeline's fingerprint: a 64-bit hash of its nodes — their types, their settings and
the bytecode and constants of the functions they call — so the same pipeline built again
(in this program or a later one) has the same fingerprint. ``Dataset.fingerprint`` and
``snapshot``'s folder name use it. Iteration counters do not count; an unseeded random
stage draws its seed at construction, so it fingerprints differently each time (as in
tf.data).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import torch

__all__ = ["pipeline_fingerprint"]

_SKIP = {"_iterations"}


def _feed(h: Any, x: Any, seen: set[int]) -> None:
    from torchbridge.data.dataset import Dataset

    if isinstance(x, Dataset):
        if id(x) in seen:
            h.update(b"<cycle>")
            return
        seen.add(id(x))
        h.update(type(x).__qualname__.encode())
        for name, value in sorted(vars(x).items()):
            if name not in _SKIP:
                h.update(name.encode())
                _feed(h, value, seen)
    elif isinstance(x, torch.Tensor):
        h.update(str((x.dtype, tuple(x.shape))).encode())
        h.update(x.detach().cpu().contiguous().numpy().tobytes() if x.numel() < 4096 else b"")
    elif isinstance(x, np.ndarray):
        h.update(str((x.dtype, x.shape)).encode())
        if x.size < 4096:
            h.update(repr(x.tolist()).encode())
    elif isinstance(x, (list, tuple)):
        h.update(f"[{len(x)}".encode())
        for v in x:
            _feed(h, v, seen)
    elif isinstance(x, dict):
        h.update(b"{")
        for k, v in x.items():
            h.update(repr(k).encode())
            _feed(h, v, seen)
    elif hasattr(x, "__code__"):
        code = x.__code__
        h.update(code.co_code)
        h.update(repr([c for c in code.co_consts if not hasattr(c, "co_code")]).encode())
        h.update(repr(code.co_names).encode())
    elif isinstance(x, (str, bytes, int, float, bool, type(None))):
        h.update(repr(x).encode())
    else:
        h.update(type(x).__qualname__.encode())


def pipeline_fingerprint(dataset: Any) -> int:
    h = hashlib.blake2b(digest_size=8)
    _feed(h, dataset, set())
    return int.from_bytes(h.digest(), "little")
