"""Keras's ``EinsumDense``: a dense layer written as an einsum equation.

``EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")``
contracts the input with a ``kernel`` whose shape is read off the equation, the
input shape and ``output_shape`` (the output without its batch axis; ``None``
entries take the input's size). Equations have Keras's three forms:
``ab,bc->ac``, ``...b,bc->...c`` (leading axes elided) and ``ab...,bc->ac...``
(trailing axes elided). Weights are ``kernel`` then ``bias`` (Keras's names,
shapes and order); the kernel's default Glorot initializer takes its fans from
the equation's input and output axes, as in Keras.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

import torch

from torchbridge import activations, constraints, initializers, regularizers
from torchbridge.errors import InputError
from torchbridge.layers.core import _activation_name, _reject_unsupported
from torchbridge.layers.input_spec import InputSpec
from torchbridge.layers.layer import Layer

__all__ = ["EinsumDense", "einsum_shapes"]

_FORMS = (
    (re.compile(r"^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$"), False),
    (re.compile(r"^\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$"), True),
    (re.compile(r"^([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$"), False),
)


def einsum_shapes(
    equation: str, bias_axes: str | None, input_shape: Sequence[Any], output_shape: Any
) -> tuple[list[Any], list[Any] | None, list[Any], list[int], list[int]]:
    """``(kernel_shape, bias_shape, full_output_shape, kernel_input_axes,
    kernel_output_axes)`` of an EinsumDense layer, by Keras's rules."""
    found = [(m, left) for pattern, left in _FORMS if (m := pattern.match(equation))]
    if not found:
        raise ValueError(
            f"EinsumDense: invalid equation {equation!r}. Equations must be of the form "
            "'[X],[Y]->[Z]', '...[X],[Y]->...[Z]' or '[X]...,[Y]->[Z]...'."
        )
    match, left_elided = found[0]
    in_spec, kernel_spec, out_spec = match.groups()
    shape = list(input_shape)
    elided = len(shape) - len(in_spec)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, shape[0])
    if elided > 0 and left_elided:
        out[1:1] = shape[1:elided]
    elif elided > 0:
        out += shape[len(shape) - elided :]
    offset = elided if left_elided else 0
    in_pos = {c: i + offset - (len(shape) if left_elided else 0) for i, c in enumerate(in_spec)}
    out_pos = {c: i + offset for i, c in enumerate(out_spec)}
    for c in in_spec:
        if c in out_pos and out[out_pos[c]] is not None and out[out_pos[c]] != shape[in_pos[c]]:
            raise ValueError(
                f"EinsumDense: input and output shapes differ at the shared axis {c!r} of "
                f"{equation!r}: {shape[in_pos[c]]} in the input, {out[out_pos[c]]} in "
                "output_shape."
            )
    for c in out_spec:
        if c not in in_spec and c not in kernel_spec:
            raise ValueError(
                f"EinsumDense: output axis {c!r} of {equation!r} appears in neither the input "
                f"spec {in_spec!r} nor the kernel spec {kernel_spec!r}."
            )
    kernel: list[Any] = []
    input_axes: list[int] = []
    output_axes: list[int] = []
    for i, c in enumerate(kernel_spec):
        if c in out_pos:
            kernel.append(out[out_pos[c]])
            output_axes.append(i)
        elif c in in_pos:
            kernel.append(shape[in_pos[c]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"EinsumDense: kernel axis {c!r} of {equation!r} is in neither the input spec "
                f"{in_spec!r} nor the output spec {out_spec!r}; the kernel must be fully "
                "determined."
            )
    bias: list[Any] | None = None
    if bias_axes is not None:
        missing = [c for c in bias_axes if c not in out_spec]
        if missing:
            raise ValueError(
                f"EinsumDense: bias axis {missing[0]!r} is not in the output spec {out_spec!r}."
            )
        first = min(out_spec.find(c) for c in bias_axes)
        bias = [
            out[i + offset] if c in bias_axes else 1 for i, c in enumerate(out_spec) if i >= first
        ]
        if not left_elided:
            bias += [1] * max(elided, 0)
    return kernel, bias, out, input_axes, output_axes


class EinsumDense(Layer):
    """Keras's ``EinsumDense``: ``activation(einsum(equation, inputs, kernel) + bias)``."""

    def __init__(
        self,
        equation: str,
        output_shape: Any,
        activation: Any = None,
        bias_axes: str | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        gptq_unpacked_column_size: int | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _reject_unsupported(
            "EinsumDense",
            lora_rank=lora_rank,
            gptq_unpacked_column_size=gptq_unpacked_column_size,
            quantization_config=quantization_config,
        )
        self.equation = equation
        self.partial_output_shape = (
            (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        )
        self.bias_axes = bias_axes
        self.activation_name = _activation_name(activation)
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

    def build(self, input_shape: Any) -> None:
        kernel_shape, bias_shape, _, input_axes, output_axes = einsum_shapes(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )
        if any(d is None for d in kernel_shape):
            raise InputError(
                f"Layer '{self.name}' (EinsumDense): the kernel shape {kernel_shape} of "
                f"{self.equation!r} has unknown sizes for the input shape "
                f"{tuple(input_shape)}; give those axes in output_shape or the input."
            )
        self.input_spec = InputSpec(ndim=len(input_shape))
        kernel_init = self.kernel_initializer
        if hasattr(kernel_init, "input_axes") and (
            kernel_init.input_axes is None or kernel_init.output_axes is None
        ):
            kernel_init = copy.copy(kernel_init)
            kernel_init.input_axes, kernel_init.output_axes = input_axes, output_axes
        self.kernel = self.add_weight(
            name="kernel",
            shape=tuple(kernel_shape),
            initializer=kernel_init,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias: Any = None
        if bias_shape is not None:
            self.bias = self.add_weight(
                name="bias",
                shape=tuple(bias_shape),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = torch.einsum(self.equation, inputs, self.kernel.to(inputs.dtype))
        if self.bias is not None:
            x = x + self.bias.to(x.dtype)
        return self.activation(x)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shapes = einsum_shapes(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )
        return tuple(shapes[2])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": self.activation_name,
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        }
