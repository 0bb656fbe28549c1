"""Truncated or corrupted input is an error naming the file and offset, never a silent
short read: TFRecord (plain, GZIP, ZLIB), text lines and CSV (GZIP, ZLIB), cut at
EVERY offset of a small file, plus CRC/byte corruption.

The expected outcome of each cut comes from a reference model (which records /
lines lie wholly inside the bytes that can be recovered from the cut file); tf.data
is the oracle at sample offsets. Where tf.data itself reads short silently (a plain
TFRecord cut inside a header, every compressed text file) torchbridge raises: a
deliberate difference. Under ``ignore_errors()`` both yield the complete records
before the damage and skip the rest of the file.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from data_helpers import to_plain

from torchbridge.data import CsvDataset, TextLineDataset, make_csv_dataset
from torchbridge.data.sources.tfrecord import TFRecordDataset
from torchbridge.errors import DataLossError, InputError

RECORDS = [b"r%d" % i * (i + 1) for i in range(4)]
COMPRESSIONS = ["", "GZIP", "ZLIB"]


def _recoverable(data: bytes, compression: str) -> bytes:
    """The uncompressed bytes a reader can get from (a prefix of) ``data``."""
    if not compression:
        return data
    inflater = zlib.decompressobj(31 if compression == "GZIP" else 15)
    try:
        return inflater.decompress(data)
    except zlib.error:
        return b""


@pytest.fixture(scope="module")
def tfrecord_files(tmp_path_factory: pytest.TempPathFactory, tf: Any) -> dict[str, bytes]:
    """Each compression's file bytes, written by TensorFlow's own writer."""
    folder = tmp_path_factory.mktemp("tfrecords")
    out = {}
    for compression in COMPRESSIONS:
        path = folder / f"full-{compression or 'none'}.tfrecord"
        with tf.io.TFRecordWriter(str(path), options=compression) as writer:
            for record in RECORDS:
                writer.write(record)
        out[compression] = path.read_bytes()
    return out


def _read(path: Path, compression: str, ignore: bool = False) -> tuple[list[bytes], str | None]:
    ds = TFRecordDataset(str(path), compression_type=compression)
    if ignore:
        ds = ds.ignore_errors()
    got: list[bytes] = []
    try:
        for record in ds:
            got.append(record)
    except DataLossError as e:
        return got, str(e)
    return got, None


def _record_ends() -> list[int]:
    ends, offset = [], 0
    for record in RECORDS:
        offset += 16 + len(record)
        ends.append(offset)
    return ends


@pytest.mark.parametrize("compression", COMPRESSIONS, ids=["plain", "gzip", "zlib"])
def test_tfrecord_cut_at_every_offset(
    tfrecord_files: dict[str, bytes], compression: str, tmp_path: Path
) -> None:
    data = tfrecord_files[compression]
    ends = _record_ends()
    path = tmp_path / "cut.tfrecord"
    for cut in range(len(data) + 1):
        path.write_bytes(data[:cut])
        recoverable = len(_recoverable(data[:cut], compression))
        complete = sum(1 for end in ends if end <= recoverable)
        # Plain files cut at a record boundary are indistinguishable from shorter files.
        silent_ok = cut in (0, len(data)) or (not compression and cut in ends)
        got, error = _read(path, compression)
        assert got == RECORDS[:complete], f"cut at {cut}"
        if silent_ok:
            assert error is None, f"cut at {cut}: {error}"
        else:
            assert error is not None, f"cut at {cut}: a silent short read"
            assert str(path) in error and "byte" in error and "offset" in error
        assert _read(path, compression, ignore=True) == (RECORDS[:complete], None)


# A cut inside a header, inside data, at a record boundary, inside the trailer.
TF_SAMPLES = {"": [5, 40, 44, 101], "GZIP": [5, 40, 64, 80], "ZLIB": [5, 40, 56, 68]}


@pytest.mark.parametrize("compression", COMPRESSIONS, ids=["plain", "gzip", "zlib"])
def test_tfrecord_cuts_yield_what_tf_data_yields(
    tfrecord_files: dict[str, bytes], compression: str, tmp_path: Path, tf: Any
) -> None:
    data = tfrecord_files[compression]
    path = tmp_path / "cut.tfrecord"
    for cut in TF_SAMPLES[compression]:
        path.write_bytes(data[:cut])
        tf_got: list[bytes] = []
        tf_failed = False
        try:
            for r in tf.data.TFRecordDataset(str(path), compression_type=compression):
                tf_got.append(bytes(r.numpy()))
        except tf.errors.DataLossError:
            tf_failed = True
        tf_ignored = [
            bytes(r.numpy())
            for r in tf.data.TFRecordDataset(
                str(path), compression_type=compression
            ).ignore_errors()
        ]
        got, error = _read(path, compression)
        assert got == tf_got, f"cut at {cut}"
        if tf_failed:
            assert error is not None
        assert _read(path, compression, ignore=True)[0] == tf_ignored


def test_tfrecord_every_flipped_byte_is_detected(
    tfrecord_files: dict[str, bytes], tmp_path
) -> None:
    data = tfrecord_files[""]
    ends = [0, *_record_ends()]
    path = tmp_path / "flip.tfrecord"
    for i in range(len(data)):
        damaged = bytearray(data)
        damaged[i] ^= 0x40
        path.write_bytes(bytes(damaged))
        got, error = _read(path, "")
        bad = max(k for k, start in enumerate(ends) if start <= i)  # the damaged record
        assert got == RECORDS[:bad], f"byte {i}"
        assert error is not None and f"byte offset {ends[bad]}" in error, f"byte {i}: {error}"


@pytest.mark.parametrize("compression", ["GZIP", "ZLIB"])
def test_compressed_tfrecord_flips_fail_or_read_intact(
    tfrecord_files: dict[str, bytes], compression: str, tmp_path: Path
) -> None:
    data = tfrecord_files[compression]
    path = tmp_path / "flip.tfrecord"
    failures = 0
    for i in range(len(data)):
        damaged = bytearray(data)
        damaged[i] ^= 0x40
        path.write_bytes(bytes(damaged))
        got, error = _read(path, compression)
        if error is None:  # e.g. the gzip header's mtime: nothing of the data changed
            assert got == RECORDS, f"byte {i}: a silent wrong read"
        else:
            failures += 1
            assert RECORDS[: len(got)] == got
    assert failures > len(data) // 2


def test_crc_mismatch_names_file_and_offset(tmp_path: Path, tf: Any) -> None:
    path = tmp_path / "crc.tfrecord"
    with tf.io.TFRecordWriter(str(path)) as writer:
        for record in RECORDS:
            writer.write(record)
    data = bytearray(path.read_bytes())
    second = 16 + len(RECORDS[0])
    data[second + 12] ^= 1  # the first data byte of the second record
    path.write_bytes(bytes(data))
    with pytest.raises(tf.errors.DataLossError):
        list(tf.data.TFRecordDataset(str(path)))
    got, error = _read(path, "")
    assert got == RECORDS[:1]
    assert error is not None and "CRC mismatch" in error and f"byte offset {second}" in error


# --- text lines and CSV ----------------------------------------------------------------
LINES = [f"row{i},{i * i}" for i in range(6)]
TEXT = ("\n".join(LINES) + "\n").encode()


def _compress(data: bytes, compression: str) -> bytes:
    return gzip.compress(data, mtime=0) if compression == "GZIP" else zlib.compress(data)


def _complete_lines(prefix: bytes, compression: str) -> int:
    return _recoverable(prefix, compression).count(b"\n")


def _drain(ds: Any) -> tuple[list[Any], str | None]:
    got: list[Any] = []
    try:
        for element in ds:
            got.append(to_plain(element))
    except DataLossError as e:
        return got, str(e)
    return got, None


READERS = {
    "text": (lambda p, c: TextLineDataset(p, compression_type=c), lambda line: line),
    "csv": (
        lambda p, c: CsvDataset(p, ["", 0], compression_type=c),
        lambda line: (line.split(",")[0], int(line.split(",")[1])),
    ),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("compression", ["GZIP", "ZLIB"])
def test_text_and_csv_cut_at_every_offset(reader: str, compression: str, tmp_path: Path) -> None:
    make, expect = READERS[reader]
    data = _compress(TEXT, compression)
    path = tmp_path / "cut.txt"
    for cut in range(len(data) + 1):
        path.write_bytes(data[:cut])
        complete = _complete_lines(data[:cut], compression)
        expected = [expect(line) for line in LINES[:complete]]
        got, error = _drain(make(str(path), compression))
        assert got == expected, f"cut at {cut}"
        if cut in (0, len(data)):
            assert error is None
        else:  # tf.data reads these files short without a word
            assert error is not None, f"cut at {cut}: a silent short read"
            assert str(path) in error and f"byte {cut} of the file" in error
        assert _drain(make(str(path), compression).ignore_errors()) == (expected, None)


def test_make_csv_dataset_on_a_truncated_gzip_file(tmp_path: Path) -> None:
    data = _compress(b"name,value\n" + TEXT, "GZIP")
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) - 12])
    with pytest.raises(DataLossError, match="truncated"):
        ds = make_csv_dataset(
            str(path), batch_size=2, num_epochs=1, shuffle=False, compression_type="GZIP"
        )
        list(ds)


def test_a_bad_csv_row_is_an_error_naming_file_and_line(tmp_path: Path, tf: Any) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,1\nb,x\nc,3\n")
    with pytest.raises(tf.errors.InvalidArgumentError):
        list(tf.data.experimental.CsvDataset(str(path), [tf.string, tf.int32]))
    with pytest.raises(InputError, match=r"line 2") as info:
        list(CsvDataset(str(path), ["", 0]))
    assert str(path) in str(info.value)
    tf_kept = len(
        list(tf.data.experimental.CsvDataset(str(path), [tf.string, tf.int32]).ignore_errors())
    )
    assert len(list(CsvDataset(str(path), ["", 0]).ignore_errors())) == tf_kept == 2


def test_fixed_length_records_in_a_truncated_gzip_file(tmp_path: Path) -> None:
    from torchbridge.data import FixedLengthRecordDataset

    data = _compress(bytes(range(40)), "GZIP")
    path = tmp_path / "cut.bin.gz"
    path.write_bytes(data[:-4])  # the trailer's size field is missing
    _, error = _drain(FixedLengthRecordDataset(str(path), 8, compression_type="GZIP"))
    assert error is not None and "truncated" in error
    ds = FixedLengthRecordDataset(str(path), 8, compression_type="GZIP").ignore_errors()
    assert len(list(ds)) == 5


def test_concatenated_gzip_members_read_on(tmp_path: Path) -> None:
    path = tmp_path / "two.txt.gz"
    path.write_bytes(_compress(b"a\nb\n", "GZIP") + _compress(b"c\n", "GZIP"))
    assert list(TextLineDataset(str(path), compression_type="GZIP")) == ["a", "b", "c"]
    assert struct.calcsize("<Q") == 8  # the framing the TFRecord model above assumes
