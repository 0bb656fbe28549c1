"""The import rewrite of ``torchbridge migrate``, run after the body rewrite.

* ``from tensorflow import keras``, ``import tensorflow.keras as keras`` and ``import
  keras`` become ``import torchbridge as keras``; ``from tensorflow.keras.X import Y``
  becomes ``from torchbridge.X import Y`` (legacy names renamed, the old local name kept
  with ``as``); names torchbridge lacks stay imported from TensorFlow and are reported.
* ``import tensorflow as tf`` (and other TensorFlow imports) are removed once nothing in
  the file uses the bound name; otherwise they stay (the reported places still need TF).
* The imports the rewritten body needs (``torchbridge as keras``, ``torchbridge``,
  ``torch``) are added after the file's leading imports when missing.
"""

from __future__ import annotations

from typing import Any

import libcst as cst
from libcst.metadata import PositionProvider

from torchbridge.migrate.aliases import dotted
from torchbridge.migrate.names import canonical, resolve_keras
from torchbridge.migrate.report import Finding

__all__ = ["ImportRewriter", "add_imports", "used_names"]


class _Used(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def used_names(module: cst.Module) -> set[str]:
    """Every ``Name`` used outside import statements."""
    visitor = _Used()
    module.visit(visitor)
    return visitor.names


def _asname(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def _from_line(module: str, names: list[tuple[str, str | None]]) -> str:
    parts = [n if a is None or a == n else f"{n} as {a}" for n, a in names]
    return f"from {module} import {', '.join(parts)}\n"


class ImportRewriter(cst.CSTTransformer):
    """Rewrites import statements; ``findings`` lists names left on TensorFlow."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, used: set[str], needs: set[str]) -> None:
        super().__init__()
        self.used = used
        self.needs = needs
        self.findings: list[Finding] = []
        self.depth = 0
        self._removed: list[cst.SimpleStatementLine] = []

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> Any:
        """Put the imports the body needs where the first removed TensorFlow import was
        (its comments above them); drop the other removed imports, moving their comment
        lines onto the next statement; without a removed import, see :func:`add_imports`."""
        body: list[Any] = []
        carried: list[cst.EmptyLine] = []
        missing = _missing_lines(updated_node, self.needs)
        for stmt in updated_node.body:
            if any(stmt is marker for marker in self._removed):
                if missing:
                    new = [cst.parse_statement(line) for line in missing]
                    new[0] = new[0].with_changes(leading_lines=stmt.leading_lines)
                    body.extend(new)
                    missing = []
                else:
                    carried.extend(line for line in stmt.leading_lines if line.comment is not None)
                continue
            if carried:
                stmt = stmt.with_changes(leading_lines=[*carried, *stmt.leading_lines])
                carried = []
            body.append(stmt)
        return add_imports(updated_node.with_changes(body=body), self.needs)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.depth += 1

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> Any:
        self.depth -= 1
        return updated_node

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> Any:
        if len(updated_node.body) != 1:
            return updated_node
        stmt = updated_node.body[0]
        if isinstance(stmt, cst.Import):
            lines = self._import(stmt)
        elif isinstance(stmt, cst.ImportFrom):
            lines = self._import_from(original_node, stmt)
        else:
            return updated_node
        if lines is None:
            return updated_node
        if not lines:
            if self.depth:
                return cst.parse_statement("pass\n").with_changes(
                    leading_lines=updated_node.leading_lines
                )
            marker = cst.SimpleStatementLine(
                body=[cst.Pass()], leading_lines=updated_node.leading_lines
            )
            self._removed.append(marker)
            return marker
        new = [cst.parse_statement(line) for line in lines]
        new[0] = new[0].with_changes(leading_lines=updated_node.leading_lines)
        new[-1] = new[-1].with_changes(trailing_whitespace=updated_node.trailing_whitespace)
        return cst.FlattenSentinel(new)

    def _import(self, stmt: cst.Import) -> list[str] | None:
        lines: list[str] = []
        changed = False
        for alias in stmt.names:
            name = dotted(alias.name) or ""
            asname = _asname(alias)
            path = canonical(name)
            local = asname or name.split(".")[0]
            if name.split(".")[0] == "tensorflow" and not path.startswith("keras"):
                if local in self.used:
                    lines.append(f"import {name}" + (f" as {asname}" if asname else "") + "\n")
                else:
                    changed = True
                continue
            if name == "keras" or (
                path.startswith("keras") and asname and name.split(".")[0] != "torchbridge"
            ):
                new, manual = resolve_keras(path)
                if manual is None and new is not None:
                    changed = True
                    if new == "keras":
                        lines.append(f"import torchbridge as {local}\n")
                    else:
                        module, _, last = new.rpartition(".")
                        lines.append(
                            _from_line("torchbridge" + module[len("keras") :], [(last, local)])
                        )
                    continue
            lines.append(f"import {name}" + (f" as {asname}" if asname else "") + "\n")
        return lines if changed else None

    def _import_from(
        self, original: cst.SimpleStatementLine, stmt: cst.ImportFrom
    ) -> list[str] | None:
        if stmt.relative or stmt.module is None:
            return None
        module = dotted(stmt.module) or ""
        root = module.split(".")[0]
        if root not in ("tensorflow", "keras", "tf_keras"):
            return None
        path = canonical(module)
        if isinstance(stmt.names, cst.ImportStar):
            if path.startswith("keras") or root == "tensorflow":
                pos = self.get_metadata(PositionProvider, original).start
                self.findings.append(
                    Finding(
                        pos.line,
                        pos.column,
                        "manual",
                        f"`from {module} import *`",
                        "import the names you use",
                        "keras-names",
                    )
                )
            return None
        groups: dict[str, list[tuple[str, str | None]]] = {}
        kept: list[tuple[str, str | None]] = []
        changed = False
        for alias in stmt.names:
            name = dotted(alias.name) or ""
            asname = _asname(alias)
            local = asname or name
            full = canonical(f"{module}.{name}")
            if full.startswith("keras"):
                new, manual = resolve_keras(full)
                if manual is None and new is not None:
                    changed = True
                    if new == "keras":
                        groups.setdefault("", []).append(("torchbridge", local))
                        continue
                    new_module, _, last = new.rpartition(".")
                    groups.setdefault("torchbridge" + new_module[len("keras") :], []).append(
                        (last, None if local == last else local)
                    )
                    continue
                pos = self.get_metadata(PositionProvider, original).start
                assert manual is not None
                self.findings.append(
                    Finding(
                        pos.line,
                        pos.column,
                        "manual",
                        f"`{name}` has no automatic replacement",
                        *manual,
                    )
                )
                kept.append((name, asname))
            elif local in self.used:
                kept.append((name, asname))
            else:
                changed = True  # a TensorFlow name the body no longer uses
        if not changed:
            return None
        lines: list[str] = []
        for new_module, names in groups.items():
            if new_module == "":
                lines.extend(f"import torchbridge as {local}\n" for _, local in names)
            else:
                lines.append(_from_line(new_module, names))
        if kept:
            lines.append(_from_line(module, kept))
        return lines


def _bound(module: cst.Module) -> set[str]:
    """``import torch`` / ``import torchbridge`` / ``import torchbridge as keras`` forms
    already at the top level, as the needs they satisfy."""
    have: set[str] = set()
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if not isinstance(small, cst.Import):
                continue
            for alias in small.names:
                name, asname = dotted(alias.name), _asname(alias)
                if name == "torchbridge" and asname == "keras":
                    have.add("keras")
                elif name in ("torch", "torchbridge") and asname is None:
                    have.add(name)
                elif (
                    name is not None
                    and asname is None
                    and name.startswith(("torch.", "torchbridge."))
                ):
                    have.add(name.split(".")[0])
    return have


def _is_import(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
    )


def _missing_lines(module: cst.Module, needs: set[str]) -> list[str]:
    missing = needs - _bound(module)
    return [
        line
        for need, line in (
            ("torch", "import torch\n"),
            ("torchbridge", "import torchbridge\n"),
            ("keras", "import torchbridge as keras\n"),
        )
        if need in missing
    ]


def add_imports(module: cst.Module, needs: set[str]) -> cst.Module:
    """Add the missing imports among ``needs`` after the leading imports."""
    lines = _missing_lines(module, needs)
    if not lines:
        return module
    body = list(module.body)
    index = 0
    for i, stmt in enumerate(body):
        is_doc = (
            i == 0
            and isinstance(stmt, cst.SimpleStatementLine)
            and isinstance(stmt.body[0], cst.Expr)
            and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
        )
        if is_doc or _is_import(stmt):
            index = i + 1
        else:
            break
    new = [cst.parse_statement(line) for line in lines]
    return module.with_changes(body=[*body[:index], *new, *body[index:]])
