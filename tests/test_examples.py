"""The programs in examples/ run unchanged on Keras and on torchbridge, and learn as well.

Each example is a plain Keras 3 script (``import keras``). It runs twice in
this process: once with the real Keras (TensorFlow backend), once with
``sys.modules["keras"]`` pointing at ``torchbridge`` while the file is
executed — the file itself is never edited. Small settings keep each run to
a few seconds; both frameworks get the same settings and seed, and
torchbridge must reach Keras's test accuracy (minus a small margin, since the
two draw different random initial weights) and an absolute floor that
proves learning. Each run also saves the model to ``.keras``, reloads it and
predicts; the reloaded model must score what the trained one scored.

The topic examples (one per docs/guide page that has none above: boosted trees
next to a network, saving, export and serving, data-parallel ``fit``) run both
ways too, each with its own checks: the boosters agree exactly, files written by
one framework load in the other, the Keras-written ``.keras`` file is served by
torchbridge's TF-Serving-style server, and two ``torchrun`` processes end with the
weights of one process.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import torchbridge

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# (file, small settings for the tests, absolute accuracy floor)
CASES = {
    "convnet_digits": ("convnet_digits.py", {"epochs": 8}, 0.93),
    "text_classification_conv1d": (
        "text_classification_conv1d.py",
        {"epochs": 4, "train_size": 2000, "sequence_length": 100, "max_tokens": 5000},
        0.92,
    ),
    "bidirectional_lstm": (
        "bidirectional_lstm.py",
        {"epochs": 3, "train_size": 800, "sequence_length": 32, "max_tokens": 4000},
        0.88,
    ),
    "custom_training_loop": ("custom_training_loop.py", {"epochs": 5}, 0.92),
    "image_pipeline": ("image_pipeline.py", {"epochs": 8}, 0.93),
    "text_tfidf_bigrams": (
        "text_tfidf_bigrams.py",
        {"epochs": 4, "train_size": 2000, "max_tokens": 5000},
        0.93,
    ),
}
MARGIN = 0.03  # torchbridge may trail Keras by this much (different random initial weights)
# the examples of docs/guide topics; each has its own test below
TOPIC_EXAMPLES = [
    "ecosystem_boosting.py",
    "saving_roundtrip.py",
    "export_serve.py",
    "scaling_out.py",
]


@contextlib.contextmanager
def keras_module(module: Any) -> Iterator[None]:
    """Make ``import keras`` give ``module``, and find ``examples/_data.py``; undo both after."""
    saved_keras = sys.modules.get("keras")
    saved_data = sys.modules.pop("_data", None)
    sys.modules["keras"] = module
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield
    finally:
        sys.path.remove(str(EXAMPLES))
        sys.modules.pop("_data", None)
        if saved_data is not None:
            sys.modules["_data"] = saved_data
        if saved_keras is None:
            sys.modules.pop("keras", None)
        else:
            sys.modules["keras"] = saved_keras


def run_example(filename: str, module: Any, **kwargs: Any) -> dict[str, float]:
    with keras_module(module):
        namespace = runpy.run_path(str(EXAMPLES / filename))
        assert namespace["keras"] is module
        return namespace["main"](verbose=0, **kwargs)


@pytest.mark.parametrize("case", list(CASES))
def test_example_runs_unchanged_and_matches_keras(case: str, capsys) -> None:
    filename, settings, floor = CASES[case]
    theirs = run_example(filename, keras, **settings)
    keras_output = capsys.readouterr().out
    ours = run_example(filename, torchbridge, **settings)
    our_output = capsys.readouterr().out
    assert sys.modules["keras"] is keras  # restored

    assert theirs["accuracy"] >= floor, theirs  # the setting is one where Keras learns
    assert ours["accuracy"] >= floor, (ours, theirs)
    assert ours["accuracy"] >= theirs["accuracy"] - MARGIN, (ours, theirs)
    assert ours["loss"] < 0.5, ours
    # save → load_model → predict gives the trained model's test accuracy
    for result in (theirs, ours):
        assert result["restored_accuracy"] == pytest.approx(result["accuracy"], abs=1e-6)
        assert 1 <= result["epochs"] <= settings["epochs"]
    # both printed Keras's summary header for the same model name
    model_line = next(line for line in keras_output.splitlines() if line.startswith("Model:"))
    assert model_line in our_output


def test_examples_are_plain_keras_programs() -> None:
    """No torchbridge in the example programs: they are written for Keras alone."""
    for filename in [case[0] for case in CASES.values()] + TOPIC_EXAMPLES:
        source = (EXAMPLES / filename).read_text()
        assert "import torchbridge" not in source and "torchbridge." not in source, filename
        assert "\nimport keras\n" in source, filename
        assert 'if __name__ == "__main__":\n    print(main(' in source, filename
    assert "import keras" not in (EXAMPLES / "_data.py").read_text()


def test_run_example_restores_sys_modules() -> None:
    before = sys.modules["keras"]
    with pytest.raises(ZeroDivisionError), keras_module(torchbridge):
        assert sys.modules["keras"] is torchbridge
        raise ZeroDivisionError
    assert sys.modules["keras"] is before
    assert str(EXAMPLES) not in sys.path


def _test_digits() -> np.ndarray:
    return runpy.run_path(str(EXAMPLES / "_data.py"))["load_digits_data"](0)[1][0]


@pytest.mark.slow
def test_boosted_trees_next_to_the_network_agree_across_frameworks() -> None:
    theirs = run_example("ecosystem_boosting.py", keras, epochs=30)
    ours = run_example("ecosystem_boosting.py", torchbridge, epochs=30)
    for booster in ("xgboost", "lightgbm"):  # not Keras at all: identical either way
        assert ours[booster] == theirs[booster]
        assert theirs[booster]["accuracy"] >= 0.9, theirs
    assert theirs["network"]["accuracy"] >= 0.9, theirs
    assert ours["network"]["accuracy"] >= theirs["network"]["accuracy"] - MARGIN, (ours, theirs)
    assert ours["network"]["log_loss"] < 0.2, ours
    assert ours["average"]["accuracy"] >= 0.9, ours


@pytest.mark.slow
def test_saved_files_round_trip_and_cross_frameworks(tmp_path: Path) -> None:
    results = {}
    for name, module in (("keras", keras), ("torchbridge", torchbridge)):
        (tmp_path / name).mkdir()
        results[name] = run_example(
            "saving_roundtrip.py", module, epochs=4, workdir=str(tmp_path / name)
        )
        for how in ("load_model", "load_weights", "from_config"):
            assert results[name][how] <= 1e-6, (name, results[name])
        assert results[name]["accuracy"] >= 0.9, (name, results[name])
    x = _test_digits()[:16]
    for writer in ("keras", "torchbridge"):  # each file, loaded by both, predicts the same
        path = results[writer]["model_path"]
        by_keras = keras.models.load_model(path).predict(x, verbose=0)
        by_torchbridge = torchbridge.models.load_model(path).predict(x, verbose=0)
        np.testing.assert_allclose(by_torchbridge, by_keras, atol=1e-5, err_msg=writer)


@pytest.mark.slow
def test_export_reloads_and_the_keras_file_is_served(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from torchbridge.serving import create_app, load_runner

    results = {}
    for name, module in (("keras", keras), ("torchbridge", torchbridge)):
        (tmp_path / name).mkdir()
        results[name] = run_example(
            "export_serve.py", module, epochs=4, workdir=str(tmp_path / name)
        )
        assert results[name]["export_difference"] <= 1e-5, (name, results[name])
        assert results[name]["accuracy"] >= 0.9, (name, results[name])
    assert results["keras"]["export_path"].endswith("digits_savedmodel")  # TF Serving's format
    assert results["torchbridge"]["export_path"].endswith("digits.onnx")
    # the .keras file Keras wrote, served by torchbridge with TF Serving's REST API
    path = results["keras"]["model_path"]
    x = _test_digits()[:3]
    with TestClient(create_app(load_runner(path), "digits")) as client:
        reply = client.post("/v1/models/digits:predict", json={"instances": x.tolist()})
    assert reply.status_code == 200, reply.text
    served = np.asarray(reply.json()["predictions"])
    expected = keras.models.load_model(path).predict(x, verbose=0)
    np.testing.assert_allclose(served, expected, atol=1e-5)


@pytest.mark.slow
def test_two_torchrun_processes_end_with_the_one_process_weights(tmp_path: Path) -> None:
    theirs = run_example("scaling_out.py", keras, epochs=2)
    ours = run_example("scaling_out.py", torchbridge, out=str(tmp_path / "one.npz"))
    assert theirs["accuracy"] >= 0.85 and ours["accuracy"] >= 0.85, (ours, theirs)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
    }
    env.update(OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    script = str(EXAMPLES / "scaling_out.py")
    # the README's command; main's defaults, as in the one-process run above
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "torchbridge",
        "run",
        script,
        str(tmp_path / "two.npz"),
    ]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    one, two = np.load(tmp_path / "one.npz"), np.load(tmp_path / "two.npz")
    assert one.files == two.files
    for key in one.files:
        np.testing.assert_allclose(two[key], one[key], atol=1e-5, err_msg=key)


@pytest.mark.slow
def test_hf_text_classifier_fine_tunes_and_its_folder_loads_in_a_pipeline(tmp_path: Path) -> None:
    """Written for torchbridge (transformers 5 has no TensorFlow classes): run once."""
    namespace = runpy.run_path(str(EXAMPLES / "hf_text_classifier.py"))
    result = namespace["main"](verbose=0, workdir=str(tmp_path))
    assert result["accuracy"] >= 0.8, result  # the untrained head is at chance (~0.5-0.7)
    assert result["loss"] < 0.5, result
    assert result["pipeline_agrees"], result
    assert (Path(result["folder"]) / "config.json").exists()
