"""torchbridge: the Keras workflow on plain PyTorch.

``import torchbridge as keras`` gives a Keras developer ``Model`` with
``compile / fit / evaluate / predict``, Keras's losses, metrics, optimizers,
learning-rate schedules and callbacks — with ``torch.nn.Module`` models,
tensor batches and safetensors weights underneath.
"""

from torchbridge import (
    activations,
    backend,
    callbacks,
    config,
    constraints,
    data,
    distillation,
    distribute,
    distribution,
    errors,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    saving,
    tree,
    utils,
)
from torchbridge.backend.remat import RematScope, remat
from torchbridge.backend.scopes import device, name_scope
from torchbridge.initializers import Initializer
from torchbridge.layers import Layer
from torchbridge.layers.input_layer import Input
from torchbridge.layers.input_spec import InputSpec
from torchbridge.layers.operation import Operation
from torchbridge.layers.symbolic import KerasTensor
from torchbridge.layers.variable import Variable
from torchbridge.losses import Loss
from torchbridge.metrics import Metric
from torchbridge.mixed_precision import DTypePolicy
from torchbridge.models import Model, Sequential, load_model
from torchbridge.models.function import Function
from torchbridge.optimizers import Optimizer
from torchbridge.regularizers import Regularizer

#: ``keras.FloatDTypePolicy``: Keras 3's name for a float policy (one class here).
FloatDTypePolicy = DTypePolicy

__version__ = "0.1.0"


#: The Keras API release torchbridge follows (names, signatures, semantics).
KERAS_API_VERSION = "3.15.0"


_LAZY_PACKAGES = (
    "wrappers",
    "datasets",
    "preprocessing",
    "visualization",
    "legacy",
    "export",
    "io",
)


def __getattr__(name: str) -> object:
    """Packages loaded on first use: ``wrappers`` imports scikit-learn; ``datasets`` and
    ``preprocessing`` (Keras's data loaders) and ``visualization`` (matplotlib/OpenCV
    drawing) are only needed by programs that use them; ``legacy`` holds tf.keras 2's
    serialization functions; ``export`` (SavedModel/ONNX/OpenVINO/torch.export archives)
    and ``io`` (TFRecord and tf.train.Example parsing) are loaded when first used."""
    if name in _LAZY_PACKAGES:
        import importlib

        return importlib.import_module(f"torchbridge.{name}")
    raise AttributeError(f"module 'torchbridge' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_LAZY_PACKAGES})


def version() -> str:
    """``keras.version()``: the Keras API version torchbridge follows, so programs that
    check for Keras 3 take their Keras 3 branch (torchbridge's own is ``__version__``)."""
    return KERAS_API_VERSION


__all__ = [
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
    "Operation",
    "device",
    "name_scope",
    "InputSpec",
    "KerasTensor",
    "backend",
    "config",
    "ops",
    "tree",
    "version",
    "Model",
    "Sequential",
    "Variable",
    "activations",
    "callbacks",
    "constraints",
    "data",
    "distillation",
    "distribute",
    "distribution",
    "errors",
    "export",
    "initializers",
    "io",
    "layers",
    "losses",
    "load_model",
    "metrics",
    "mixed_precision",
    "models",
    "optimizers",
    "random",
    "regularizers",
    "saving",
    "utils",
    "wrappers",
    "datasets",
    "preprocessing",
    "visualization",
    "legacy",
    "__version__",
]
