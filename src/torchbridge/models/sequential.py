"""``Sequential``: a plain stack of layers, each feeding the next (a ``Model``).

``Sequential([Input((28, 28, 1)), Conv2D(32, 3), Flatten(), Dense(10)])``
builds every layer at construction (a zero batch is run through, so sizes
are inferred); without an ``Input`` the layers are built on the first batch.
``add`` / ``pop`` edit the stack; ``layers`` lists it. Once the input shape
is known (an ``Input``, ``build(shape)`` or the first batch) ``inputs`` /
``outputs`` / ``input_shape`` / ``output_shape`` read as in Keras. Keras's
``get_config`` / ``from_config`` hold each layer's class and config.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from torchbridge.errors import InputError
from torchbridge.layers.input_layer import InputLayer, KerasTensor
from torchbridge.layers.layer import Layer, get_mask, set_mask, to_shape
from torchbridge.layers.symbolic import torch_dtype
from torchbridge.models.model import Model
from torchbridge.saving import serialization
from torchbridge.utils.modes import evaluation_mode

__all__ = ["Sequential"]


#: Keras's attributes known once the input shape is, and how its errors name them.
_SYMBOLIC_ATTRIBUTES = {
    "inputs": "inputs",
    "outputs": "outputs",
    "input_shape": "input shape",
    "output_shape": "output shape",
}


class Sequential(Model):
    def __init__(
        self,
        layers: Iterable[Any] | None = None,
        trainable: bool = True,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name or "sequential")
        self._layers = nn.ModuleList()
        self._input_shape: tuple[int | None, ...] | None = None
        self._input_dtype: Any = None
        self._layer_shapes: dict[str, list[tuple[int | None, ...]]] = {}
        self._io: tuple[list[Any], list[Any]] | None = None  # symbolic inputs, outputs
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._build_if_possible()
        if not trainable:
            self.trainable = False

    @property
    def layers(self) -> list[nn.Module]:
        return list(self._layers)

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Append a layer (an ``Input``/``InputLayer`` first sets the input shape)."""
        if isinstance(layer, KerasTensor):
            self._set_input(layer.shape, layer.dtype)
            return
        if isinstance(layer, InputLayer):
            self._set_input(layer.input_shape_, layer._dtype_arg)
            return
        if not isinstance(layer, nn.Module):
            raise InputError(
                f"Sequential takes layers (torch.nn.Module instances); got "
                f"{type(layer).__name__}: {layer!r}."
            )
        declared = getattr(layer, "_batch_input_shape", None)
        if not self._layers and declared is not None and self._input_shape is None:
            self._set_input(declared, None)
        self._layers.append(layer)
        if rebuild:
            self._build_if_possible()

    def pop(self, rebuild: bool = True) -> nn.Module:
        if not self._layers:
            raise InputError("pop() on an empty Sequential model: there is no layer to remove.")
        layer = self._layers[-1]
        del self._layers[-1]
        self._io = None
        if rebuild:
            self._build_if_possible()
        return layer

    def build(self, input_shape: Any = None) -> None:
        """Build for ``input_shape`` (batch dimension first), as Keras's ``Sequential.build``."""
        if input_shape is None:
            if self._input_shape is None:
                raise InputError(
                    "You must provide an `input_shape` argument to build() (e.g. "
                    "model.build((None, 784))), or start the model with keras.Input(shape)."
                )
        else:
            self._input_shape = tuple(input_shape)
        self._build_if_possible()

    # --- Keras's symbolic attributes ------------------------------------------------------
    def _symbolic_io(self, what: str) -> tuple[list[Any], list[Any]]:
        if self._io is None and self._input_shape is None and self._build_config is not None:
            spec = self._build_config  # built by a first batch: rebuild the graph from it
            if isinstance(spec, dict) and "shape" in spec:
                self._input_shape = tuple(spec["shape"])
                self._input_dtype = spec.get("dtype")
                self._build_if_possible()
        if self._io is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined {what} yet.")
        return self._io

    def __getattr__(self, name: str) -> Any:
        # A property below that raised AttributeError lands here (Python's rule): say why.
        if name in _SYMBOLIC_ATTRIBUTES:
            self._symbolic_io(_SYMBOLIC_ATTRIBUTES[name])
        return super().__getattr__(name)

    @property
    def inputs(self) -> list[Any]:
        return list(self._symbolic_io("inputs")[0])

    @property
    def outputs(self) -> list[Any]:
        return list(self._symbolic_io("outputs")[1])

    @property
    def input_shape(self) -> tuple[int | None, ...]:
        return tuple(self._symbolic_io("input shape")[0][0].shape)

    @property
    def output_shape(self) -> Any:
        outputs = self._symbolic_io("output shape")[1]
        shapes = [tuple(t.shape) for t in outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input_dtype(self) -> str:
        return str(self._input_dtype or "float32")

    def _set_input(self, shape: tuple[int | None, ...], dtype: Any) -> None:
        if self._layers:
            raise InputError("An Input must come first in a Sequential model.")
        self._input_shape = tuple(shape)
        self._input_dtype = dtype

    def _build_if_possible(self) -> None:
        if self._input_shape is None or not self._layers:
            return
        inputs = KerasTensor(self._input_shape, self._input_dtype or "float32")
        if all(isinstance(m, (Layer, Model)) for m in self._layers):
            # Keras layers are built symbolically: output shapes keep their None dimensions.
            x: Any = inputs
            shapes: dict[str, list[tuple[int | None, ...]]] = {}
            for layer in self._layers:
                x = layer(x)
                outs = x if isinstance(x, (list, tuple)) else [x]
                shapes[str(layer.name)] = [tuple(t.shape) for t in outs]
            self._layer_shapes = shapes
            self._io = ([inputs], list(outs))
            self.built = True
            return
        dtype = torch.float32
        if isinstance(self._input_dtype, str) and "int" in self._input_dtype:
            dtype = getattr(torch, self._input_dtype)
        probe = torch.zeros(*(1 if d is None else d for d in self._input_shape), dtype=dtype)
        with evaluation_mode(self), torch.no_grad():
            out = self.call(probe)
        self._example_input = probe
        outs = out if isinstance(out, (list, tuple)) else [out]
        symbolic = [KerasTensor(to_shape(t), str(t.dtype).removeprefix("torch.")) for t in outs]
        self._io = ([inputs], symbolic)
        self.built = True

    def summary_output_shapes(self) -> dict[str, list[tuple[int | None, ...]]]:
        """Each layer's output shape, for ``summary()`` (known once built from an Input)."""
        return dict(self._layer_shapes)

    def _convert_input(self, x: Any) -> Any:
        """Keras: a Sequential model with an ``Input`` converts its input to that dtype (an
        int64 or bool feature array into float32), like a functional model."""
        if isinstance(x, dict) and self._input_shape is not None:  # an Input takes one array
            raise InputError(
                f"Sequential model '{self.name}' takes one input, but received a dict with keys "
                f"{sorted(map(str, x))}. Pass the array itself (x[{next(iter(x))!r}] when there "
                "is one key), or build a functional keras.Model with named Inputs."
            )
        if not isinstance(x, torch.Tensor) or not isinstance(self._input_dtype, str):
            return x
        dtype = torch_dtype(self._input_dtype)
        if dtype is None:  # text inputs
            return x
        if x.dtype != dtype and (x.is_floating_point() or dtype.is_floating_point):
            return x.to(dtype)
        return x

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        x = self._convert_input(inputs)
        if mask is None and x is not inputs:
            mask = get_mask(inputs)  # the conversion made a new tensor: carry the mask over
        if mask is not None:  # Keras passes mask= to a nested Sequential (its saved configs too)
            set_mask(x, mask)
        if training is None:  # the layers follow their module mode (fit/predict set it)
            for layer in self._layers:
                x = layer(x)
            return x
        for layer in self._layers:  # an explicit training= reaches every Keras layer
            x = layer(x, training=training) if isinstance(layer, Layer) else layer(x)
        return x

    def get_config(self) -> dict[str, Any]:
        """Keras 3's layout: ``layers`` (an ``InputLayer`` first when declared), each serialized."""
        layers = []
        if self._input_shape is not None:
            first = InputLayer(
                batch_shape=self._input_shape, dtype=self._input_dtype, name="input_layer"
            )
            layers.append(serialization.serialize(first))
        layers += [serialization.serialize(layer) for layer in self._layers]
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable, "layers": layers}
        if self._input_shape is not None:
            config["build_input_shape"] = list(self._input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Sequential:
        if "layers" not in config:
            raise InputError(
                "A Sequential config is a dict with 'name' and 'layers' keys; got keys "
                f"{sorted(config)}."
            )
        layers = [serialization.deserialize(c, custom_objects) for c in config["layers"]]
        model = cls(layers, name=config.get("name"))
        build_shape = config.get("build_input_shape")
        if build_shape is not None and not model.built:
            model.build(build_shape)
        if not config.get("trainable", True):
            model.trainable = False
        return model
