"""``Functional``: the model ``Model(inputs, outputs)`` returns — a graph of layer calls.

Calling layers on ``keras.Input`` tensors records nodes (see
:mod:`torchbridge.layers.symbolic`); this class walks back from the outputs
to the inputs, keeps the nodes in an order where every input is computed
before it is used, and replays them on real tensors in ``call``. Layers are
submodules keyed by their names, so ``state_dict`` keys read
``dense.kernel``. Several inputs/outputs (lists or dicts) and shared layers
(one layer called at several nodes) work as in Keras; ``get_config`` uses
Keras 3's layout (``layers`` with ``inbound_nodes``, ``input_layers``,
``output_layers``).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge.errors import InputError
from torchbridge.layers.input_layer import InputLayer
from torchbridge.layers.layer import set_mask
from torchbridge.layers.symbolic import KerasTensor, Node, map_structure, torch_dtype
from torchbridge.models.graph_inputs import rebase_on_inputs
from torchbridge.models.model import Model
from torchbridge.models.model_config import DEFAULT_GET_CONFIGS
from torchbridge.saving import serialization
from torchbridge.utils.naming import snake_case

__all__ = ["Functional", "inject_functional_class"]


def _flatten(x: Any) -> list[Any]:
    if isinstance(x, (list, tuple)):
        return [leaf for v in x for leaf in _flatten(v)]
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in _flatten(v)]
    return [x]


def _name(layer: Any) -> str:
    return str(getattr(layer, "name", type(layer).__name__))


def _node_of(t: KerasTensor) -> Node:
    layer, node_index, _ = t._keras_history  # type: ignore[misc]
    return layer.__dict__["_inbound_nodes"][node_index]


def _sorted_nodes(outputs: list[KerasTensor]) -> tuple[list[Node], dict[int, int]]:
    """The nodes that lead to ``outputs``, each after the nodes that feed it.

    Also returns, per layer (by ``id``), the order in which the depth-first
    walk from the outputs first met it — Keras's tie-break for layer order.
    """
    order: list[Node] = []
    first_seen: dict[int, int] = {}
    done: set[int] = set()
    active: set[int] = set()

    def visit(t: KerasTensor) -> None:
        node = _node_of(t)
        if id(node) in done:
            return
        if id(node) in active:
            raise InputError("The functional graph has a cycle.")
        first_seen.setdefault(id(node.layer), len(first_seen))
        active.add(id(node))
        for parent in node.input_tensors:
            visit(parent)
        active.discard(id(node))
        done.add(id(node))
        order.append(node)

    for t in outputs:
        visit(t)
    return order, first_seen


def _layer_order(nodes: list[Node], first_seen: dict[int, int]) -> list[nn.Module]:
    """Keras's ``model.layers`` order: deepest first (distance to the outputs), then walk order."""
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    layers: dict[int, nn.Module] = {}
    parents = {id(n): [_node_of(t) for t in n.input_tensors] for n in nodes}
    for node in reversed(nodes):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        layers[id(node.layer)] = node.layer
        node_depth[id(node)] = depth
        for parent in parents[id(node)]:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    keys = sorted(layers, key=lambda k: (-layer_depth[k], first_seen[k]))
    return [layers[k] for k in keys]


class Functional(Model):
    """A model defined by ``Model(inputs, outputs)`` (Keras's functional API)."""

    def __init__(
        self,
        inputs: Any,
        outputs: Any,
        name: str | None = None,
        trainable: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("dtype", None)  # Keras's dtype policy argument: the layers keep theirs
        if kwargs:
            raise TypeError(f"Model(inputs, outputs) got unexpected arguments {sorted(kwargs)}.")
        if name is None:
            name = "functional" if type(self) is Functional else _snake_case(type(self).__name__)
        super().__init__(name=name)
        flat_inputs = _flatten(inputs)
        flat_outputs = _flatten(outputs)
        # intermediate tensors as inputs: rebuilt on new keras.Input tensors (Keras)
        inputs, outputs = rebase_on_inputs(inputs, outputs, flat_inputs, flat_outputs, _node_of)
        flat_inputs = _flatten(inputs)
        flat_outputs = _flatten(outputs)
        for what, tensors in (("inputs", flat_inputs), ("outputs", flat_outputs)):
            for t in tensors:
                if not isinstance(t, KerasTensor) or t._keras_history is None:
                    raise InputError(
                        f"Model({what}=...) takes the symbolic tensors of keras.Input(...) "
                        f"and of layer calls on them; got {type(t).__name__}: {t!r}."
                    )
        for t in flat_inputs:
            if not isinstance(t._keras_history[0], InputLayer):  # type: ignore[index]
                raise InputError(
                    f"Model inputs must come from keras.Input(...); {t!r} is the output of "
                    f"layer '{t._keras_history[0].name}'."  # type: ignore[index]
                )
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._flat_inputs: list[KerasTensor] = flat_inputs
        self._flat_outputs: list[KerasTensor] = flat_outputs
        nodes, first_seen = _sorted_nodes(flat_outputs)
        reachable_inputs = {id(n.outputs) for n in nodes if isinstance(n.layer, InputLayer)}
        for node in nodes:
            if isinstance(node.layer, InputLayer) and not any(
                node.outputs is t for t in flat_inputs
            ):
                raise InputError(
                    f"The outputs depend on input '{node.layer.name}', which is not among "
                    "the model's inputs: add it to Model(inputs=[...])."
                )
        unused = [t.name for t in flat_inputs if id(t) not in reachable_inputs]
        if unused:
            raise InputError(f"Model inputs {unused} are not used to compute the outputs.")
        self._nodes = [n for n in nodes if not isinstance(n.layer, InputLayer)]
        ordered = _layer_order(nodes, first_seen)
        names = [getattr(m, "name", type(m).__name__) for m in ordered]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InputError(
                f"All layer names in a model must be unique; {duplicates} appear more than "
                "once. Pass name=... to the layers."
            )
        self._layers = nn.ModuleDict({_module_key(n): m for n, m in zip(names, ordered)})
        self._layer_list = ordered
        self._input_dtypes = [torch_dtype(t.dtype) for t in flat_inputs]
        self.built = True
        if not trainable:
            self.trainable = False

    # --- Keras's model attributes ---------------------------------------------------------
    @property
    def layers(self) -> list[nn.Module]:
        return list(self._layer_list)

    @property
    def inputs(self) -> list[KerasTensor]:
        return list(self._flat_inputs)

    @property
    def input(self) -> Any:
        """The inputs as given to the constructor (a tensor, list or dict), as Keras."""
        return self._inputs_struct

    @property
    def output(self) -> Any:
        """The outputs as given to the constructor (a tensor, list or dict), as Keras."""
        return self._outputs_struct

    @property
    def outputs(self) -> list[KerasTensor]:
        return list(self._flat_outputs)

    @property
    def input_shape(self) -> Any:
        shapes = [t.shape for t in self._flat_inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self) -> Any:
        shapes = [t.shape for t in self._flat_outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_names(self) -> list[str]:
        """Keras's names for the outputs: dict keys, else the output layers' names."""
        if isinstance(self._outputs_struct, dict):
            return list(self._outputs_struct)
        return [_name(t._keras_history[0]) for t in self._flat_outputs]  # type: ignore[index]

    @property
    def input_names(self) -> list[str]:
        return [_name(t._keras_history[0]) for t in self._flat_inputs]  # type: ignore[index]

    def summary_output_shapes(self) -> dict[str, list[tuple[int | None, ...]]]:
        """Each layer's output shapes (its first call in this model), for ``summary()``."""
        shapes: dict[str, list[tuple[int | None, ...]]] = {}
        for t in self._flat_inputs:
            shapes[_name(t._keras_history[0])] = [t.shape]  # type: ignore[index]
        for node in self._nodes:
            shapes.setdefault(_name(node.layer), [t.shape for t in node.output_tensors])
        return shapes

    # --- running the graph ------------------------------------------------------------------
    def _standardize_inputs(self, x: Any) -> list[Any]:
        n = len(self._flat_inputs)
        if isinstance(x, dict):
            names = (
                list(self._inputs_struct)
                if isinstance(self._inputs_struct, dict)
                else self.input_names
            )
            missing = [k for k in names if k not in x]
            if missing:
                raise InputError(
                    f"Model '{self.name}' expects inputs {names}; the dict has no {missing} "
                    f"(it has {sorted(x)})."
                )
            flat = [x[k] for k in names]
        elif n == 1:
            flat = [x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x]
        elif isinstance(x, (list, tuple)) and len(x) == n:
            flat = list(x)
        else:
            got = f"{len(x)} arrays" if isinstance(x, (list, tuple)) else type(x).__name__
            raise InputError(
                f"Model '{self.name}' has {n} inputs {self.input_names}; pass a list of {n} "
                f"arrays or a dict keyed by input name, got {got}."
            )
        return [self._convert_input(v, i) for i, v in enumerate(flat)]

    def _convert_input(self, value: Any, index: int) -> Any:
        spec = self._flat_inputs[index]
        dtype = self._input_dtypes[index]
        if dtype is None:  # text: strings stay Python/NumPy, with the same rank fix
            rank = len(spec.shape)
            array = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
            if array.ndim == rank - 1 and spec.shape[-1] == 1:
                return array[..., None]
            return value
        if not isinstance(value, torch.Tensor):
            value = torch.as_tensor(np.asarray(value))
        if value.dtype != dtype and (value.is_floating_point() or dtype.is_floating_point):
            value = value.to(dtype)
        rank = len(spec.shape)
        if value.ndim == rank - 1 and spec.shape[-1] == 1:
            value = value.unsqueeze(-1)
        elif value.ndim == rank + 1 and value.shape[-1] == 1:
            value = value.squeeze(-1)
        if value.ndim != rank or any(
            d is not None and d != v for d, v in zip(spec.shape[1:], value.shape[1:])
        ):
            raise InputError(
                f"Input {index} ('{self.input_names[index]}') of model '{self.name}' is "
                f"incompatible: expected shape {spec.shape}, received {tuple(value.shape)}."
            )
        return value

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        flat = self._standardize_inputs(inputs)
        if mask is not None:
            set_mask(flat if len(flat) > 1 else flat[0], mask)
        values: dict[int, Any] = {id(t): v for t, v in zip(self._flat_inputs, flat)}

        def resolve(v: Any) -> Any:
            return values[id(v)] if isinstance(v, KerasTensor) else v

        extra = {} if training is None else {"training": training}
        for node in self._nodes:
            args = map_structure(resolve, node.args)
            kwargs = map_structure(resolve, node.kwargs)
            if extra and "training" not in kwargs:
                kwargs = {**kwargs, **extra}
            out = node.layer(*args, **kwargs)
            for t, v in zip(node.output_tensors, _flatten(out)):
                values[id(t)] = v
        outputs = map_structure(resolve, self._outputs_struct)
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            return outputs[0]  # Keras unpacks a one-output list: Model(i, [o])(x) is a tensor
        return outputs

    # --- config -------------------------------------------------------------------------------
    def get_build_config(self) -> None:
        """A functional model is built by construction: no build config."""
        return None

    def get_config(self) -> dict[str, Any]:
        """Keras 3's functional layout; a subclass whose constructor takes other arguments
        (``class M(Model): def __init__(self, units): ... super().__init__(inputs, outputs)``)
        records those arguments instead, as Keras does."""
        if not _functional_like_constructor(type(self)):
            return Model.get_config(self)
        node_ids: dict[int, tuple[str, int]] = {}  # node -> (layer name, index in this model)
        per_layer: dict[int, int] = {}
        all_nodes = [_node_of(t) for t in self._flat_inputs] + self._nodes
        for node in all_nodes:
            k = per_layer.get(id(node.layer), 0)
            per_layer[id(node.layer)] = k + 1
            node_ids[id(node)] = (_name(node.layer), k)

        def history(t: KerasTensor) -> list[Any]:
            layer, node_index, tensor_index = t._keras_history  # type: ignore[misc]
            name, k = node_ids[id(layer.__dict__["_inbound_nodes"][node_index])]
            return [name, k, tensor_index]

        def encode(v: Any) -> Any:
            if isinstance(v, KerasTensor):
                return {
                    "class_name": "__keras_tensor__",
                    "config": {
                        "shape": list(v.shape),
                        "dtype": v.dtype,
                        "keras_history": history(v),
                    },
                }
            return v

        layers = []
        for layer in self._layer_list:
            entry = serialization.serialize(layer)
            entry["name"] = _name(layer)
            entry["inbound_nodes"] = [
                {
                    "args": _listify(map_structure(encode, node.args)),
                    "kwargs": map_structure(encode, node.kwargs),
                }
                for node in self._nodes
                if node.layer is layer
            ]
            layers.append(entry)

        def struct(x: Any) -> Any:
            if isinstance(x, KerasTensor):
                return history(x)
            if isinstance(x, dict):
                return {k: struct(v) for k, v in x.items()}
            return [struct(v) for v in x]

        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layers,
            "input_layers": struct(self._inputs_struct),
            "output_layers": struct(self._outputs_struct),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Functional:
        keys = ("name", "layers", "input_layers", "output_layers")
        if not (all(k in config for k in keys) and _functional_like_constructor(cls)):
            return Model.from_config.__func__(cls, config, custom_objects)  # type: ignore[attr-defined, no-any-return]
        created: dict[str, nn.Module] = {}
        tensors: dict[tuple[str, int, int], KerasTensor] = {}
        pending: list[tuple[nn.Module, dict[str, Any]]] = []
        for entry in config["layers"]:
            layer = serialization.deserialize(entry, custom_objects)
            name = entry.get("name") or entry["config"].get("name")
            created[name] = layer
            if isinstance(layer, InputLayer):
                tensors[(name, 0, 0)] = layer.output
            pending += [(layer, node) for node in entry.get("inbound_nodes", [])]
        node_counts: dict[str, int] = {}

        def decode(v: Any) -> Any:
            if isinstance(v, dict):
                if v.get("class_name") == "__keras_tensor__":
                    return tensors[tuple(v["config"]["keras_history"])]  # type: ignore[index]
                return {k: decode(e) for k, e in v.items()}
            if isinstance(v, (list, tuple)):
                return [decode(e) for e in v]
            return v

        def ready(node: dict[str, Any]) -> bool:
            refs = _tensor_refs([node.get("args", []), node.get("kwargs", {})])
            return all(tuple(r["config"]["keras_history"]) in tensors for r in refs)

        while pending:
            progressed = False
            for item in list(pending):
                layer, node = item
                if not ready(node):
                    continue
                args = tuple(decode(node.get("args", [])))
                kwargs = decode(node.get("kwargs", {}))
                out = layer(*args, **kwargs)
                k = node_counts.get(_name(layer), 0)
                node_counts[_name(layer)] = k + 1
                for i, t in enumerate(_flatten(out)):
                    tensors[(_name(layer), k, i)] = t
                pending.remove(item)
                progressed = True
            if not progressed:
                raise InputError(
                    "The model config's graph cannot be rebuilt: some layer inputs are never "
                    "produced (a corrupted or hand-edited config)."
                )

        def rebuild(x: Any) -> Any:
            if isinstance(x, dict):
                return {k: rebuild(v) for k, v in x.items()}
            if len(x) == 3 and isinstance(x[0], str):
                return tensors[(x[0], int(x[1]), int(x[2]))]
            return [rebuild(v) for v in x]

        inputs = rebuild(config["input_layers"])
        outputs = rebuild(config["output_layers"])
        return cls(
            inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True)
        )


DEFAULT_GET_CONFIGS.add(Functional.get_config)


_snake_case = snake_case


def _functional_like_constructor(cls: type) -> bool:
    """Whether ``cls(inputs, outputs, name=...)`` rebuilds the model (Keras's test)."""
    init: Any = cls.__init__  # type: ignore[misc]
    if init is Functional.__init__:
        return True
    spec = inspect.getfullargspec(init)
    if spec.args[1:] == inspect.getfullargspec(Functional.__init__).args[1:]:
        return True
    return spec.varargs is not None and spec.varkw is not None


def inject_functional_class(cls: type) -> None:
    """Put :class:`Functional` in place of :class:`Model` among ``cls``'s bases (recursively),
    so a ``Model`` subclass constructed with ``inputs``/``outputs`` behaves as a functional
    model — what Keras does for the same code."""
    if issubclass(cls, Functional):
        return

    def replace(klass: type) -> type:
        if klass is Model:
            return Functional
        if klass is object or not issubclass(klass, Model):
            return klass
        klass.__bases__ = tuple(replace(base) for base in klass.__bases__)
        return klass

    replace(cls)


def _listify(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return [_listify(v) for v in x]
    if isinstance(x, dict):
        return {k: _listify(v) for k, v in x.items()}
    return x


def _tensor_refs(x: Any) -> list[dict[str, Any]]:
    """The ``__keras_tensor__`` entries anywhere in a node's config."""
    if isinstance(x, dict):
        if x.get("class_name") == "__keras_tensor__":
            return [x]
        return [r for v in x.values() for r in _tensor_refs(v)]
    if isinstance(x, (list, tuple)):
        return [r for v in x for r in _tensor_refs(v)]
    return []


def _module_key(name: str) -> str:
    """A layer's key among the model's submodules (and in its state dict): the layer name,
    with dots replaced, and an underscore appended to names that ``nn.ModuleDict`` already
    uses (a layer may be called ``"double"`` or ``"train"``)."""
    key = name.replace(".", "_")
    return f"{key}_" if hasattr(nn.ModuleDict, key) else key
