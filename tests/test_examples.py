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
"""

from __future__ import annotations

import contextlib
import runpy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
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
    for filename, _, _ in CASES.values():
        source = (EXAMPLES / filename).read_text()
        assert "import torchbridge" not in source and "torchbridge." not in source, filename
        assert "\nimport keras\n" in source, filename
        assert 'if __name__ == "__main__":\n    print(main())' in source, filename
    assert "import keras" not in (EXAMPLES / "_data.py").read_text()


def test_run_example_restores_sys_modules() -> None:
    before = sys.modules["keras"]
    with pytest.raises(ZeroDivisionError), keras_module(torchbridge):
        assert sys.modules["keras"] is torchbridge
        raise ZeroDivisionError
    assert sys.modules["keras"] is before
    assert str(EXAMPLES) not in sys.path
