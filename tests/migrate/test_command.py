"""`torchbridge migrate` on the command line: summary, --diff, --write (atomic, in place),
--check exit codes, folders walked, missing paths and unparsable files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("libcst")

from torchbridge.cli import main

SOURCE = "import tensorflow as tf\n\ny = tf.reduce_sum(x, axis=0)  # total\n"
MANUAL = "import tensorflow as tf\n\ntf.print(1)\n"
CLEAN = "import torchbridge as keras\n\ny = keras.ops.sum(x, axis=0)\n"


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text(SOURCE)
    (tmp_path / "pkg" / "sub" / "b.py").write_text(SOURCE)
    (tmp_path / "pkg" / "notes.txt").write_text(SOURCE)
    return tmp_path / "pkg"


def test_summary_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = _tree(tmp_path)
    assert main(["migrate", str(pkg)]) == 0
    out = capsys.readouterr().out
    assert f"{pkg / 'a.py'}:3:5: rewritten: `tf.reduce_sum` -> `keras.ops.sum`" in out
    assert "2 file(s) checked, 2 would be rewritten, 0 place(s) to convert by hand." in out
    assert (pkg / "a.py").read_text() == SOURCE


def test_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = _tree(tmp_path)
    assert main(["migrate", "--diff", str(pkg / "a.py")]) == 0
    out = capsys.readouterr().out
    assert f"--- a/{pkg / 'a.py'}" in out
    assert "-y = tf.reduce_sum(x, axis=0)  # total\n+y = keras.ops.sum(x, axis=0)  # total" in out
    assert "-import tensorflow as tf\n+import torchbridge as keras" in out


def test_check_write_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = _tree(tmp_path)
    os.chmod(pkg / "a.py", 0o640)
    assert main(["migrate", "--check", str(pkg)]) == 1
    assert main(["migrate", "--write", str(pkg)]) == 0
    assert (
        pkg / "a.py"
    ).read_text() == "import torchbridge as keras\n\ny = keras.ops.sum(x, axis=0)  # total\n"
    assert (pkg / "sub" / "b.py").read_text() == (pkg / "a.py").read_text()
    assert (pkg / "notes.txt").read_text() == SOURCE  # only *.py
    assert os.stat(pkg / "a.py").st_mode & 0o777 == 0o640
    assert not [p for p in os.listdir(pkg) if p.startswith(".migrate-")]
    capsys.readouterr()
    assert main(["migrate", "--check", str(pkg)]) == 0  # idempotent: nothing left
    assert "0 would be rewritten" in capsys.readouterr().out


def test_check_fails_on_manual_places(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.py").write_text(MANUAL)
    (tmp_path / "c.py").write_text(CLEAN)
    assert main(["migrate", "--check", str(tmp_path / "c.py")]) == 0
    assert main(["migrate", "--check", str(tmp_path / "m.py")]) == 1
    assert "1 place(s) to convert by hand" in capsys.readouterr().out
    assert main(["migrate", str(tmp_path / "m.py")]) == 0


def test_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", str(tmp_path / "nope.py")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "bad.py").write_text("import tensorflow as tf\ndef (:\n")
    assert main(["migrate", "--write", str(tmp_path / "bad.py")]) == 2
    assert "cannot parse" in capsys.readouterr().out
    assert (tmp_path / "bad.py").read_text() == "import tensorflow as tf\ndef (:\n"
    assert main(["migrate"]) == 2


def test_usage_lists_migrate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "torchbridge migrate PATH... [--write] [--diff] [--check]" in capsys.readouterr().out
