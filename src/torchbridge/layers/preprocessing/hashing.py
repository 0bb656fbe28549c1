"""Hashing: Keras's ``Hashing`` layer and the two TensorFlow string hashes it relies on.

Keras hashes every value as a string (integers through ``tf.as_string``,
floats truncated to int64 first) and takes the hash modulo the number of
bins:

- without ``salt``: ``tf.strings.to_hash_bucket_fast`` = FarmHash
  ``Fingerprint64`` (``farmhashna::Hash64``) of the UTF-8 bytes;
- with ``salt``: ``tf.strings.to_hash_bucket_strong`` = SipHash-2-4 keyed by
  the two 64-bit salt words.

Both are written here with NumPy ``uint64`` arrays (wrap-around arithmetic):
each distinct string is hashed once, FarmHash vectorised over the strings of
equal byte length (its branches depend on the length), SipHash over all
strings at once, word by word. The bins are TensorFlow's exactly, without
TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.layers.layer import Layer
from torchbridge.layers.preprocessing._encoding import encode_categorical, resolve_dtype

__all__ = ["Hashing", "fingerprint64", "siphash24", "hash_to_bins"]

_U64 = np.uint64
_K0 = _U64(0xC3A5C85C97CB3127)
_K1 = _U64(0xB492B66FBE98F273)
_K2 = _U64(0x9AE16A3B2F90404F)
_KMUL = _U64(0x9DDFEA08EB382D69)
_MASK64 = (1 << 64) - 1


# --- uint64 helpers (all operands are 1-D uint64 arrays: NumPy wraps silently) -----------------
def _rotr(x: np.ndarray, r: int) -> np.ndarray:
    if r == 0:
        return x
    return (x >> _U64(r)) | (x << _U64(64 - r))


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << _U64(r)) | (x >> _U64(64 - r))


def _fetch64(buf: np.ndarray, offset: int) -> np.ndarray:
    """Little-endian uint64 at byte ``offset`` of every row of ``buf`` (n, length)."""
    return np.ascontiguousarray(buf[:, offset : offset + 8]).view("<u8").reshape(-1).astype(_U64)


def _fetch32(buf: np.ndarray, offset: int) -> np.ndarray:
    return np.ascontiguousarray(buf[:, offset : offset + 4]).view("<u4").reshape(-1).astype(_U64)


def _shift_mix(v: np.ndarray) -> np.ndarray:
    return v ^ (v >> _U64(47))


def _hash_len16(u: np.ndarray, v: np.ndarray, mul: Any = _KMUL) -> np.ndarray:
    a = (u ^ v) * mul
    a = a ^ (a >> _U64(47))
    b = (v ^ a) * mul
    b = b ^ (b >> _U64(47))
    return b * mul


def _weak_hash_len32_with_seeds(
    buf: np.ndarray, offset: int, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    w = _fetch64(buf, offset)
    x = _fetch64(buf, offset + 8)
    y = _fetch64(buf, offset + 16)
    z = _fetch64(buf, offset + 24)
    a = a + w
    b = _rotr(b + a + z, 21)
    c = a
    a = a + x + y
    b = b + _rotr(a, 44)
    return a + z, b + c


def _farmhash_same_length(buf: np.ndarray) -> np.ndarray:
    """``farmhashna::Hash64`` of each row of ``buf`` (n, length), all of one length."""
    n, length = buf.shape
    ln = _U64(length)
    if length == 0:
        return np.full(n, _K2, dtype=_U64)
    if length <= 16:
        mul = _K2 + ln * _U64(2)
        if length >= 8:
            a = _fetch64(buf, 0) + _K2
            b = _fetch64(buf, length - 8)
            c = _rotr(b, 37) * mul + a
            d = (_rotr(a, 25) + b) * mul
            return _hash_len16(c, d, mul)
        if length >= 4:
            a = _fetch32(buf, 0)
            return _hash_len16(ln + (a << _U64(3)), _fetch32(buf, length - 4), mul)
        first = buf[:, 0].astype(_U64)
        middle = buf[:, length >> 1].astype(_U64)
        last = buf[:, length - 1].astype(_U64)
        y = (first + (middle << _U64(8))) & _U64(0xFFFFFFFF)
        z = (ln + (last << _U64(2))) & _U64(0xFFFFFFFF)
        return _shift_mix(y * _K2 ^ z * _K0) * _K2
    mul = _K2 + ln * _U64(2)
    if length <= 32:
        a = _fetch64(buf, 0) * _K1
        b = _fetch64(buf, 8)
        c = _fetch64(buf, length - 8) * mul
        d = _fetch64(buf, length - 16) * _K2
        return _hash_len16(_rotr(a + b, 43) + _rotr(c, 30) + d, a + _rotr(b + _K2, 18) + c, mul)
    if length <= 64:
        a = _fetch64(buf, 0) * _K2
        b = _fetch64(buf, 8)
        c = _fetch64(buf, length - 8) * mul
        d = _fetch64(buf, length - 16) * _K2
        y = _rotr(a + b, 43) + _rotr(c, 30) + d
        z = _hash_len16(y, a + _rotr(b + _K2, 18) + c, mul)
        e = _fetch64(buf, 16) * mul
        f = _fetch64(buf, 24)
        g = (y + _fetch64(buf, length - 32)) * mul
        h = (z + _fetch64(buf, length - 24)) * mul
        return _hash_len16(_rotr(e + f, 43) + _rotr(g, 30) + h, e + _rotr(f + a, 18) + g, mul)
    return _farmhash_long(buf)


def _farmhash_long(buf: np.ndarray) -> np.ndarray:
    """The > 64-byte branch of ``farmhashna::Hash64`` (64-byte blocks, then the last 64)."""
    n, length = buf.shape
    zeros = np.zeros(n, dtype=_U64)
    seed = 81
    x = zeros + _U64(seed)
    y = zeros + _U64((seed * int(_K1) + 113) & _MASK64)
    z = _shift_mix(y * _K2 + _U64(113)) * _K2
    v0, v1 = zeros.copy(), zeros.copy()
    w0, w1 = zeros.copy(), zeros.copy()
    x = x * _K2 + _fetch64(buf, 0)
    blocks = (length - 1) // 64
    for block in range(blocks):
        s = block * 64
        x = _rotr(x + y + v0 + _fetch64(buf, s + 8), 37) * _K1
        y = _rotr(y + v1 + _fetch64(buf, s + 48), 42) * _K1
        x = x ^ w1
        y = y + v0 + _fetch64(buf, s + 40)
        z = _rotr(z + w0, 33) * _K1
        v0, v1 = _weak_hash_len32_with_seeds(buf, s, v1 * _K1, x + w0)
        w0, w1 = _weak_hash_len32_with_seeds(buf, s + 32, z + w1, y + _fetch64(buf, s + 16))
        x, z = z, x
    mul = _K1 + ((z & _U64(0xFF)) << _U64(1))
    s = length - 64
    w0 = w0 + _U64((length - 1) & 63)
    v0 = v0 + w0
    w0 = w0 + v0
    x = _rotr(x + y + v0 + _fetch64(buf, s + 8), 37) * mul
    y = _rotr(y + v1 + _fetch64(buf, s + 48), 42) * mul
    x = x ^ (w1 * _U64(9))
    y = y + v0 * _U64(9) + _fetch64(buf, s + 40)
    z = _rotr(z + w0, 33) * mul
    v0, v1 = _weak_hash_len32_with_seeds(buf, s, v1 * mul, x + w0)
    w0, w1 = _weak_hash_len32_with_seeds(buf, s + 32, z + w1, y + _fetch64(buf, s + 16))
    x, z = z, x
    return _hash_len16(
        _hash_len16(v0, w0, mul) + _shift_mix(y) * _K0 + z,
        _hash_len16(v1, w1, mul) + x,
        mul,
    )


def _sip_rounds(
    v0: np.ndarray, v1: np.ndarray, v2: np.ndarray, v3: np.ndarray, rounds: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    for _ in range(rounds):
        v0 = v0 + v1
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = v2 + v3
        v3 = _rotl(v3, 16) ^ v2
        v0 = v0 + v3
        v3 = _rotl(v3, 21) ^ v0
        v2 = v2 + v1
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def _siphash_all(values: Sequence[bytes], key: tuple[int, int]) -> np.ndarray:
    """SipHash-2-4 of every byte string with the 64-bit words ``key``.

    All strings advance together, one 8-byte word at a time: the strings are
    zero-padded, so a string's last word is its padded tail plus
    ``length << 56``, and rows that are already finished keep their state.
    """
    n = len(values)
    lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=n)
    words = lengths // 8 + 1  # full words plus the final word
    width = int(words.max()) * 8
    buf = np.zeros((n, width), dtype=np.uint8)
    flat = np.frombuffer(b"".join(values), dtype=np.uint8)
    rows = np.repeat(np.arange(n), lengths)
    cols = np.arange(flat.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    buf[rows, cols] = flat
    k0 = _U64(key[0] & _MASK64)
    k1 = _U64(key[1] & _MASK64)
    zeros = np.zeros(n, dtype=_U64)
    v0 = zeros + (k0 ^ _U64(0x736F6D6570736575))
    v1 = zeros + (k1 ^ _U64(0x646F72616E646F6D))
    v2 = zeros + (k0 ^ _U64(0x6C7967656E657261))
    v3 = zeros + (k1 ^ _U64(0x7465646279746573))
    length_word = (lengths.astype(_U64) & _U64(0xFF)) << _U64(56)
    for index in range(int(words.max())):
        m = _fetch64(buf, index * 8)
        m = np.where(words - 1 == index, m | length_word, m)
        a0, a1, a2, a3 = _sip_rounds(v0, v1, v2, v3 ^ m, 2)
        active = words > index
        v0 = np.where(active, a0 ^ m, v0)
        v1 = np.where(active, a1, v1)
        v2 = np.where(active, a2, v2)
        v3 = np.where(active, a3, v3)
    v0, v1, v2, v3 = _sip_rounds(v0, v1, v2 ^ _U64(0xFF), v3, 4)
    return v0 ^ v1 ^ v2 ^ v3


def _hash_bytes(values: Sequence[bytes], key: tuple[int, int] | None) -> np.ndarray:
    """Hash each byte string (FarmHash Fingerprint64, or SipHash-2-4 with ``key``)."""
    out = np.empty(len(values), dtype=_U64)
    if not len(values):
        return out
    if key is not None:
        return _siphash_all(values, key)
    lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
    order = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[order]
    starts = np.flatnonzero(np.r_[True, sorted_lengths[1:] != sorted_lengths[:-1]])
    ends = np.r_[starts[1:], len(values)]
    for start, end in zip(starts.tolist(), ends.tolist()):
        rows = order[start:end]
        length = int(sorted_lengths[start])
        joined = b"".join(values[i] for i in rows.tolist())
        buf = np.frombuffer(joined, dtype=np.uint8).reshape(len(rows), length)
        out[rows] = _farmhash_same_length(buf)
    return out


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise InputError(
        f"Hashing takes strings or numbers; received an element of type {type(value)}."
    )


def fingerprint64(values: Sequence[str | bytes]) -> np.ndarray:
    """FarmHash ``Fingerprint64`` (TensorFlow's ``tf.fingerprint`` / fast hash) of each string."""
    return _hash_bytes([_as_bytes(v) for v in values], None)


def siphash24(values: Sequence[str | bytes], key: Sequence[int]) -> np.ndarray:
    """SipHash-2-4 of each string keyed by two 64-bit words (TensorFlow's strong hash)."""
    if len(key) != 2:
        raise InputError(f"siphash24 needs a key of two integers; received {key!r}.")
    return _hash_bytes([_as_bytes(v) for v in values], (int(key[0]), int(key[1])))


def hash_to_bins(
    strings: np.ndarray, num_bins: int, salt: Sequence[int] | None = None
) -> np.ndarray:
    """``tf.strings.to_hash_bucket_fast`` (or ``_strong`` with ``salt``) of a ``str`` array.

    Each distinct string is hashed once; the result has the shape of
    ``strings`` and dtype int64.
    """
    flat = np.asarray(strings, dtype=object).reshape(-1)
    if flat.size == 0:
        return np.zeros(np.shape(strings), dtype=np.int64)
    uniques, inverse = np.unique(flat, return_inverse=True)
    key = None if salt is None else (int(salt[0]), int(salt[1]))
    hashed = _hash_bytes([_as_bytes(v) for v in uniques.tolist()], key)
    bins = (hashed % _U64(num_bins)).astype(np.int64)
    return bins[inverse.reshape(-1)].reshape(np.shape(strings))


_HASHING_MODES = ("int", "one_hot", "multi_hot", "count")


def _as_strings(inputs: Any) -> tuple[np.ndarray | None, torch.Tensor | None]:
    """``(str array, None)`` for text inputs, ``(None, tensor)`` for numbers."""
    if isinstance(inputs, torch.Tensor):
        return None, inputs
    if isinstance(inputs, (str, bytes)):
        return np.array(inputs, dtype=object), None
    arr = np.asarray(inputs) if not isinstance(inputs, np.ndarray) else inputs
    if arr.dtype.kind in "OUS":
        return arr.astype(object), None
    if arr.dtype.kind in "biuf":
        return None, torch.from_numpy(np.ascontiguousarray(arr))
    raise InputError(f"Hashing takes strings or numbers; received an array of dtype {arr.dtype}.")


def _numbers_to_strings(values: torch.Tensor) -> np.ndarray:
    """``tf.as_string`` of a numeric tensor (floats truncated to int64 first, as Keras does)."""
    if values.dtype == torch.bool:
        arr = values.detach().cpu().numpy()
        return np.where(arr, "true", "false").astype(object)
    if values.is_floating_point():
        values = values.to(torch.int64)
    if values.is_complex():
        raise InputError("Hashing cannot hash complex numbers.")
    return values.detach().cpu().numpy().astype(str).astype(object)


class Hashing(Layer):
    """Keras's ``Hashing``: values → ``hash(str(value)) % num_bins``, TensorFlow's bins exactly.

    Without ``salt`` the hash is FarmHash Fingerprint64 (``to_hash_bucket_fast``);
    with ``salt`` (an int ``s`` means ``[s, s]``) SipHash-2-4
    (``to_hash_bucket_strong``). With ``mask_value`` bin 0 is reserved for that
    value and the other values hash into bins ``1 .. num_bins - 1``. Inputs:
    strings (lists, NumPy arrays) or numbers (tensors, arrays; floats are
    truncated to integers first). The output is an int64 tensor (``output_mode
    ="int"``) or a float32 encoding (``one_hot`` / ``multi_hot`` / ``count``).
    """

    def __init__(
        self,
        num_bins: int,
        mask_value: Any = None,
        salt: int | Sequence[int] | None = None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        if num_bins is None or isinstance(num_bins, bool) or int(num_bins) <= 0:
            raise ValueError(
                f"{owner}: `num_bins` must be a positive int; received num_bins={num_bins!r}."
            )
        if output_mode not in _HASHING_MODES:
            raise ValueError(
                f"{owner}: `output_mode` must be one of {_HASHING_MODES}; received "
                f"output_mode={output_mode!r}."
            )
        self._out_dtype = resolve_dtype(
            self._dtype_arg, torch.int64 if output_mode == "int" else torch.float32
        )
        if output_mode == "int" and self._out_dtype not in (torch.int32, torch.int64):
            raise ValueError(
                f"{owner}: with output_mode='int' the dtype must be 'int32' or 'int64'; "
                f"received dtype={self._dtype_arg!r}."
            )
        if sparse:
            if output_mode == "int":
                raise ValueError(
                    f"{owner}: `sparse=True` needs output_mode 'one_hot', 'multi_hot' or 'count'."
                )
            raise ValueError(
                f"{owner}: `sparse=True` is not supported on torch (Keras's torch backend "
                "rejects it too); use the dense output."
            )
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(salt[0]), int(salt[1])]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            else:
                raise ValueError(
                    f"{owner}: `salt` must be an int or a pair of ints; received salt={salt!r}."
                )
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt: list[int] | None = salt
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = bool(sparse)
        self.built = True

    def _hash_values_to_bins(self, inputs: Any) -> tuple[torch.Tensor, torch.device]:
        strings, numbers = _as_strings(inputs)
        hash_bins = self.num_bins
        mask: np.ndarray | None = None
        use_mask = self.mask_value is not None and hash_bins > 1
        if use_mask:
            hash_bins -= 1
        device = torch.device("cpu")
        if numbers is not None:
            device = numbers.device
            if use_mask:
                mask = (numbers == self.mask_value).detach().cpu().numpy()
            strings = _numbers_to_strings(numbers)
        elif use_mask:
            target = self.mask_value
            if isinstance(target, (str, bytes)):  # b"x" and "x" are the same TF string
                raw = _as_bytes(target)
                mask = np.vectorize(
                    lambda v: isinstance(v, (str, bytes)) and _as_bytes(v) == raw, otypes=[bool]
                )(strings)
            else:
                mask = np.vectorize(lambda v: v == target, otypes=[bool])(strings)
        assert strings is not None
        bins = hash_to_bins(strings, hash_bins, self.salt)
        if mask is not None:
            bins = np.where(mask, 0, bins + 1)
        return torch.from_numpy(np.asarray(bins, dtype=np.int64)), device

    def call(self, inputs: Any) -> torch.Tensor:
        bins, device = self._hash_values_to_bins(inputs)
        out = encode_categorical(bins, self.output_mode, self.num_bins, dtype=self._out_dtype)
        return out.to(device)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        if not shape:
            return (self.num_bins,)
        if self.output_mode == "one_hot" and shape[-1] != 1:
            return (*shape, self.num_bins)
        return (*shape[:-1], self.num_bins)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "num_bins": self.num_bins,
                "salt": self.salt,
                "mask_value": self.mask_value,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
            }
        )
        return config
