"""Every public name of Keras (outside keras.applications, quantizers and
dtype_policies) exists in torchbridge, or docs/keras-differences.md says why not.

The walk goes through Keras's public modules (``keras.layers``, ``keras.ops.nn``,
``keras.utils.bounding_boxes`` ...); a name counts as present when the same dotted
path resolves on ``torchbridge``. Missing names must be listed, each with its reason,
in the section "Keras names torchbridge does not provide" of the differences page; a
listed name that now exists is reported as stale.
"""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

import torchbridge

keras = pytest.importorskip("keras")

SKIPPED = ("keras.applications", "keras.quantizers", "keras.dtype_policies", "keras.src")
DOC = Path(__file__).resolve().parents[1] / "docs" / "keras-differences.md"
SECTION = "## Keras names torchbridge does not provide"
TARGET = 0.95  # issue 12: at least 95% of the public names


def keras_public_names() -> set[str]:
    names: set[str] = set()

    def walk(module: types.ModuleType, path: str) -> None:
        for attr in dir(module):
            if attr.startswith("_"):
                continue
            value = getattr(module, attr)
            full = f"{path}.{attr}"
            if isinstance(value, types.ModuleType):
                # public submodules only (keras.layers, keras.ops.nn ...), not re-imports
                if value.__name__ == full and not full.startswith(SKIPPED):
                    walk(value, full)
                continue
            if not full.startswith(SKIPPED):
                names.add(full)

    walk(keras, "keras")
    return names


def resolves(name: str) -> bool:
    obj: object = torchbridge
    for part in name.split(".")[1:]:
        try:
            obj = getattr(obj, part)
        except Exception:
            return False
    return True


def documented_missing() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    assert SECTION in text, f"{DOC.name} has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    found: dict[str, str] = {}
    for line in section.splitlines():
        match = re.match(r"- `(keras\.[\w.]+)`(?:, `(keras\.[\w.]+)`)*: (.+)", line.strip())
        if match:
            for name in re.findall(r"`(keras\.[\w.]+)`", line.split(":", 1)[0]):
                found[name] = match.group(3)
    return found


@pytest.fixture(scope="module")
def names() -> set[str]:
    return keras_public_names()


def test_every_missing_name_is_documented(names: set[str]) -> None:
    missing = sorted(n for n in names if not resolves(n))
    listed = documented_missing()
    undocumented = [n for n in missing if n not in listed]
    assert not undocumented, (
        f"{len(undocumented)} public Keras names are missing from torchbridge and not listed "
        f"under {SECTION!r} in docs/keras-differences.md: {undocumented}"
    )


def test_no_stale_entries(names: set[str]) -> None:
    stale = sorted(n for n in documented_missing() if n in names and resolves(n))
    assert not stale, f"listed as missing but present now (remove from the doc): {stale}"


def test_coverage_target(names: set[str]) -> None:
    present = sum(resolves(n) for n in names)
    assert present / len(names) >= TARGET, (
        f"{present} of {len(names)} public Keras names ({present / len(names):.1%}); "
        f"target {TARGET:.0%}"
    )
