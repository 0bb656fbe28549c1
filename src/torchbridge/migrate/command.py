"""``torchbridge migrate PATH... [--write] [--diff] [--check]``: the command line of
:mod:`torchbridge.migrate`.

Without flags it prints the summary (each rewrite and each place left to convert by
hand, as ``file:line:col``); ``--diff`` prints a unified diff; ``--write`` rewrites the
files in place (atomically: a temporary file renamed over the original); ``--check``
exits 1 while a file would change or TensorFlow code is left to convert by hand.
Exit status 2: a path is missing or a file cannot be parsed.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile

__all__ = ["main", "write_atomic"]


def write_atomic(path: str, text: str) -> None:
    """Replace ``path``'s content with ``text`` (same folder temp file + ``os.replace``),
    keeping its permission bits."""
    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o7777 if os.path.exists(path) else None
    fd, tmp = tempfile.mkstemp(prefix=".migrate-", suffix=".py", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="torchbridge migrate",
        description="Rewrite TensorFlow 2 / tf.keras code to run on torchbridge (see docs/migrate.md).",
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="Python files or folders (walked for *.py)"
    )
    parser.add_argument("--write", action="store_true", help="rewrite the files in place")
    parser.add_argument("--diff", action="store_true", help="print a unified diff of the changes")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a file would change or TensorFlow code is left to convert by hand",
    )
    try:
        opts = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    missing = [p for p in opts.paths if not os.path.exists(p)]
    if missing:
        print(f"torchbridge migrate: no such file or folder: {missing[0]!r}", file=sys.stderr)
        return 2
    from torchbridge.migrate import format_summary, migrate_paths

    reports = migrate_paths(opts.paths)
    if opts.diff:
        for report in reports:
            if report.changed:
                sys.stdout.writelines(
                    difflib.unified_diff(
                        report.source.splitlines(keepends=True),
                        report.migrated.splitlines(keepends=True),
                        fromfile=f"a/{report.path}",
                        tofile=f"b/{report.path}",
                    )
                )
    if opts.write:
        for report in reports:
            if report.changed:
                write_atomic(report.path, report.migrated)
    print(format_summary(reports, wrote=opts.write))
    if any(r.error is not None for r in reports):
        return 2
    if opts.check and any((r.changed and not opts.write) or r.manual for r in reports):
        return 1
    return 0
