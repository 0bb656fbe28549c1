"""``keras.Function``: a callable graph from ``keras.Input`` tensors to outputs, without
being a model (no weights API, no compile/fit).

It runs the same graph a functional ``Model(inputs, outputs)`` would (held inside), in
inference mode, and returns outputs in the structure they were given in.
"""

from __future__ import annotations

from typing import Any

from torchbridge.layers.operation import Operation
from torchbridge.models.functional import Functional

__all__ = ["Function"]


class Function(Operation):
    """``Function(inputs, outputs, name=None)``: call it on tensors like the graph's inputs."""

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None) -> None:
        super().__init__(name=name)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._graph = Functional(inputs, outputs, name=self.name)

    @property
    def operations(self) -> list[Any]:
        """The graph's operations (input layers first), in execution order."""
        return self._graph.layers

    @property
    def inputs(self) -> Any:
        return self._inputs_struct

    @property
    def outputs(self) -> Any:
        return self._outputs_struct

    def call(self, inputs: Any) -> Any:
        outputs = self._graph(inputs)
        struct = self._outputs_struct
        if isinstance(struct, (list, tuple)) and len(struct) == 1:
            # a Function keeps its one-output list (a Model unpacks it)
            return [outputs] if isinstance(struct, list) else (outputs,)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self._graph.compute_output_shape(input_shape)  # type: ignore[operator]
