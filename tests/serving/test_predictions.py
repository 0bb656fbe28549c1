"""``serving.predictions``: a model, a saved path or a serving runner seen as one Predictor
(what the UI and ``torchbridge predict`` use), compared with ``model.predict``."""

from __future__ import annotations

import numpy as np
import pytest

import torchbridge as keras
from torchbridge.errors import InputError
from torchbridge.serving.predictions import Predictor, RunnerModel, as_predictor
from torchbridge.serving.runner import load_runner


@pytest.fixture(scope="module")
def saved_mlp(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input(shape=(2, 2)), keras.layers.Flatten(), keras.layers.Dense(3, "softmax")]
    )
    path = tmp_path_factory.mktemp("p") / "mlp.keras"
    model.save(path)
    return str(path)


class _RunOnly:
    """A runner that only offers the runner protocol (as the ONNX Runtime runner does)."""

    def __init__(self, runner, labels):
        self.inputs, self.outputs, self.labels, self.run = (
            runner.inputs,
            runner.outputs,
            labels,
            runner.run,
        )


ROWS = [[1.0, 2.0, 3.0, 4.0], [0.0, -1.0, 0.5, 2.0]]


@pytest.mark.parametrize("source", ["path", "runner", "run_only", "run_only_labels"])
def test_every_source_predicts_like_the_model(source, saved_mlp):
    model = keras.saving.load_model(saved_mlp)
    expected = model.predict(np.array(ROWS, "float32").reshape(2, 2, 2), verbose=0)
    runner = load_runner(saved_mlp)
    obj = {
        "path": saved_mlp,
        "runner": runner,
        "run_only": _RunOnly(runner, None),
        "run_only_labels": _RunOnly(runner, ["a", "b", "c"]),
    }[source]
    p = as_predictor(obj)
    assert (p.kind, p.input_width, p.input_shape) == ("numeric", 4, (2, 2))
    np.testing.assert_allclose(p.predict(ROWS), expected, rtol=1e-6, atol=1e-7)
    if source.startswith("run_only"):
        assert isinstance(p.model, RunnerModel)
    if source == "run_only":  # no Keras layers to read: only labels make it a classifier
        assert not p.is_classifier
    else:
        names = ["a", "b", "c"] if source == "run_only_labels" else ["0", "1", "2"]
        best = p.labels(p.predict(ROWS))
        assert [b["label"] for b in best] == [names[i] for i in expected.argmax(-1)]
        assert list(best[0]["scores"]) == names


def test_one_sigmoid_unit_scores_both_classes():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, "sigmoid")])
    p = Predictor(model, label_names=["neg", "pos"])
    x = [[0.5, -1.0], [2.0, 1.0]]
    prob = model.predict(np.array(x, "float32"), verbose=0)[:, 0]
    labels = p.labels(p.predict(x))
    for row, q in zip(labels, prob):
        assert row["scores"] == pytest.approx({"neg": 1 - q, "pos": q}, rel=1e-6)
        assert row["label"] == ("pos" if q >= 0.5 else "neg")


def test_wrong_width_and_unknown_shape_are_input_errors():
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    with pytest.raises(InputError, match="takes 3 numbers per example"):
        Predictor(model).predict([[1.0, 2.0]])
    free = keras.Sequential([keras.Input(shape=(None, 3)), keras.layers.Dense(2)])
    with pytest.raises(InputError, match="unknown dimensions"):
        Predictor(free)
