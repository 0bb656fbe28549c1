"""``keras.utils.model_to_dot`` and ``plot_model``: a model's layer graph as Graphviz DOT.

One node per layer, labelled as Keras labels it (an HTML table: name and class, and on
request activation, input/output shapes, output dtype, trainable), one edge per
layer-to-layer connection of the functional graph (consecutive layers for a
``Sequential``). ``expand_nested`` draws inner models as dashed clusters. pydot (the
``plot`` extra) builds the graph; ``plot_model`` needs Graphviz's ``dot`` program to render
it to a file.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

from torch import nn

from torchbridge.errors import InputError

__all__ = ["model_to_dot", "plot_model"]


def _pydot() -> Any:
    try:
        import pydot
    except ImportError:
        raise ImportError(
            "You must install pydot for model_to_dot / plot_model to work: "
            "pip install 'torchbridge[plot]' (or pip install pydot)."
        ) from None
    return pydot


def _check_graphviz(pydot: Any) -> None:
    try:
        pydot.Dot.create(pydot.Dot())
    except (OSError, pydot.PydotException) as e:  # pydot raises these when `dot` is missing
        raise ImportError(
            "You must install graphviz (its `dot` program must be on PATH; see "
            "https://graphviz.gitlab.io/download/, e.g. apt-get install graphviz) for "
            f"plot_model to work ({e}). model_to_dot(model).to_string() gives the DOT text "
            "without it."
        ) from None


def _activation_name(layer: Any) -> str:
    activation = layer.activation
    for attr in ("name", "__name__"):
        if hasattr(activation, attr):
            return str(getattr(activation, attr))
    return str(activation)


def _shape_text(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, dict):
        text = ", ".join(f"{k}: {v}" for k, v in value.items())
    else:
        text = f"{value}"
    return text.replace("}", "").replace("{", "")


def _structure(value: Any, attr: str) -> Any:
    if isinstance(value, (list, tuple)):
        return [_structure(v, attr) for v in value]
    if isinstance(value, dict):
        return {k: _structure(v, attr) for k, v in value.items()}
    return getattr(value, attr)


def _layer_io(layer: Any, attr: str) -> Any:
    try:
        return _structure(layer.input, attr), _structure(layer.output, attr)
    except (ValueError, AttributeError, InputError):
        return None, None


def _label(
    layer: Any,
    show_layer_names: bool,
    show_layer_activations: bool,
    show_dtype: bool,
    show_shapes: bool,
    show_trainable: bool,
) -> str:
    class_name = type(layer).__name__
    span = max(1, int(show_dtype) + int(show_trainable) + (2 if show_shapes else 0))
    title = f"<b>{layer.name}</b> ({class_name})" if show_layer_names else f"<b>{class_name}</b>"
    table = '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    table += (
        f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white">'
        f"{title}</font></td></tr>"
    )
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        table += (
            f'<tr><td bgcolor="white" colspan="{span}"><font point-size="14">'
            f"Activation: <b>{_activation_name(layer)}</b></font></td></tr>"
        )
    cells = []
    if show_shapes:
        input_shape, output_shape = _layer_io(layer, "shape")
        if class_name != "InputLayer":
            cells.append(
                '<td bgcolor="white"><font point-size="14">'
                f"Input shape: <b>{_shape_text(input_shape)}</b></font></td>"
            )
        cells.append(
            '<td bgcolor="white"><font point-size="14">'
            f"Output shape: <b>{_shape_text(output_shape)}</b></font></td>"
        )
    if show_dtype:
        _, dtype = _layer_io(layer, "dtype")
        cells.append(
            '<td bgcolor="white"><font point-size="14">'
            f"Output dtype: <b>{dtype or '?'}</b></font></td>"
        )
    if show_trainable and hasattr(layer, "trainable") and list(layer.parameters()):
        if layer.trainable:
            cells.append(
                '<td bgcolor="forestgreen"><font point-size="14" color="white">'
                "<b>Trainable</b></font></td>"
            )
        else:
            cells.append(
                '<td bgcolor="firebrick"><font point-size="14" color="white">'
                "<b>Non-trainable</b></font></td>"
            )
    if cells:
        table += f"<tr>{''.join(cells)}</tr>"
    return table + "</table>>"


def _add_edge(dot: Any, pydot: Any, src: Any, dst: Any) -> None:
    src_id, dst_id = str(id(src)), str(id(dst))
    if not dot.get_edge(src_id, dst_id):
        edge = pydot.Edge(src_id, dst_id)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _is_graph_model(layer: Any) -> bool:
    from torchbridge.models.functional import Functional
    from torchbridge.models.sequential import Sequential

    return isinstance(layer, (Functional, Sequential))


def _last_layer(model: Any) -> Any:
    from torchbridge.models.sequential import Sequential

    while _is_graph_model(model):
        if isinstance(model, Sequential):
            model = model.layers[-1]
        else:
            model = model.outputs[0]._keras_history[0]
    return model


def _first_layer(model: Any, input_index: int) -> Any:
    from torchbridge.models.sequential import Sequential

    while _is_graph_model(model):
        if isinstance(model, Sequential):
            model = model.layers[0]
        else:
            model = model.inputs[min(input_index, len(model.inputs) - 1)]._keras_history[0]
    return model


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> Any:
    """The model's layer graph as a ``pydot.Dot`` (a ``pydot.Cluster`` with ``subgraph``)."""
    from torchbridge.models.functional import Functional
    from torchbridge.models.sequential import Sequential

    if not getattr(model, "built", True):
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or "
            "by calling the model on a batch of data."
        )
    pydot = _pydot()
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    options = {
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_dtype": show_dtype,
        "show_shapes": show_shapes,
        "show_trainable": show_trainable,
    }

    def add_node(layer: Any) -> None:
        node = pydot.Node(str(id(layer)), label=_label(layer, **options))
        node.set("fontname", "Helvetica")
        node.set("border", "0")
        node.set("margin", "0")
        dot.add_node(node)

    if not isinstance(model, (Functional, Sequential)):
        add_node(model)  # a subclassed model: one box
        return dot
    layers: list[nn.Module] = list(model.layers)
    for layer in layers:
        if expand_nested and _is_graph_model(layer):
            dot.add_subgraph(
                model_to_dot(
                    layer,
                    show_shapes,
                    show_dtype,
                    show_layer_names,
                    rankdir,
                    expand_nested,
                    subgraph=True,
                    show_layer_activations=show_layer_activations,
                    show_trainable=show_trainable,
                )
            )
        else:
            add_node(layer)
    if isinstance(model, Sequential):
        for a, b in itertools.pairwise(layers):
            if expand_nested:
                a, b = _last_layer(a), _first_layer(b, 0)
            _add_edge(dot, pydot, a, b)
        return dot
    for node in model._nodes:  # the calls that make up this model's graph
        for input_index, tensor in enumerate(node.input_tensors):
            history = tensor._keras_history
            if history is None:
                continue
            source, destination = history[0], node.layer
            if expand_nested:
                source = _last_layer(source)
                destination = _first_layer(destination, input_index)
            _add_edge(dot, pydot, source, destination)
    return dot


def plot_model(
    model: Any,
    to_file: str | os.PathLike[str] = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> Any:
    """Draw the model's layer graph to ``to_file`` (format from its extension; png by
    default). Returns an ``IPython.display.Image`` when IPython is installed, as Keras."""
    if not getattr(model, "built", True):
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or "
            "by calling the model on a batch of data."
        )
    pydot = _pydot()
    _check_graphviz(pydot)
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
    )
    path = os.fspath(to_file)
    extension = os.path.splitext(path)[1][1:] or "png"
    dot.write(path, format=extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=path)
    return None
