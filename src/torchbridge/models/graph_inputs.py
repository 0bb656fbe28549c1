"""Functional models whose inputs are intermediate tensors, as Keras allows:
``Model(inputs=encoded_features, outputs=...)`` where ``encoded_features`` is the output
of some layer rather than of ``keras.Input``.

As Keras's ``clone_graph_nodes`` does, each such input gets a new ``keras.Input`` of its
shape and dtype (named ``<tensor name>CLONE``), and the layers between the inputs and the
outputs are called again on the new tensors, recording new nodes (the layers and their
weights are shared). The model is then built on the new inputs and outputs.
"""

from __future__ import annotations

from typing import Any

from torchbridge.layers.input_layer import Input, InputLayer
from torchbridge.layers.symbolic import KerasTensor, Node, map_structure

__all__ = ["rebase_on_inputs"]


def _is_input(t: Any) -> bool:
    return isinstance(t, KerasTensor) and isinstance((t._keras_history or (None,))[0], InputLayer)


def rebase_on_inputs(
    inputs: Any, outputs: Any, flat_inputs: list[Any], flat_outputs: list[Any], node_of: Any
) -> tuple[Any, Any]:
    """``(inputs, outputs)`` unchanged when every input comes from ``keras.Input``; else
    new ones in the same structures, rebuilt on fresh ``Input`` tensors."""
    if all(_is_input(t) for t in flat_inputs) or not all(
        isinstance(t, KerasTensor) and t._keras_history is not None
        for t in flat_inputs + flat_outputs
    ):
        return inputs, outputs
    mapping: dict[int, Any] = {}
    for t in flat_inputs:
        if _is_input(t):
            mapping[id(t)] = t
        else:
            mapping[id(t)] = Input(batch_shape=t.shape, dtype=t.dtype, name=f"{t.name}CLONE")
    order: list[Node] = []
    seen: set[int] = set()

    def visit(t: KerasTensor) -> None:
        if id(t) in mapping:
            return
        node = node_of(t)
        if id(node) in seen or isinstance(node.layer, InputLayer):
            return  # (an Input that is not among the inputs: Functional reports it)
        seen.add(id(node))
        for parent in node.input_tensors:
            visit(parent)
        order.append(node)

    for t in flat_outputs:
        visit(t)

    def new(v: Any) -> Any:
        return mapping.get(id(v), v) if isinstance(v, KerasTensor) else v

    for node in order:  # parents first: replay each call on the new tensors
        out = node.layer(*map_structure(new, node.args), **map_structure(new, node.kwargs))
        flat_out = [v for v in _leaves(out) if isinstance(v, KerasTensor)]
        for old, fresh in zip(node.output_tensors, flat_out):
            mapping[id(old)] = fresh
    return map_structure(new, inputs), map_structure(new, outputs)


def _leaves(x: Any) -> list[Any]:
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in _leaves(item)]
    if isinstance(x, dict):
        return [leaf for item in x.values() for leaf in _leaves(item)]
    return [x]
