"""Crash-safe writes: build the new file (or folder) beside the target, then swap it into place.

* :func:`atomic_path` — a temporary file in the target's folder, ``os.replace``-d
  over the target on success: readers see the old file or the new one, never a
  torn one.
* :func:`atomic_dir` — the same for a folder (a Hugging Face bundle): the new
  folder is written beside the target and exchanged with it in one step
  (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, with the old
  folder put back by the next save if a crash falls between them).
* :func:`clean_stale_temps` — removes what a killed writer (``kill -9``, power
  loss) left behind. Every temporary name made here has the form
  ``.<target>.<host>.<pid>.<token>.tmp[<suffix>]``; a name of that form is
  removed only when its writer is gone: same host and the process no longer
  exists, or untouched for :data:`STALE_AFTER_S` seconds. Nothing else in the
  folder is ever touched. Each save cleans its own folder first.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Iterator

__all__ = ["atomic_path", "atomic_dir", "clean_stale_temps", "temp_name", "STALE_AFTER_S"]

#: A temporary file or folder whose writer cannot be checked (another host, or
#: a PID that was reused) is stale once it has not been modified for this long.
STALE_AFTER_S = 24 * 3600.0

_TEMP_RE = re.compile(r"^\.(?P<target>.+)\.(?P<host>[0-9a-f]{8})\.(?P<pid>\d+)\.[0-9a-f]{12}\.tmp")


def _host_tag() -> str:
    import socket

    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def temp_name(target: str | os.PathLike[str], suffix: str = "") -> str:
    """A fresh temporary path beside ``target`` that :func:`clean_stale_temps` recognises.

    ``suffix`` is appended after ``.tmp`` (a save function that picks the format
    from the file name still sees e.g. ``.keras``).
    """
    path = os.path.abspath(os.fspath(target))
    directory, base = os.path.split(path)
    name = f".{base}.{_host_tag()}.{os.getpid()}.{secrets.token_hex(6)}.tmp{suffix}"
    return os.path.join(directory, name)


def _writer_alive(host: str, pid: int) -> bool:
    if host != _host_tag() or sys.platform == "win32":
        return True  # cannot tell: only the age rule applies
    if pid == os.getpid():
        return True  # this process (another thread may be writing it)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def clean_stale_temps(directory: str | os.PathLike[str]) -> list[str]:
    """Remove the temporary files/folders of dead writers in ``directory``; returns their paths.

    A folder left by :func:`atomic_dir` between its two renames (no exchange
    support) is first moved back to its target name when the target is missing.
    """
    directory = os.fspath(directory) or "."
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    now = time.time()
    removed: list[str] = []
    for name in names:
        match = _TEMP_RE.match(name)
        if match is None:
            continue
        path = os.path.join(directory, name)
        try:
            age = now - os.lstat(path).st_mtime
        except OSError:
            continue
        if _writer_alive(match["host"], int(match["pid"])) and age < STALE_AFTER_S:
            continue
        target = os.path.join(directory, match["target"])
        if name.endswith(".tmp.old") and not os.path.lexists(target):
            with contextlib.suppress(OSError):
                os.rename(path, target)  # the old folder of an interrupted swap
                continue
        _remove(path)
        removed.append(path)
    return removed


def _fsync_dir(directory: str) -> None:
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(filepath: str | os.PathLike[str], suffix: str = "") -> Iterator[str]:
    """Yield a temporary path in the target's folder; ``os.replace`` it over the target on success.

    On an exception the temporary file is removed and the target is untouched;
    after a hard kill the next save in that folder removes it.
    """
    target = os.path.abspath(os.fspath(filepath))
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    clean_stale_temps(directory)
    tmp = temp_name(target, suffix)
    try:
        yield tmp
        if os.path.isfile(tmp) and not os.path.islink(tmp):
            with open(tmp, "rb+") as f:  # the data is on disk before the rename makes it visible
                os.fsync(f.fileno())
        os.replace(tmp, target)
        _fsync_dir(directory)
    except BaseException:
        if os.path.lexists(tmp):
            _remove(tmp)
        raise


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: str, b: str) -> bool:
    """Swap two existing paths in one step (Linux ``renameat2``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL / ENOSYS / EOPNOTSUPP: this file system cannot exchange
        return False
    raise OSError(errno, os.strerror(errno), a)


@contextlib.contextmanager
def atomic_dir(directory: str | os.PathLike[str]) -> Iterator[str]:
    """Yield a fresh empty folder beside ``directory``; swap it into place on success.

    Readers see the complete old folder or the complete new one. The old
    folder's contents are removed after the swap.
    """
    target = os.path.abspath(os.fspath(directory))
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    clean_stale_temps(parent)
    tmp = temp_name(target)
    os.mkdir(tmp)
    try:
        yield tmp
        _fsync_dir(tmp)
        if not os.path.lexists(target):
            os.rename(tmp, target)
        elif os.path.isdir(target) and not os.path.islink(target) and _exchange(tmp, target):
            _remove(tmp)  # now holds the old folder
        elif os.path.isdir(target) and not os.path.islink(target):
            old = temp_name(target, ".old")
            os.rename(target, old)
            os.rename(tmp, target)
            _remove(old)
        else:  # a file or a symlink at the target name: replace the entry, never follow it
            os.remove(target)
            os.rename(tmp, target)
        _fsync_dir(parent)
    except BaseException:
        if os.path.lexists(tmp):
            _remove(tmp)
        raise
