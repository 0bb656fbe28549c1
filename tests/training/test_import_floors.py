"""The engine and the floors below it never import ``torchbridge.hf`` (read from the source).

``torchbridge.hf`` sits above ``training`` and ``models``: the engine knows
Hugging Face ``datasets`` only through the adapter registry
(:mod:`torchbridge.training.adapter_registry`), and ``Model.wrap`` knows
transformers models only through the wrapper registry
(:mod:`torchbridge.models.wrap_registry`). This walks the AST of every
module of the lower floors — lazy imports inside functions included — and
fails on any ``import torchbridge.hf...``, ``from torchbridge.hf... import``,
``from torchbridge import hf``, relative form, or ``importlib.import_module`` /
``__import__`` of a literal ``"torchbridge.hf..."``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import torchbridge

ROOT = Path(torchbridge.__file__).parent
FLOORS = [
    "training",
    "callbacks",
    "layers",
    "models",
    "optimizers",
    "losses",
    "metrics",
    "data",
    "io",
    "utils",
    "saving",
]
HF = "torchbridge.hf"


def _absolute(module: str | None, level: int, path: Path) -> str:
    if not level:
        return module or ""
    package = path.relative_to(ROOT.parent).with_suffix("").parts[:-1]  # this module's package
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _is_hf(name: str) -> bool:
    return name == HF or name.startswith(HF + ".")


def hf_imports(path: Path) -> list[str]:
    """``"line: statement"`` for every import of torchbridge.hf in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, path)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if called in ("import_module", "__import__") and isinstance(first, ast.Constant):
                names = [str(first.value)]
        if any(_is_hf(n) for n in names):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def _modules(floor: str) -> list[Path]:
    return sorted((ROOT / floor).rglob("*.py"))


@pytest.mark.parametrize("floor", FLOORS)
def test_floor_never_imports_torchbridge_hf(floor: str) -> None:
    assert _modules(floor), f"no modules under {floor}/"
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in _modules(floor)
        if (found := hf_imports(path))
    }
    assert offenders == {}, (
        f"{floor}/ imports torchbridge.hf, a floor above it: {offenders}. Register a handler "
        "from torchbridge.hf instead (see training/adapter_registry.py, "
        "models/wrap_registry.py)."
    )


@pytest.mark.parametrize(
    ("source", "where", "caught"),
    [
        ("import torchbridge.hf.data", "training/x.py", True),
        ("from torchbridge.hf.data import prepare_dataset", "training/x.py", True),
        ("from torchbridge import hf", "training/x.py", True),
        ("from ..hf import data", "training/x.py", True),
        ("from ..hf.data import prepare_dataset", "training/x.py", True),
        ("def f():\n    from torchbridge.hf import wrap", "training/x.py", True),
        ("importlib.import_module('torchbridge.hf.dataset_adapter')", "training/x.py", True),
        ("from torchbridge import hfx, training", "training/x.py", False),
        ("from . import adapter_registry", "training/x.py", False),
        ("register_lazy_data_adapter('datasets', 'torchbridge.hf.dataset_adapter')", "t.py", False),
    ],
)
def test_the_check_catches_every_spelling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, where: str, caught: bool
) -> None:
    root = tmp_path / "torchbridge"
    path = root / where
    path.parent.mkdir(parents=True)
    path.write_text(source + "\n")
    monkeypatch.setitem(globals(), "ROOT", root)
    assert bool(hf_imports(path)) is caught
