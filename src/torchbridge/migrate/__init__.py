"""``torchbridge migrate``: rewrite TensorFlow 2 / tf.keras source so it runs on
torchbridge (libcst, comments and formatting kept).

* :func:`migrate_source` — one file's text in, a :class:`FileReport` out (new text and
  findings); :func:`migrate_paths` — files and folders (``*.py``, walked).
* The rewritten file imports ``torchbridge as keras`` (and ``torchbridge`` for
  ``torchbridge.data`` / ``torchbridge.io``), so it runs with plain ``python``.
* Modules: :mod:`.aliases` (what the imports bind), :mod:`.names` (keras names, legacy
  renames), :mod:`.ops_table` (``tf.*`` -> ``keras.ops`` and ``tf.data`` / ``tf.io``),
  :mod:`.tape` (GradientTape loops), :mod:`.rewriter` (the body pass), :mod:`.imports`
  (the import pass), :mod:`.report` (findings), :mod:`.command` (the CLI).

libcst is imported on first use (the ``migrate`` extra).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from torchbridge.migrate.report import DOCS_PAGE, FileReport, Finding, format_summary

__all__ = [
    "DOCS_PAGE",
    "FileReport",
    "Finding",
    "format_summary",
    "iter_python_files",
    "migrate_paths",
    "migrate_source",
]


def migrate_source(source: str, path: str = "<string>") -> FileReport:
    """Migrate one file's text; a syntax error is returned as ``report.error``."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    from torchbridge.migrate.aliases import collect_aliases
    from torchbridge.migrate.imports import ImportRewriter, used_names
    from torchbridge.migrate.rewriter import BodyRewriter

    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as e:
        return FileReport(
            path, source, source, error=f"cannot parse: {e.message} (line {e.raw_line})"
        )
    aliases = collect_aliases(module)
    if not aliases and "tensorflow" not in source and "keras" not in source:
        return FileReport(path, source, source)
    body = BodyRewriter(aliases)
    module = MetadataWrapper(module, unsafe_skip_copy=True).visit(body)
    imports = ImportRewriter(used_names(module), body.needs)
    module = MetadataWrapper(module, unsafe_skip_copy=True).visit(imports)
    findings = sorted(
        {*body.findings, *imports.findings}, key=lambda f: (f.line, f.column, f.message)
    )
    return FileReport(path, source, module.code, findings)


def iter_python_files(paths: Iterable[str]) -> Iterable[str]:
    """``paths`` with folders walked for ``*.py`` (sorted; hidden folders skipped)."""
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
                for name in sorted(files):
                    if name.endswith(".py"):
                        yield os.path.join(root, name)
        else:
            yield path


def migrate_paths(paths: Iterable[str]) -> list[FileReport]:
    """Migrate every file (nothing is written; see ``torchbridge migrate --write``)."""
    reports = []
    for path in iter_python_files(paths):
        with open(path, encoding="utf-8", newline="") as f:
            source = f.read()
        reports.append(migrate_source(source, path))
    return reports
