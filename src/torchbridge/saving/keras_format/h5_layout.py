"""Where each weight of a torchbridge model lives in a Keras 3 ``.weights.h5`` file.

Keras 3 writes a weights file by walking the model object:

* every layer, model and optimizer it reaches gets a group ``<path>/vars``
  with the layer's ``name`` as the group's ``name`` attribute (made even when
  empty) and one dataset per own variable: ``"0"``, ``"1"`` ... in the layer's
  own order (Keras's ``save_own_variables``: trainable variables, then the
  others — the order torchbridge's ``_keras_weights`` gives);
* the path of a child is its *attribute name* (``forward_layer``, ``cell``,
  ``query_dense``); inside a list (``model.layers``, or a list attribute) it is
  the snake-cased class name, numbered per list in visiting order (``dense``,
  ``dense_1`` ...) — never ``layer.name``;
* a Sequential/Functional model visits ``layers`` first; then every object
  visits its attributes in sorted order, private ones (``_x``) last; a
  subclassed ``Model`` also has ``layers`` (all its direct sublayers) among
  them, so a sublayer reached there first is filed under ``layers/...``;
* an object reached a second time is skipped (shared layers are stored once),
  but it still uses up its number in the list it appears in.

:func:`keras_h5_entries` computes that tree for a torchbridge model. Its
layers keep Keras's attribute names, so the generic walk matches Keras; the
few places where Keras's layers are built differently are listed in
``_layer_entries`` / ``_adjust_children``: Keras's recurrent layers hold
their weights in a ``cell`` sublayer (``lstm/cell/vars/0``), lookups in
``tf_idf`` mode save ``idf_weights`` by that name, and some weightless helper
sublayers exist on one side only (empty groups).
:mod:`torchbridge.saving.keras_format.weights_h5` reads and writes the entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from torchbridge.errors import InputError
from torchbridge.layers.layer import KerasWeight
from torchbridge.utils.naming import snake_case

__all__ = ["H5Entry", "keras_h5_entries", "snake_case", "OPTIMIZER_PATH"]

OPTIMIZER_PATH = "optimizer"

_CONTAINERS = (nn.ModuleList, nn.ModuleDict, nn.Sequential)


@dataclass
class H5Entry:
    """One ``<path>/vars`` group: the weights it holds, in dataset order."""

    path: str  # "" for the model itself
    name: str | None  # the group's ``name`` attribute (None: no group unless it has weights)
    weights: list[KerasWeight] = field(default_factory=list)
    owner: Any = None  # the layer/module, for messages and objects_to_skip
    keys: list[str] | None = None  # dataset names; None: "0", "1" ...

    @property
    def dataset_names(self) -> list[str]:
        return self.keys if self.keys is not None else [str(i) for i in range(len(self.weights))]

    @property
    def vars_path(self) -> str:
        return f"{self.path}/vars" if self.path else "vars"

    @property
    def label(self) -> str:
        """How messages name this entry: the layer name and its path in the file."""
        where = self.vars_path
        return f"'{self.name}' ({where})" if self.name else where


def _sort_key(attribute: str) -> str:
    return "~" + attribute if attribute.startswith("_") else attribute


def _is_container(obj: Any) -> bool:
    return isinstance(obj, (list, tuple, dict)) or (
        isinstance(obj, _CONTAINERS) and not hasattr(obj, "_keras_weights")
    )


def _items(container: Any) -> list[Any]:
    if isinstance(container, (dict, nn.ModuleDict)):
        return list(container.values())
    return list(container)


def _flat_layers(module: nn.Module) -> list[nn.Module]:
    """Keras's ``layers`` of a subclassed model: its direct sublayers, lists flattened."""
    out: list[nn.Module] = []

    def add(obj: Any) -> None:
        if _is_container(obj):
            for item in _items(obj):
                add(item)
        elif isinstance(obj, nn.Module):
            out.append(obj)

    for child in module._modules.values():
        if child is not None:
            add(child)
    return out


def _is_graph_model(module: nn.Module) -> bool:
    from torchbridge.models.functional import Functional
    from torchbridge.models.sequential import Sequential

    return isinstance(module, (Functional, Sequential))


def _is_model(module: Any) -> bool:
    from torchbridge.models.model import Model

    return isinstance(module, Model)


def _attributes(obj: nn.Module) -> list[tuple[str, Any]]:
    """The children Keras would visit, with their attribute names, in its order."""
    first: list[tuple[str, Any]] = []
    rest: list[tuple[str, Any]] = []
    graph = _is_graph_model(obj)
    if graph:
        first.append(("layers", list(getattr(obj, "layers"))))  # noqa: B009
    elif _is_model(obj):
        rest.append(("layers", _flat_layers(obj)))
    for key, child in obj._modules.items():
        if child is None or (graph and key == "_layers"):
            continue
        rest.append((key, child))
    if _is_model(obj) and getattr(obj, "optimizer", None) is not None:
        rest.append((OPTIMIZER_PATH, obj.optimizer))  # type: ignore[union-attr]
    return first + sorted(_adjust_children(obj, rest), key=lambda kv: _sort_key(kv[0]))


def _own_weights(module: nn.Module) -> list[KerasWeight]:
    own = getattr(module, "_keras_weights", None)
    if callable(own):
        return list(own())
    tensors: list[torch.Tensor] = [*module.parameters(recurse=False)]
    tensors += [b for b in module.buffers(recurse=False) if b.is_floating_point()]
    return [KerasWeight(t) for t in tensors]


def _keras_name(module: Any) -> str | None:
    if hasattr(module, "_keras_weights"):  # a torchbridge Layer or Model
        name = getattr(module, "name", None)
        return name if isinstance(name, str) else None
    return None


def _join(path: str, part: str) -> str:
    return f"{path}/{part}" if path else part


# --- where Keras's structure differs from torchbridge's -------------------------------------


@dataclass
class _EmptyLayer:
    """A weightless helper sublayer Keras has and torchbridge does not (an empty group)."""

    name: str


def _layer_entries(module: nn.Module, path: str, own: list[KerasWeight]) -> list[H5Entry]:
    """The groups of one layer: ``<path>/vars`` with its own weights, except where Keras's
    layer is built differently."""
    from torchbridge.layers._rnn_base import RNNBase
    from torchbridge.layers.preprocessing.index_lookup import IndexLookup
    from torchbridge.layers.preprocessing.text_vectorization import TextVectorization

    name = _keras_name(module)
    if isinstance(module, RNNBase):  # Keras: the weights live in a `cell` sublayer
        cell = f"{snake_case(type(module).__name__)}_cell"
        return [H5Entry(path, name, [], module), H5Entry(_join(path, "cell"), cell, own, module)]
    if isinstance(module, (IndexLookup, TextVectorization)):
        # Keras saves a lookup's tf-idf weights, under the key "idf_weights"
        lookup: Any = module._lookup_layer if isinstance(module, TextVectorization) else module
        idf = getattr(lookup, "idf_weights", None)
        if lookup.output_mode == "tf_idf" and isinstance(idf, torch.Tensor):
            return [H5Entry(path, name, [KerasWeight(idf)], module, keys=["idf_weights"])]
    return [H5Entry(path, name, own, module)]


def _adjust_children(module: nn.Module, children: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Weightless helper sublayers: add Keras's that torchbridge lacks, drop torchbridge's own."""
    from torchbridge.layers.attention import MultiHeadAttention
    from torchbridge.layers.dot_attention import Attention

    if isinstance(module, MultiHeadAttention):
        return [*children, ("_softmax", _EmptyLayer("softmax"))]
    if isinstance(module, Attention):  # and AdditiveAttention: Keras drops out in call()
        return [(k, c) for k, c in children if k != "_dropout_layer"]
    return children


class _Walker:
    def __init__(self) -> None:
        self.entries: list[H5Entry] = []
        self.visited: set[int] = set()
        self.unbuilt: list[str] = []

    def visit(self, obj: Any, path: str, covered: bool = False) -> None:
        """``covered``: a built parent layer made this object's state in its own build."""
        if id(obj) in self.visited:
            return
        self.visited.add(id(obj))
        if isinstance(obj, _EmptyLayer):
            self.entries.append(H5Entry(path, obj.name, [], obj))
            return
        if not isinstance(obj, nn.Module):
            if path == OPTIMIZER_PATH:  # its variables come from optimizer_h5
                name = getattr(obj, "name", None)
                self.entries.append(H5Entry(path, name if isinstance(name, str) else None, [], obj))
            return
        is_layer = hasattr(obj, "_keras_weights") and not _is_model(obj)
        if is_layer and not covered and getattr(obj, "built", True) is False:
            self.unbuilt.append(str(getattr(obj, "name", type(obj).__name__)))
        covered = covered or (is_layer and getattr(obj, "built", True) is not False)
        # A weight shared by two layers is saved under each, as Keras saves each layer's own.
        self.entries.extend(_layer_entries(obj, path, _own_weights(obj)))
        for attribute, child in _attributes(obj):
            if _is_container(child):
                self.visit_container(child, _join(path, attribute), set(), covered)
            else:
                self.visit(child, _join(path, attribute), covered)

    def visit_container(
        self, container: Any, path: str, seen_containers: set[int], covered: bool = False
    ) -> None:
        if id(container) in seen_containers:
            return
        seen_containers.add(id(container))
        counts: dict[str, int] = {}
        for item in _items(container):
            if _is_container(item):
                name = _unique("container", counts)
                self.visit_container(item, _join(path, name), seen_containers, covered)
            elif isinstance(item, nn.Module):
                name = _unique(snake_case(type(item).__name__), counts)
                self.visit(item, _join(path, name), covered)


def _unique(name: str, counts: dict[str, int]) -> str:
    if name in counts:
        counts[name] += 1
        return f"{name}_{counts[name]}"
    counts[name] = 0
    return name


def keras_h5_entries(
    model: nn.Module, objects_to_skip: list[Any] | None = None, action: str = "saving"
) -> list[H5Entry]:
    """The ``vars`` groups Keras 3 writes for ``model``, in visiting order.

    ``objects_to_skip`` (layers) are left out, with everything below them, as
    Keras's ``objects_to_skip`` does. Raises when some layer is not built yet
    (its weights do not exist).
    """
    walker = _Walker()
    walker.visited.update(id(o) for o in objects_to_skip or ())
    walker.visit(model, "")
    if walker.unbuilt:
        raise InputError(
            f"You are {action} weights of a model that has not yet been built: layer(s) "
            f"{walker.unbuilt[:5]} have no weights yet. Build the model first by calling it on "
            "a batch of data, or start it with keras.Input(shape) so that every layer is built."
        )
    return walker.entries
