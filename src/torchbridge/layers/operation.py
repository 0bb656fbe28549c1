"""``keras.Operation``: the base of a stateless computation with a ``call`` method.

A subclass defines ``call(*args, **kwargs)`` on tensors; calling the operation on torch
tensors runs ``call`` directly. Called on ``KerasTensor`` inputs (``keras.Input``), it
joins the functional graph as one weightless layer that runs ``call`` (shapes come from
probe runs, as for any layer), so ``Model(inputs, MyOp()(inputs))`` trains and predicts.
Such a model saves only when the operation is registered and has a config like a layer's.
"""

from __future__ import annotations

from typing import Any

from torchbridge.errors import InputError
from torchbridge.layers.layer import Layer, _auto_name
from torchbridge.layers.symbolic import any_symbolic

__all__ = ["Operation"]


class Operation:
    """Keras's ``keras.Operation``: subclass it and define ``call``."""

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = _auto_name(type(self).__name__)
        if not isinstance(name, str) or "/" in name:
            raise InputError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name} (of type {type(name)})"
            )
        self.name = name
        self._graph_layer: _OperationLayer | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if any_symbolic(args, kwargs):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement call().")

    def symbolic_call(self, *args: Any, **kwargs: Any) -> Any:
        """The call on KerasTensors: a node of the functional graph (one layer per operation)."""
        if self._graph_layer is None:
            self._graph_layer = _OperationLayer(self)
        return self._graph_layer(*args, **kwargs)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """The outputs as KerasTensors for KerasTensor inputs (by probe runs of ``call``)."""
        if self._graph_layer is None:
            self._graph_layer = _OperationLayer(self)
        return self._graph_layer.compute_output_spec(*args, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Operation:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<Operation name={self.name}>"


class _OperationLayer(Layer):
    """An operation's place in a functional graph: no weights, ``call`` is the operation's."""

    def __init__(self, operation: Operation) -> None:
        super().__init__(name=operation.name)
        self.__dict__["_operation"] = operation  # not a submodule: an Operation is no Module
        self.supports_masking = True  # Keras's operations drop masks silently

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return self.__dict__["_operation"].call(*args, **kwargs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def get_config(self) -> dict[str, Any]:
        op = self.__dict__["_operation"]
        return {"name": self.name, "operation": op.get_config()}
