"""``import torchbridge`` stays cheap: heavy or optional third-party modules are imported
by the functions that use them, not at import time (issue 17's import budget), and the
ops' generated wrappers come from their code cache once it is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# module -> what pulls it in when it is used (the place that imports it lazily)
DEFERRED = {
    "safetensors": "saving (weights, checkpoints, layer state), Dataset.cache",
    "google.protobuf": "io.example parsing tf.train.Example records",
    "google_crc32c": "utils.crc32c / tfrecord_io on the first checksum",
    "concurrent.futures.process": "PyDataset workers (use_multiprocessing=True)",
    "multiprocessing.queues": "PyDataset workers (use_multiprocessing=True)",
    "transformers": "torchbridge.hf",
    "tensorflow": "tf.data / tf.Tensor adapters",
}


@pytest.fixture(scope="module")
def imported_after_import() -> dict[str, object]:
    code = (
        "import json, sys, torchbridge\n"
        "import torchbridge.ops._symbolic as s\n"
        f"names = {sorted(DEFERRED)!r}\n"
        "print(json.dumps({'loaded': [n for n in names if n in sys.modules], "
        "'compiled_now': len(s._compiled_here)}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    run = [sys.executable, "-c", code]
    subprocess.run(run, capture_output=True, text=True, check=True, env=env)  # writes caches
    out = subprocess.run(run, capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("module", sorted(DEFERRED))
def test_import_torchbridge_defers(module: str, imported_after_import: dict[str, object]) -> None:
    loaded = imported_after_import["loaded"]
    assert isinstance(loaded, list)
    assert module not in loaded, f"import torchbridge imported {module} ({DEFERRED[module]})"


def test_warm_import_compiles_no_op_wrappers(imported_after_import: dict[str, object]) -> None:
    # The first run wrote the wrappers' code cache next to ops/_symbolic's .pyc (when that
    # folder is writable, as it is in a checkout); the second compiled nothing.
    from torchbridge.ops import _symbolic

    path = _symbolic._code_cache_path()
    if path is None or not os.access(os.path.dirname(path), os.W_OK):
        pytest.skip("bytecode cache folder not writable here")
    assert imported_after_import["compiled_now"] == 0
