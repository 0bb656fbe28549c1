"""The corpus: small TF2-style programs (tests/migrate/programs/) run under TensorFlow with
tf_keras, migrated with ``torchbridge migrate``, and run again under torchbridge; their
results (losses, metrics, predictions, weights, parsed records) must agree. The migrated
copies must not import TensorFlow. Each side runs all programs in one subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

libcst = pytest.importorskip("libcst")

from torchbridge.migrate import migrate_source  # noqa: E402
from torchbridge.migrate.aliases import collect_aliases  # noqa: E402
from torchbridge.migrate.imports import used_names  # noqa: E402

HERE = Path(__file__).parent
PROGRAMS = sorted((HERE / "programs").glob("*.py"))
NAMES = [p.stem for p in PROGRAMS]


def test_corpus_has_the_six_programs() -> None:
    assert NAMES == [
        "callbacks_fit",
        "custom_loop",
        "legacy_names",
        "mlp_sequential",
        "text_functional",
        "tfrecord_reader",
    ]


@pytest.mark.parametrize("program", PROGRAMS, ids=NAMES)
def test_program_migrates_completely(program: Path) -> None:
    report = migrate_source(program.read_text(), str(program))
    assert report.changed and not report.manual, report.findings
    module = libcst.parse_module(report.migrated)
    assert not any(p.startswith("tensorflow") for p in collect_aliases(module).values())
    assert "tf" not in used_names(module)
    compile(report.migrated, str(program), "exec")
    assert migrate_source(report.migrated).migrated == report.migrated


def _run(out: Path, data: Path, programs: list[Path], env: dict[str, str]) -> dict[str, Any]:
    out.mkdir()
    subprocess.run(
        [sys.executable, str(HERE / "run_corpus.py"), str(out), str(data), *map(str, programs)],
        env=env,
        check=True,
        timeout=600,
        capture_output=True,
    )
    results: dict[str, Any] = {}
    for name in NAMES:
        error = out / f"{name}.error"
        results[name] = (
            error.read_text() if error.exists() else json.loads((out / f"{name}.json").read_text())
        )
    results["_modules"] = json.loads((out / "_modules.json").read_text())
    return results


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_keras")
    from torchbridge import io

    root = tmp_path_factory.mktemp("corpus")
    for side in ("tf", "tb"):
        records = root / f"data_{side}" / "tfrecord_reader"
        records.mkdir(parents=True)
        rng = np.random.default_rng(7)
        with io.TFRecordWriter(str(records / "train.tfrecord")) as writer:
            for i in range(10):
                x = rng.normal(size=3).astype("float32").tolist()
                writer.write(
                    io.encode_example(
                        {"x": io.float_feature(x), "label": io.int64_feature([i % 2])}
                    )
                )
    migrated = root / "migrated"
    migrated.mkdir()
    for program in PROGRAMS:
        (migrated / program.name).write_text(migrate_source(program.read_text()).migrated)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_"))}
    base["CUDA_VISIBLE_DEVICES"] = ""
    tf_env = {
        **base,
        "TF_USE_LEGACY_KERAS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_ENABLE_ONEDNN_OPTS": "0",
    }
    original = _run(root / "out_tf", root / "data_tf", PROGRAMS, tf_env)
    converted = _run(root / "out_tb", root / "data_tb", sorted(migrated.glob("*.py")), base)
    return original, converted


def _assert_close(expected: Any, actual: Any, where: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected), where
        for key in expected:
            _assert_close(expected[key], actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (e, a) in enumerate(zip(expected, actual)):
            _assert_close(e, a, f"{where}[{i}]")
    elif isinstance(expected, (bool, str)) or expected is None:
        assert actual == expected, where
    else:
        assert actual == pytest.approx(expected, rel=1e-4, abs=1e-5), where


@pytest.mark.slow
def test_migrated_programs_do_not_import_tensorflow(
    corpus: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    original, converted = corpus
    assert original["_modules"] == {"tensorflow": True}
    assert converted["_modules"] == {"tensorflow": False}


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_migrated_program_matches_tensorflow(
    name: str, corpus: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    original, converted = corpus
    assert isinstance(original[name], dict), f"under TensorFlow:\n{original[name]}"
    assert isinstance(converted[name], dict), f"under torchbridge:\n{converted[name]}"
    _assert_close(original[name], converted[name], name)
