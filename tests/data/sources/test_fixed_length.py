"""FixedLengthRecordDataset against tf.data: records, header/footer, several files
interleaved, gzip, resume, and a body that is not whole records."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from data_helpers import resume_matches, to_plain

from torchbridge.data import FixedLengthRecordDataset
from torchbridge.errors import DataLossError


def _write(tmp_path: Any, name: str, records: int, gz: bool = False) -> str:
    data = b"HEAD" + b"".join(bytes([65 + (i % 26)]) * 3 for i in range(records)) + b"FT"
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if gz else data)
    return str(path)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"num_parallel_reads": 2}, {"buffer_size": 4}],
    ids=["sequential", "interleaved", "small_buffer"],
)
def test_records_match_tf(tmp_path: Any, kwargs: dict[str, Any], tf: Any) -> None:
    files = [_write(tmp_path, "a.bin", 5), _write(tmp_path, "b.bin", 3)]
    args = dict(record_bytes=3, header_bytes=4, footer_bytes=2, **kwargs)
    theirs = tf.data.FixedLengthRecordDataset(files, **args)
    ours = FixedLengthRecordDataset(files, **args)
    assert [to_plain(e) for e in ours] == [to_plain(e) for e in theirs]
    assert isinstance(next(iter(ours)), bytes)
    resume_matches(ours, 3)


def test_gzip_and_bad_body(tmp_path: Any, tf: Any) -> None:
    path = _write(tmp_path, "c.gz", 4, gz=True)
    args = dict(record_bytes=3, header_bytes=4, footer_bytes=2, compression_type="GZIP")
    theirs = tf.data.FixedLengthRecordDataset(path, **args)
    assert [to_plain(e) for e in FixedLengthRecordDataset(path, **args)] == [
        to_plain(e) for e in theirs
    ]
    with pytest.raises(DataLossError, match="not a multiple of record_bytes=5"):
        list(FixedLengthRecordDataset(_write(tmp_path, "d.bin", 4), 5, 4, 2))
