"""get_file: Keras's cache layout, hashes, extraction and errors, against real Keras's
get_file on the same file:// origins (never the network)."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile

import pytest

from torchbridge.errors import InputError
from torchbridge.utils import file_utils
from torchbridge.utils.file_utils import DownloadError, get_file


def _uri(path) -> str:
    return "file://" + os.fspath(path)


@pytest.fixture
def payload(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    data = b"hello keras cache\n" * 50
    (src / "data.bin").write_bytes(data)
    with zipfile.ZipFile(src / "arch.zip", "w") as z:
        z.writestr("inner/a.txt", "A")
    with tarfile.open(src / "arch.tar.gz", "w:gz") as t:
        info = tarfile.TarInfo("inner/b.txt")
        info.size = 1
        t.addfile(info, io.BytesIO(b"B"))
    return src, data


def _tree(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fname": "data.bin", "origin": "data.bin"},
        {"fname": None, "origin": "data.bin"},
        {"fname": "data.bin", "origin": "data.bin", "cache_subdir": "sub/dir"},
        {"fname": "arch.zip", "origin": "arch.zip", "extract": True},
        {"fname": "arch", "origin": "arch.zip", "extract": True},
        {"fname": None, "origin": "arch.tar.gz", "extract": True},
        {"fname": "arch.tar.gz", "origin": "arch.tar.gz", "untar": True},
    ],
    ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()),
)
def test_cache_layout_matches_keras(payload, tmp_path, kwargs):
    from keras.utils import get_file as keras_get_file

    src, _ = payload
    kwargs = dict(kwargs, origin=_uri(src / kwargs["origin"]))
    (tmp_path / "keras").mkdir()  # (Keras falls back to /tmp/.keras for a missing cache_dir)
    ours = get_file(cache_dir=tmp_path / "ours", **kwargs)
    theirs = keras_get_file(cache_dir=str(tmp_path / "keras"), **kwargs)
    assert os.path.relpath(ours, tmp_path / "ours") == os.path.relpath(theirs, tmp_path / "keras")
    assert _tree(tmp_path / "ours") == _tree(tmp_path / "keras")


def test_keras_home_and_local_path_origin(payload, tmp_path, monkeypatch):
    src, data = payload
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    path = get_file("copy.bin", origin=str(src / "data.bin"))
    assert path == str(tmp_path / "home" / "datasets" / "copy.bin")
    with open(path, "rb") as f:
        assert f.read() == data


@pytest.mark.parametrize("algorithm", ["md5", "sha256", "auto"])
def test_hash_checked_and_cached_file_reused(payload, tmp_path, algorithm):
    src, data = payload
    digest = (hashlib.md5 if algorithm == "md5" else hashlib.sha256)(data).hexdigest()
    origin = _uri(src / "data.bin")
    path = get_file("d.bin", origin, file_hash=digest, hash_algorithm=algorithm, cache_dir=tmp_path)
    assert file_utils.validate_file(path, digest, algorithm)
    # Cached and valid: not fetched again (the origin may disappear).
    os.remove(src / "data.bin")
    assert get_file("d.bin", origin, file_hash=digest, cache_dir=tmp_path) == path
    # md5_hash is the legacy spelling
    if algorithm == "md5":
        assert get_file("d.bin", origin, md5_hash=digest, cache_dir=tmp_path) == path


def test_checksum_mismatch_is_an_error_and_the_file_is_not_kept(payload, tmp_path):
    src, _ = payload
    with pytest.raises(InputError, match="hash") as info:
        get_file("d.bin", _uri(src / "data.bin"), file_hash="0" * 64, cache_dir=tmp_path)
    assert "data.bin" in str(info.value)
    assert not os.path.exists(tmp_path / "datasets" / "d.bin")
    assert os.listdir(tmp_path / "datasets") == []  # no temporary file left either


def test_stale_cached_file_is_downloaded_again_and_force_download(payload, tmp_path):
    src, data = payload
    target = tmp_path / "datasets" / "d.bin"
    target.parent.mkdir()
    target.write_bytes(b"stale")
    digest = hashlib.sha256(data).hexdigest()
    assert get_file("d.bin", _uri(src / "data.bin"), file_hash=digest, cache_dir=tmp_path)
    assert target.read_bytes() == data
    target.write_bytes(b"stale")
    get_file("d.bin", _uri(src / "data.bin"), cache_dir=tmp_path)
    assert target.read_bytes() == b"stale"  # no hash given: the cached file is trusted
    get_file("d.bin", _uri(src / "data.bin"), cache_dir=tmp_path, force_download=True)
    assert target.read_bytes() == data


def test_offline_missing_file_names_url_and_path(tmp_path):
    origin = "file://" + str(tmp_path / "nowhere" / "mnist.npz")
    with pytest.raises(DownloadError) as info:
        get_file("mnist.npz", origin, cache_dir=tmp_path)
    message = str(info.value)
    assert origin in message
    assert str(tmp_path / "datasets" / "mnist.npz") in message
    assert isinstance(info.value, OSError)
    assert os.listdir(tmp_path / "datasets") == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fname": "x", "origin": None}, "origin"),
        ({"fname": os.path.join("a", "b"), "origin": "file:///x"}, "cache_dir"),
        ({"fname": None, "origin": "https://example.com/"}, "fname"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        get_file(cache_dir=tmp_path, **kwargs)


def test_unsafe_archive_members_are_skipped(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../escape.txt", "x")
        z.writestr("ok.txt", "y")
    with pytest.warns(UserWarning, match="escape"):
        assert file_utils.extract_archive(archive, tmp_path / "out")
    assert _tree(tmp_path / "out") == ["ok.txt"]
    assert not (tmp_path / "escape.txt").exists()
    assert not file_utils.extract_archive(tmp_path / "evil.zip", tmp_path / "o2", "tar")
