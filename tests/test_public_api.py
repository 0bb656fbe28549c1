"""The public API is explicit: every ``__all__`` name exists, and importing is cheap."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import torchbridge

PACKAGES = [
    "torchbridge",
    "torchbridge.losses",
    "torchbridge.metrics",
    "torchbridge.optimizers",
    "torchbridge.optimizers.schedules",
    "torchbridge.callbacks",
    "torchbridge.models",
    "torchbridge.errors",
    "torchbridge.saving",
    "torchbridge.data",
    "torchbridge.io",
    "torchbridge.layers",
    "torchbridge.layers.preprocessing",
    "torchbridge.utils",
    "torchbridge.utils.legacy",
    "torchbridge.ops.bounding_boxes",
    "torchbridge.legacy",
    "torchbridge.legacy.saving",
    "torchbridge.hf",
    "torchbridge.mixed_precision",
    "torchbridge.regularizers",
    "torchbridge.constraints",
    "torchbridge.random",
    "torchbridge.backend",
    "torchbridge.config",
    "torchbridge.ops",
    "torchbridge.tree",
    "torchbridge.wrappers",
    "torchbridge.datasets",
    "torchbridge.preprocessing",
    "torchbridge.preprocessing.image",
    "torchbridge.preprocessing.sequence",
    "torchbridge.data.from_directory",
    "torchbridge.distillation",
    "torchbridge.distribution",
    "torchbridge.distribute",
    "torchbridge.visualization",
    "torchbridge.export",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__, name
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ lists missing names {missing}"
    assert len(set(module.__all__)) == len(module.__all__)


def test_top_level_names() -> None:
    assert set(torchbridge.__all__) == {
        "DTypePolicy",
        "FloatDTypePolicy",
        "Function",
        "Initializer",
        "Layer",
        "Loss",
        "Metric",
        "Optimizer",
        "Regularizer",
        "RematScope",
        "remat",
        "Input",
        "InputSpec",
        "Operation",
        "device",
        "name_scope",
        "Model",
        "Sequential",
        "export",
        "Variable",
        "layers",
        "callbacks",
        "data",
        "errors",
        "io",
        "losses",
        "metrics",
        "optimizers",
        "__version__",
        "activations",
        "initializers",
        "models",
        "saving",
        "load_model",
        "utils",
        "mixed_precision",
        "regularizers",
        "constraints",
        "random",
        "KerasTensor",
        "backend",
        "config",
        "ops",
        "tree",
        "version",
        "wrappers",
        "datasets",
        "preprocessing",
        "distillation",
        "distribute",
        "distribution",
        "visualization",
        "legacy",
    }


@pytest.mark.parametrize("namespace", ["backend", "config", "tree", "utils"])
def test_keras_namespaces_have_every_keras_name(namespace: str) -> None:
    keras = pytest.importorskip("keras")
    theirs = {n for n in dir(getattr(keras, namespace)) if not n.startswith("_")}
    ours = set(getattr(torchbridge, namespace).__all__)
    assert theirs <= ours, sorted(theirs - ours)


def test_keras_spellings_resolve() -> None:
    import torchbridge as keras

    assert keras.callbacks.EarlyStopping and keras.callbacks.ModelCheckpoint
    assert keras.optimizers.Adam and keras.optimizers.schedules.CosineDecay
    assert keras.losses.SparseCategoricalCrossentropy and keras.metrics.AUC


def test_import_does_not_pull_optional_dependencies() -> None:
    code = (
        "import sys, torchbridge; torchbridge.visualization; "
        "bad = [m for m in ('tensorflow', 'keras', 'tensorboard', 'sklearn', 'transformers', "
        "'matplotlib', 'cv2') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
