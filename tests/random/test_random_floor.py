"""``torchbridge.random`` sits on the ground floor next to ``ops``: it imports only
``torchbridge.backend``, ``torchbridge.utils``, ``torchbridge.errors`` and itself
(read from the source, lazy imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

import torchbridge.random

ALLOWED = ("torchbridge.backend", "torchbridge.utils", "torchbridge.errors", "torchbridge.random")


def test_random_imports_nothing_above_its_floor() -> None:
    offenders = []
    for path in sorted(Path(torchbridge.random.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: use absolute imports"
                names = [node.module or ""]
            else:
                continue
            for name in names:
                if name.startswith("torchbridge") and not name.startswith(ALLOWED):
                    offenders.append(f"{path.name}:{node.lineno}: {name}")
    assert not offenders, offenders
