"""Which local names a file binds to TensorFlow / Keras modules (``import tensorflow as
tf``, ``from tensorflow import keras``, ``from tensorflow.keras.layers import Dense``), and
the full dotted path of a ``Name`` / ``Attribute`` chain through those bindings."""

from __future__ import annotations

import libcst as cst

from torchbridge.migrate.names import canonical

__all__ = ["collect_aliases", "dotted", "resolve", "uses_name"]


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a pure ``Name`` / ``Attribute`` chain, else ``None``."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def _interesting(path: str) -> bool:
    return path.split(".")[0] in ("keras", "tensorflow")


class _Collector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted(alias.name)
            if name is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local, path = alias.asname.name.value, canonical(name)
            else:
                local = name.split(".")[0]
                path = canonical(local)
            if _interesting(path):
                self.aliases[local] = path

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        module = dotted(node.module)
        if module is None:
            return
        for alias in node.names:
            name = dotted(alias.name)
            if name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            path = canonical(f"{module}.{name}")
            if _interesting(path):
                self.aliases[local] = path


def collect_aliases(module: cst.Module) -> dict[str, str]:
    """Local name -> canonical path (``keras.X`` or ``tensorflow.X``) for every import."""
    collector = _Collector()
    module.visit(collector)
    return collector.aliases


def resolve(node: cst.BaseExpression, aliases: dict[str, str]) -> str | None:
    """The canonical dotted path of a chain rooted at an imported name, else ``None``."""
    name = dotted(node)
    if name is None:
        return None
    root, _, rest = name.partition(".")
    if root not in aliases:
        return None
    return canonical(aliases[root] + ("." + rest if rest else ""))


class _NameFinder(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.found = False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.found = True


def uses_name(nodes: list[cst.CSTNode] | tuple[cst.CSTNode, ...], name: str) -> bool:
    """Whether ``name`` appears as a ``Name`` anywhere in ``nodes``."""
    finder = _NameFinder(name)
    for node in nodes:
        node.visit(finder)
        if finder.found:
            return True
    return False
