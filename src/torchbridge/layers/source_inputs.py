"""``keras.utils.get_source_inputs``: the ``Input`` tensors a symbolic tensor was computed from."""

from __future__ import annotations

from typing import Any

__all__ = ["get_source_inputs"]


def get_source_inputs(tensor: Any) -> Any:
    """The list of input KerasTensors needed to compute ``tensor`` (walking its layer calls
    back to the ``Input`` layers); an object without history is returned as it is."""
    if not hasattr(tensor, "_keras_history"):
        return tensor
    history = tensor._keras_history
    if history is None:
        return [tensor]
    layer, node_index, _ = history
    nodes = layer.__dict__.get("_inbound_nodes") or []
    if node_index >= len(nodes):  # an Input layer (or a layer with no recorded call)
        return [tensor]
    node = nodes[node_index]
    if not node.input_tensors:  # the node of an Input layer
        return list(node.output_tensors)
    sources: list[Any] = []
    for parent in node.input_tensors:
        for source in get_source_inputs(parent):
            if all(source is not seen for seen in sources):
                sources.append(source)
    return sources
