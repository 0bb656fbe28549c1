"""CRC-32C (Castagnoli) checksums and the TFRecord CRC mask.

``crc32c(data, crc=0)`` returns the standard CRC-32C of ``data`` (reflected
polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF); passing the
result of a previous call as ``crc`` continues the checksum over concatenated
data. ``masked_crc32c`` is the variant TFRecord files and TensorBoard event
files store next to each record.

Three ways to compute it, picked once on first use:

* a native extension, if one is installed (``google_crc32c`` with its C
  implementation, or the ``crc32c`` package) — optional, never required;
* NumPy for inputs of a few KiB and more: the input is cut into equal chunks
  whose CRCs advance together, one byte column per step, and the chunk CRCs
  are then folded together with the "shift by N zero bytes" linear map
  (the same algebra as zlib's ``crc32_combine``);
* a table-driven byte loop in plain Python for short inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["crc32c", "masked_crc32c", "mask", "unmask", "backend"]

_POLY = 0x82F63B78  # reflected Castagnoli polynomial
_MASK_DELTA = 0xA282EAD8
_U32 = 0xFFFFFFFF
# Below this many bytes the Python byte loop beats the NumPy set-up cost.
_NUMPY_MIN_BYTES = 4096


def _make_table() -> list[int]:
    table = []
    for byte in range(256):
        reg = byte
        for _ in range(8):
            reg = (reg >> 1) ^ _POLY if reg & 1 else reg >> 1
        table.append(reg)
    return table


_TABLE = _make_table()
_TABLE_NP = np.array(_TABLE, dtype=np.uint32)


# --- GF(2) polynomial helpers (reflected bit order: bit 31 is x^0) -----------
def _mulmod(a: int, b: int) -> int:
    """Product of two reflected 32-bit polynomials modulo the CRC polynomial."""
    product = 0
    bit = 1 << 31
    while a:
        if a & bit:
            product ^= b
            a ^= bit
        bit >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return product


def _x_pow_8n(nbytes: int) -> int:
    """x^(8 * nbytes) modulo the CRC polynomial: the map "append nbytes zero bytes"."""
    result = 1 << 31  # the polynomial 1
    square = 1 << 23  # x^8: one zero byte
    while nbytes:
        if nbytes & 1:
            result = _mulmod(square, result)
        nbytes >>= 1
        if nbytes:
            square = _mulmod(square, square)
    return result


def _shift_tables(nbytes: int) -> np.ndarray:
    """Four 256-entry tables that apply "append nbytes zero bytes" to a register.

    The map is linear over GF(2), so its value on a register is the XOR of its
    values on each of the register's four bytes.
    """
    factor = _x_pow_8n(nbytes)
    images = np.array([_mulmod(1 << bit, factor) for bit in range(32)], dtype=np.uint32)
    values = np.arange(256, dtype=np.uint32)
    tables = np.zeros((4, 256), dtype=np.uint32)
    for which in range(4):
        for bit in range(8):
            selected = ((values >> bit) & 1).astype(bool)
            tables[which, selected] ^= images[8 * which + bit]
    return tables


def _apply_shift(tables: np.ndarray, regs: np.ndarray) -> np.ndarray:
    return (
        tables[0][regs & 0xFF]
        ^ tables[1][(regs >> 8) & 0xFF]
        ^ tables[2][(regs >> 16) & 0xFF]
        ^ tables[3][regs >> 24]
    )


_shift_cache: dict[int, np.ndarray] = {}


def _cached_shift_tables(nbytes: int) -> np.ndarray:
    tables = _shift_cache.get(nbytes)
    if tables is None:
        tables = _shift_cache[nbytes] = _shift_tables(nbytes)
    return tables


# --- register updates (no pre/post inversion) --------------------------------
def _update_python(reg: int, data: bytes | bytearray | memoryview) -> int:
    table = _TABLE
    for byte in bytes(data):
        reg = table[(reg ^ byte) & 0xFF] ^ (reg >> 8)
    return reg


def _chunk_length(nbytes: int) -> int:
    # Balance the per-column Python overhead against the vector length.
    length = 64
    while length * length * 16 < nbytes and length < 4096:
        length *= 2
    return length


def _update_numpy(reg: int, data: bytes | bytearray | memoryview) -> int:
    buf = np.frombuffer(data, dtype=np.uint8)
    nbytes = buf.size
    length = _chunk_length(nbytes)
    nchunks = -(-nbytes // length)
    # Leading zero bytes leave a zero register at zero, so left-pad to whole chunks
    # (and the chunk count to a power of two for the pairwise fold below).
    nchunks_pow2 = 1 << (nchunks - 1).bit_length()
    padded = np.zeros(nchunks_pow2 * length, dtype=np.uint8)
    padded[padded.size - nbytes :] = buf
    columns = np.ascontiguousarray(padded.reshape(nchunks_pow2, length).T)

    regs = np.zeros(nchunks_pow2, dtype=np.uint32)
    table = _TABLE_NP
    for column in columns:
        regs = table[(regs ^ column) & 0xFF] ^ (regs >> 8)

    span = length
    while regs.size > 1:
        regs = _apply_shift(_cached_shift_tables(span), regs[0::2]) ^ regs[1::2]
        span *= 2
    combined = int(regs[0])
    # The incoming register is carried across every byte of the real data.
    if reg:
        combined ^= _mulmod(reg, _x_pow_8n(nbytes))
    return combined


def _crc32c_pure(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    reg = (crc & _U32) ^ _U32
    if len(data) >= _NUMPY_MIN_BYTES:
        reg = _update_numpy(reg, data)
    else:
        reg = _update_python(reg, data)
    return reg ^ _U32


def _find_native() -> tuple[str, Callable[[Any, int], int] | None]:
    try:
        import google_crc32c  # type: ignore[import-not-found]

        if getattr(google_crc32c, "implementation", "") == "c":
            return "google_crc32c", lambda data, crc: int(google_crc32c.extend(crc, bytes(data)))
    except ImportError:
        pass
    try:
        import crc32c as crc32c_ext  # type: ignore[import-not-found]

        return "crc32c", lambda data, crc: int(crc32c_ext.crc32c(bytes(data), crc))
    except (ImportError, AttributeError):
        pass
    return "numpy", None


_found: list[tuple[str, Callable[[Any, int], int] | None]] = []  # _find_native(), on first use


def _native_backend() -> tuple[str, Callable[[Any, int], int] | None]:
    if not _found:
        _found.append(_find_native())
    return _found[0]


def backend() -> str:
    """Which implementation ``crc32c`` uses: ``"google_crc32c"``, ``"crc32c"`` or ``"numpy"``."""
    return _native_backend()[0]


def crc32c(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-32C of ``data``; pass a previous result as ``crc`` to continue it.

    ``crc32c(b"123456789") == 0xE3069283`` and
    ``crc32c(b, crc32c(a)) == crc32c(a + b)``.
    """
    native = _found[0][1] if _found else _native_backend()[1]
    if native is not None:
        return native(data, crc)
    return _crc32c_pure(data, crc)


def mask(crc: int) -> int:
    """The TFRecord mask: rotate right by 15 bits, then add a constant (mod 2**32)."""
    crc &= _U32
    return ((((crc >> 15) | (crc << 17)) & _U32) + _MASK_DELTA) & _U32


def unmask(masked: int) -> int:
    """Inverse of :func:`mask`."""
    rotated = (masked - _MASK_DELTA) & _U32
    return ((rotated >> 17) | (rotated << 15)) & _U32


def masked_crc32c(data: bytes | bytearray | memoryview) -> int:
    """``mask(crc32c(data))``: the checksum stored in TFRecord and event files."""
    return mask(crc32c(data))
