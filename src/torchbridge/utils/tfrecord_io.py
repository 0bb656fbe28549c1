"""TFRecord framing: write and read the record container TensorFlow uses.

A TFRecord file is records back to back with no header. Each record is::

    uint64 length (little-endian) | uint32 masked_crc32c(length bytes)
    data[length]                  | uint32 masked_crc32c(data)

``"GZIP"`` and ``"ZLIB"`` compression wrap the whole stream, as
``tf.io.TFRecordOptions(compression_type=...)`` does.

* :class:`TFRecordWriter` / :class:`TFRecordOptions` write files that
  ``tf.data.TFRecordDataset`` reads (uncompressed output is byte-identical to
  ``tf.io.TFRecordWriter``'s). TensorBoard event files use the same framing.
* :func:`iter_records` reads them back without TensorFlow: it reads 1 MiB
  chunks, checks both CRCs of every record and yields ``(offset, data)``, where
  ``offset`` is the record's position in the (uncompressed) stream — pass the
  offset of the next record back in to resume there. A bad record raises
  :class:`~torchbridge.errors.DataLossError` naming the file and offset.

This module is a leaf helper: ``torchbridge.io`` re-exports its public names
and ``torchbridge.data``'s ``TFRecordDataset`` reads through it.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any

from torchbridge.errors import DataLossError
from torchbridge.utils.crc32c import crc32c, masked_crc32c

__all__ = [
    "TFRecordOptions",
    "TFRecordWriter",
    "iter_records",
    "read_tfrecords",
    "encode_record",
    "normalize_compression",
    "DataLossError",
    "CorruptRecordError",
]

# Kept for code written against the first version of this module.
CorruptRecordError = DataLossError

_COMPRESSIONS = ("", "GZIP", "ZLIB")
_CHUNK = 1 << 20  # read (and decompress) 1 MiB at a time
_HEADER = struct.Struct("<QI")  # length, masked CRC of the length
_CRC = struct.Struct("<I")
_U32 = 0xFFFFFFFF
_MASK_DELTA = 0xA282EAD8


def _fast_crc() -> Callable[[bytes], int]:
    """The quickest unmasked CRC-32C of a ``bytes`` object available here."""
    try:
        import google_crc32c  # type: ignore[import-not-found]

        if getattr(google_crc32c, "implementation", "") == "c":
            return google_crc32c.value  # type: ignore[no-any-return]
    except ImportError:
        pass
    try:
        import crc32c as crc32c_ext  # type: ignore[import-not-found]

        return crc32c_ext.crc32c  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        return crc32c


_crc_cache: list[Callable[[bytes], int]] = []  # _fast_crc(), found on first use


def _crc() -> Callable[[bytes], int]:
    if not _crc_cache:
        _crc_cache.append(_fast_crc())
    return _crc_cache[0]


def encode_record(data: bytes) -> bytes:
    """One framed record: length, masked CRC of the length, data, masked CRC of the data."""
    header = struct.pack("<Q", len(data))
    return header + _CRC.pack(masked_crc32c(header)) + data + _CRC.pack(masked_crc32c(data))


def normalize_compression(compression_type: Any) -> str:
    """``None``/``""``/``"GZIP"``/``"ZLIB"`` (any case) or a :class:`TFRecordOptions` → a string."""
    if isinstance(compression_type, TFRecordOptions):
        return compression_type.compression_type
    value = (compression_type or "").upper()
    if value not in _COMPRESSIONS:
        raise ValueError(
            f"Unknown TFRecord compression_type {compression_type!r}. "
            'Use None (or ""), "GZIP" or "ZLIB".'
        )
    return str(value)


class TFRecordOptions:
    """How a TFRecord file is compressed (``tf.io.TFRecordOptions``).

    ``compression_type`` is ``""`` (none), ``"GZIP"`` or ``"ZLIB"``;
    ``compression_level`` is zlib's 0-9 (default: zlib's default, 6).
    """

    def __init__(
        self, compression_type: str | None = None, compression_level: int | None = None
    ) -> None:
        self.compression_type = normalize_compression(compression_type)
        if compression_level is not None and not 0 <= compression_level <= 9:
            raise ValueError(f"compression_level must be in 0..9, got {compression_level}.")
        self.compression_level = compression_level

    def __repr__(self) -> str:
        return (
            f"TFRecordOptions(compression_type={self.compression_type!r}, "
            f"compression_level={self.compression_level!r})"
        )


class _DeflateFile:
    """Write-only file object producing one zlib (``wbits=15``) or gzip (``31``) stream."""

    def __init__(self, raw: IO[bytes], wbits: int, level: int | None) -> None:
        self._raw = raw
        self._compressor = zlib.compressobj(
            zlib.Z_DEFAULT_COMPRESSION if level is None else level, zlib.DEFLATED, wbits
        )

    def write(self, data: bytes) -> int:
        self._raw.write(self._compressor.compress(data))
        return len(data)

    def flush(self) -> None:
        self._raw.write(self._compressor.flush(zlib.Z_SYNC_FLUSH))
        self._raw.flush()

    def close(self) -> None:
        self._raw.write(self._compressor.flush(zlib.Z_FINISH))
        self._raw.close()


class TFRecordWriter:
    """Append records to a TFRecord file (the ``tf.io.TFRecordWriter`` interface).

    ``options`` is a compression string (``""``, ``"GZIP"``, ``"ZLIB"``) or a
    :class:`TFRecordOptions`; ``compression_type=`` is accepted as a keyword
    alias. ``writer.write(b"...")`` frames and writes one record; ``flush()``
    pushes buffered bytes to disk; ``close()`` (or leaving a ``with`` block)
    finishes the file. ``mode="ab"`` appends (a compressed file gets a second
    stream, which :func:`iter_records` reads on).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        options: TFRecordOptions | str | None = None,
        *,
        compression_type: str | None = None,
        mode: str = "wb",
    ) -> None:
        if mode not in ("wb", "ab"):
            raise ValueError(f"TFRecordWriter mode must be 'wb' or 'ab', got {mode!r}.")
        if options is not None and compression_type is not None:
            raise ValueError("Pass either options or compression_type to TFRecordWriter, not both.")
        if not isinstance(options, TFRecordOptions):
            options = TFRecordOptions(options if options is not None else compression_type)
        self.path = os.fspath(path)
        self.options = options
        self.compression_type = options.compression_type
        raw = open(self.path, mode)  # noqa: SIM115 - closed by close()
        self._file: Any
        if self.compression_type == "GZIP":
            self._file = _DeflateFile(raw, 31, options.compression_level)
        elif self.compression_type == "ZLIB":
            self._file = _DeflateFile(raw, 15, options.compression_level)
        else:
            self._file = raw
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def write(self, record: bytes) -> None:
        """Write one record (``bytes``, or a ``str`` encoded as UTF-8, like TF)."""
        if self._closed:
            raise ValueError(f"TFRecordWriter for {self.path!r} is closed.")
        if isinstance(record, str):
            record = record.encode("utf-8")
        self._file.write(encode_record(bytes(record)))

    def flush(self) -> None:
        if not self._closed:
            self._file.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._file.close()

    def __enter__(self) -> TFRecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- reading -------------------------------------------------------------------------
class _StreamError(Exception):
    """The compressed stream is damaged or ends early (reported with the record's offset)."""


def _raw_chunks(path: str, compression: str, offset: int) -> Iterator[bytes]:
    """The uncompressed stream from ``offset`` on, in chunks of about 1 MiB.

    A compressed file must end where a stream ends: a file cut inside a stream
    (header, data or trailer) or a stream that fails its checks raises
    :class:`_StreamError`, never a silent end.
    """
    if not compression:
        with open(path, "rb", buffering=0) as f:
            if offset:
                f.seek(offset)
            while chunk := f.read(_CHUNK):
                yield chunk
        return
    wbits = 31 if compression == "GZIP" else 15
    skip = offset
    read = 0  # compressed bytes read so far
    with open(path, "rb", buffering=0) as f:
        inflater = zlib.decompressobj(wbits)
        fed = False  # the current stream has begun
        pending = b""
        while True:
            if not pending:
                pending = f.read(_CHUNK)
                read += len(pending)
                if not pending:
                    if fed:
                        raise _StreamError(
                            f"the {compression} stream ends without its end marker at byte "
                            f"{read} of the file (the file is truncated)"
                        )
                    return
            fed = True
            try:
                out = inflater.decompress(pending, _CHUNK)
            except zlib.error as exc:
                raise _StreamError(
                    f"the {compression} stream is corrupted ({exc}) before byte {read} of "
                    "the file; check compression_type"
                ) from exc
            pending = inflater.unconsumed_tail
            if inflater.eof:  # a complete stream; a concatenated one may follow
                pending = inflater.unused_data + pending
                inflater = zlib.decompressobj(wbits)
                fed = False
            if skip:
                dropped = min(skip, len(out))
                out = out[dropped:]
                skip -= dropped
            if out:
                yield out


def _where(path: str, offset: int) -> str:
    return f"{path!r}: the record at byte offset {offset}"


_SKIP_HINT = "Use Dataset.ignore_errors() to skip the rest of a damaged file."


def iter_records(
    path: str | os.PathLike[str],
    compression_type: str | TFRecordOptions | None = "",
    offset: int = 0,
    verify: bool = True,
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(offset, data)`` for each record of a TFRecord file, from ``offset`` on.

    ``offset`` counts bytes of the uncompressed stream and must be a record
    boundary (an offset this function yielded, or one past a record's end).
    Both CRCs of every record are checked unless ``verify=False``. Zero bytes
    where a record would start is a clean end of file; a partial record or a
    CRC mismatch raises :class:`~torchbridge.errors.DataLossError` naming the
    file and the byte offset of the bad record.
    """
    name = os.fspath(path)
    compression = normalize_compression(compression_type)
    chunks = _raw_chunks(name, compression, offset)
    unpack_header = _HEADER.unpack_from
    unpack_crc = _CRC.unpack_from
    crc = _crc()
    # A length's CRC depends only on the length: remember the few a file uses.
    length_crcs: dict[int, int] = {}
    buf = b""
    pos = 0
    base = offset  # stream offset of buf[0]
    while True:
        size = len(buf)
        # The hot loop: every complete record already in the buffer.
        while pos + 12 <= size:
            length, length_crc = unpack_header(buf, pos)
            if verify:
                expected = length_crcs.get(length)
                if expected is None:
                    expected = masked_crc32c(buf[pos : pos + 8])
                    if len(length_crcs) < 4096:
                        length_crcs[length] = expected
                if expected != length_crc:
                    raise DataLossError(
                        f"{_where(name, base + pos)} has a corrupted length (CRC mismatch). "
                        f"{_SKIP_HINT}"
                    )
            end = pos + 12 + length
            if end + 4 > size:
                break
            data = buf[pos + 12 : end]
            if verify:
                c = crc(data)
                if ((((c >> 15) | (c << 17)) & _U32) + _MASK_DELTA) & _U32 != unpack_crc(buf, end)[
                    0
                ]:
                    raise DataLossError(
                        f"{_where(name, base + pos)} has corrupted data (CRC mismatch). "
                        f"{_SKIP_HINT}"
                    )
            yield base + pos, data
            pos = end + 4
        # Need more bytes: the next header, or the rest of a record that straddles chunks.
        need = 12 if size - pos < 12 else 16 + unpack_header(buf, pos)[0]
        try:
            buf, base, pos = _refill(chunks, buf, base, pos, need)
        except _StreamError as e:
            raise DataLossError(
                f"{name!r}: {e}; the data from byte offset {base + pos} of the "
                f"uncompressed stream on is lost. {_SKIP_HINT}"
            ) from e.__cause__
        size = len(buf)
        if size == 0:
            return
        if size < need:
            what = (
                f"truncated header ({size} of 12 bytes)"
                if size < 12
                else f"truncated data ({size - 12} of {need - 12} bytes after the header)"
            )
            raise DataLossError(f"{_where(name, base)} is cut short: {what}. {_SKIP_HINT}")


def _refill(
    chunks: Iterator[bytes], buf: bytes, base: int, pos: int, need: int
) -> tuple[bytes, int, int]:
    """Drop consumed bytes and read chunks until ``need`` bytes follow ``pos`` (or EOF)."""
    parts = [buf[pos:]]
    have = len(parts[0])
    for chunk in chunks:
        parts.append(chunk)
        have += len(chunk)
        if have >= need:
            break
    return b"".join(parts), base + pos, 0


def read_tfrecords(
    path: str | os.PathLike[str],
    compression_type: str | TFRecordOptions | None = None,
    verify: bool = True,
) -> Iterator[bytes]:
    """Yield each record's payload from a TFRecord file (see :func:`iter_records`)."""
    for _, data in iter_records(path, compression_type, verify=verify):
        yield data
