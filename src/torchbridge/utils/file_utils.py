"""``keras.utils.get_file``: fetch a file into Keras's cache (``$KERAS_HOME`` or
``~/.keras``, sub-folder ``cache_subdir``), check its md5/sha256, and unpack zip/tar
archives — the same cache paths Keras uses, so files Keras downloaded are found here.

Origins are anything :func:`urllib.request.urlretrieve` opens (``https://``,
``file://``) or a plain local path. A download that fails raises
:class:`DownloadError` naming the URL and the exact path to put the file at (the way
to use the function offline); a checksum mismatch after download raises
:class:`~torchbridge.errors.InputError` and the bad file is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

from torchbridge.errors import DownloadError, InputError

__all__ = [
    "DownloadError",
    "extract_archive",
    "get_file",
    "hash_file",
    "keras_home",
    "validate_file",
]


def keras_home() -> str:
    """Keras's cache root: ``$KERAS_HOME`` if set, else ``~/.keras`` (``/tmp/.keras`` when
    the home folder is not writable). Read at each call (Keras reads it at import)."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return os.path.join(base, ".keras")


def _hasher(algorithm: str, file_hash: str | None = None) -> Any:
    if algorithm == "sha256" or (
        algorithm == "auto" and file_hash is not None and len(file_hash) == 64
    ):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath: str, algorithm: Any = "sha256", chunk_size: int = 65535) -> str:
    """The hex digest of a file (``algorithm``: "sha256", "md5", "auto" or a hashlib object)."""
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return str(hasher.hexdigest())


def validate_file(
    fpath: str, file_hash: str, algorithm: str = "auto", chunk_size: int = 65535
) -> bool:
    """Whether the file's digest equals ``file_hash`` ("auto": sha256 for 64 hex digits,
    else md5)."""
    return hash_file(fpath, _hasher(algorithm, file_hash), chunk_size) == str(file_hash)


# --- archives ---------------------------------------------------------------------------
def _inside(base: str, relative: str) -> bool:
    path = os.path.realpath(os.path.join(base, relative))
    try:
        return os.path.commonpath([path, base]) == base
    except ValueError:
        return False


def _safe_members(members: Any, base: str, kind: str) -> Iterator[Any]:
    """Members whose paths (and link targets) stay inside ``base``; others are skipped
    with a warning, as Keras does."""
    base = os.path.realpath(base)
    for info in members:
        name = info.filename if kind == "zip" else info.name
        ok = _inside(base, name)
        if ok and kind == "tar" and (info.issym() or info.islnk()):
            if info.islnk():
                ok = _inside(base, info.linkname)
            else:
                target = os.path.join(os.path.dirname(os.path.join(base, name)), info.linkname)
                ok = _inside(base, os.path.relpath(os.path.realpath(target), base))
        if ok:
            yield info
        else:
            warnings.warn(
                f"Skipping invalid path during archive extraction: '{name}'.", stacklevel=3
            )


def extract_archive(file_path: Any, path: Any = ".", archive_format: Any = "auto") -> bool:
    """Extract a tar(.gz/.bz2/.xz) or zip archive into ``path``; False when ``file_path``
    is none of the allowed formats ("auto" = tar then zip; None = never extract)."""
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    if isinstance(formats, str):
        formats = [formats]
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in formats:
        if kind == "tar":
            if not tarfile.is_tarfile(file_path):
                continue
            opened: Any = tarfile.open(file_path)  # noqa: SIM115 (closed below)
        elif kind == "zip":
            if not zipfile.is_zipfile(file_path):
                continue
            opened = zipfile.ZipFile(file_path)
        else:
            raise ValueError(f"Unknown archive_format {kind!r}; pass 'tar', 'zip' or 'auto'.")
        with opened as archive:
            try:
                if kind == "zip":
                    archive.extractall(path, members=_safe_members(archive.infolist(), path, kind))
                else:
                    kwargs = (
                        {"filter": "data"}
                        if "filter" in inspect.signature(archive.extractall).parameters
                        else {}
                    )
                    archive.extractall(path, members=_safe_members(archive, path, kind), **kwargs)
            except (tarfile.TarError, RuntimeError, KeyboardInterrupt):
                if os.path.isfile(path):
                    os.remove(path)
                elif os.path.exists(path):
                    shutil.rmtree(path)
                raise
        return True
    return False


# --- get_file ---------------------------------------------------------------------------
def _cache_dir(cache_dir: str | None, cache_subdir: str) -> str:
    base = os.path.expanduser(cache_dir if cache_dir is not None else keras_home())
    if not os.path.exists(base):
        # (Keras falls back to /tmp/.keras for a missing folder; creating it is kinder)
        with contextlib.suppress(OSError):
            os.makedirs(base, exist_ok=True)
    if not os.access(base, os.W_OK):
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    return datadir


def _targets(fname: str | None, origin: str, datadir: str, extracting: bool) -> tuple[str, str]:
    """(download target, extraction dir) laid out as Keras lays them out."""
    provided = fname
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise InputError(
                f"Can't parse the file name from the origin provided: '{origin}'. "
                "Please specify the `fname` argument."
            )
    elif os.sep in fname:
        raise InputError(
            "Paths are no longer accepted as the `fname` argument. To specify the file's "
            f"parent directory, use the `cache_dir` argument. Received: fname={fname}"
        )
    if not extracting:
        return os.path.join(datadir, fname), ""
    if provided and "." in fname:
        stem = fname[: fname.find(".")]
        return os.path.join(datadir, fname), os.path.join(datadir, f"{stem}_extracted")
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


def _download(origin: str, target: str) -> None:
    """Fetch ``origin`` into ``target`` through a temporary file, so an interrupted or
    failed download never leaves a partial file at ``target``."""
    print(f"Downloading data from {origin}")
    source = origin
    if "://" not in origin and os.path.exists(origin):
        source = "file://" + urllib.request.pathname2url(os.path.abspath(origin))
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".download-")
    os.close(fd)
    try:
        try:
            urllib.request.urlretrieve(source, tmp)
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", None) or e
            raise DownloadError(
                f"Could not download {origin} ({reason}). Without network access, put the "
                f"file at {target} (for example copied from a machine that has it in its "
                "Keras cache) and call again."
            ) from e
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def get_file(
    fname: Any = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: Any = "auto",
    cache_dir: Any = None,
    force_download: bool = False,
) -> str:
    """Download ``origin`` into ``<cache_dir>/<cache_subdir>/<fname>`` unless a file with a
    matching hash is already there, and return its path (the extraction folder when
    ``extract``/``untar``) — Keras's ``get_file`` with Keras's cache layout."""
    if origin is None:
        raise InputError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = _cache_dir(None if cache_dir is None else os.fspath(cache_dir), cache_subdir)
    fname = None if fname is None else os.fspath(fname)
    target, extraction_dir = _targets(fname, origin, datadir, bool(extract or untar))

    download = force_download or not os.path.exists(target)
    if (
        not download
        and file_hash is not None
        and not validate_file(target, file_hash, algorithm=hash_algorithm)
    ):
        print(
            "A local file was found, but it seems to be incomplete or outdated because the "
            f"{hash_algorithm} file hash does not match the original value of {file_hash} "
            "so we will re-download the data."
        )
        download = True
    if download:
        _download(origin, target)
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            os.remove(target)
            raise InputError(
                f"Incomplete or corrupted file detected: the {hash_algorithm} hash of the file "
                f"downloaded from {origin} does not match the provided value {file_hash}. "
                "The file was not kept; check the URL and the hash, then call again."
            )
    if extract or untar:
        if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
            warnings.warn("Could not extract archive.", stacklevel=2)
        return extraction_dir
    return target
