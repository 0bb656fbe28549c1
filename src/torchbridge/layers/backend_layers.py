"""Keras layers bound to another backend: JaxLayer, FlaxLayer and TFSMLayer.

They wrap JAX functions, Flax modules or TensorFlow SavedModels, which cannot
run on PyTorch, so constructing one raises :class:`BackendLayerError` naming the
torchbridge alternative (``TorchModuleWrapper`` for framework code; for a
SavedModel, converting the model or loading its weights into a torchbridge model).
"""

from __future__ import annotations

from typing import Any, NoReturn

from torchbridge.errors import BackendLayerError

__all__ = ["BackendLayerError", "FlaxLayer", "JaxLayer", "TFSMLayer"]

_PORT = (
    "Port the computation to PyTorch and wrap the torch.nn.Module in "
    "keras.layers.TorchModuleWrapper (its parameters become the layer's weights)."
)


def _refuse(name: str, why: str, fix: str) -> NoReturn:
    raise BackendLayerError(
        f"keras.layers.{name} {why}, which torchbridge (PyTorch) cannot run. {fix}"
    )


class JaxLayer:
    """Keras's ``JaxLayer`` (JAX backend only): refused with the alternative."""

    def __init__(
        self,
        call_fn: Any,
        init_fn: Any = None,
        params: Any = None,
        state: Any = None,
        seed: Any = None,
        native_serialization_platforms: Any = None,
        **kwargs: Any,
    ) -> None:
        _refuse("JaxLayer", "wraps a JAX function", _PORT)


class FlaxLayer:
    """Keras's ``FlaxLayer`` (JAX backend only): refused with the alternative."""

    def __init__(self, module: Any, method: Any = None, variables: Any = None, **kwargs: Any):
        _refuse("FlaxLayer", "wraps a Flax module", _PORT)


class TFSMLayer:
    """Keras's ``TFSMLayer`` (a TensorFlow SavedModel as a layer): refused with the
    alternatives."""

    def __init__(
        self,
        filepath: Any,
        call_endpoint: str = "serve",
        call_training_endpoint: str | None = None,
        trainable: bool = True,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        _refuse(
            "TFSMLayer",
            f"loads a TensorFlow SavedModel ({filepath!r})",
            "Rebuild the model in torchbridge and load its weights (a .keras / .weights.h5 "
            "file saved by Keras loads with model.load_weights), or convert the SavedModel "
            "(e.g. to ONNX with tf2onnx) and run it with onnxruntime.",
        )
