"""Symbolic tensors: what calling a layer on ``keras.Input(...)`` records.

A :class:`KerasTensor` stands for a batch that does not exist yet: it has a
Keras shape (batch dimension ``None``), a dtype and a history — the
:class:`Node` (a layer call) that produced it. Calling a layer (or a model)
on KerasTensors runs it on small *probe* batches instead of real data: that
builds its weights (sizes inferred), checks the shapes fit, lets masks flow
as they will at run time, and gives the output shapes. The node is recorded
so that ``Model(inputs, outputs)`` can replay the graph on real tensors.

Dimensions that are ``None`` (other than the batch) are probed with two
different sizes; a dimension of the output that changes between the two
probes is ``None``, unless the layer computes its output shape itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge.utils.modes import evaluation_mode

__all__ = [
    "KerasTensor",
    "Node",
    "any_symbolic",
    "input_spec",
    "in_probe",
    "make_probe",
    "probe_from_spec",
    "symbolic_call",
    "torch_dtype",
]

_PROBE_BATCH = 2
_PROBE_SIZES = (16, 23)  # stand-ins for unknown non-batch dimensions, one per probe pass


def torch_dtype(dtype: Any) -> torch.dtype | None:
    """A Keras dtype name (``"float32"``, ``"int64"``...) as a torch dtype; ``None`` for text."""
    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    name = str(dtype).replace("torch.", "")
    if name in ("string", "str", "object"):
        return None
    out = getattr(torch, name, None)
    if not isinstance(out, torch.dtype):
        raise ValueError(f"Unknown dtype {dtype!r}; use a name such as 'float32' or 'int64'.")
    return out


def dtype_name(x: Any) -> str:
    if isinstance(x, torch.Tensor):
        return str(x.dtype).replace("torch.", "")
    return "string"


class KerasTensor:
    """A symbolic batch: ``shape`` (batch dimension first, ``None``), ``dtype``, ``name``."""

    def __init__(
        self,
        shape: Any,
        dtype: Any = "float32",
        name: str | None = None,
    ) -> None:
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name
        # (layer, node index, tensor index): set when a node produces this tensor
        self._keras_history: tuple[nn.Module, int, int] | None = None
        self._probes: list[Any] = []

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __bool__(self) -> bool:
        raise TypeError(
            "A KerasTensor (the symbolic output of keras.Input or of a layer) has no value "
            "yet, so it cannot be used in an `if`; write the condition inside a layer."
        )

    def __iter__(self) -> Any:
        raise TypeError(
            "A KerasTensor cannot be iterated: it stands for a batch that does not exist yet."
        )

    # Python operators record a TensorOperator layer (see layers/tensor_ops.py).
    def _op(self, op: str, other: Any = None, reverse: bool = False) -> Any:
        from torchbridge.layers.tensor_ops import apply_operator

        return apply_operator(op, self, other, reverse)

    def __add__(self, other: Any) -> Any:
        return self._op("add", other)

    def __radd__(self, other: Any) -> Any:
        return self._op("add", other, reverse=True)

    def __sub__(self, other: Any) -> Any:
        return self._op("subtract", other)

    def __rsub__(self, other: Any) -> Any:
        return self._op("subtract", other, reverse=True)

    def __mul__(self, other: Any) -> Any:
        return self._op("multiply", other)

    def __rmul__(self, other: Any) -> Any:
        return self._op("multiply", other, reverse=True)

    def __truediv__(self, other: Any) -> Any:
        return self._op("divide", other)

    def __rtruediv__(self, other: Any) -> Any:
        return self._op("divide", other, reverse=True)

    def __floordiv__(self, other: Any) -> Any:
        return self._op("floor_divide", other)

    def __mod__(self, other: Any) -> Any:
        return self._op("mod", other)

    def __pow__(self, other: Any) -> Any:
        return self._op("power", other)

    def __rpow__(self, other: Any) -> Any:
        return self._op("power", other, reverse=True)

    def __matmul__(self, other: Any) -> Any:
        return self._op("matmul", other)

    def __rmatmul__(self, other: Any) -> Any:
        return self._op("matmul", other, reverse=True)

    def __neg__(self) -> Any:
        return self._op("negative")

    def __abs__(self) -> Any:
        return self._op("absolute")

    def __getitem__(self, index: Any) -> Any:
        return self._op("getitem", index)


def make_probe(shape: tuple[int | None, ...], dtype: Any, size: int) -> Any:
    """A zero batch (text: the string ``"a"``) standing in for a KerasTensor."""
    dims = [
        _PROBE_BATCH if i == 0 and d is None else (size if d is None else d)
        for i, d in enumerate(shape)
    ]
    tdtype = torch_dtype(dtype)
    if tdtype is None:
        arr = np.empty(dims, dtype=object)
        arr.fill("a")
        return arr
    return torch.zeros(dims, dtype=tdtype)


def input_spec(x: Any) -> Any:
    """JSON-able ``{"shape", "dtype"}`` leaves describing a call's input (batch ``None``)."""
    if isinstance(x, (list, tuple)):
        return [input_spec(v) for v in x]
    if isinstance(x, dict):
        return {str(k): input_spec(v) for k, v in x.items()}
    if isinstance(x, (torch.Tensor, np.ndarray)):
        dtype = (
            dtype_name(x)
            if isinstance(x, torch.Tensor)
            else ("string" if x.dtype.kind in "OUS" else str(x.dtype))
        )
        return {"shape": [None, *map(int, x.shape[1:])], "dtype": dtype}
    return None


def probe_from_spec(spec: Any) -> Any:
    """A batch of one zero sample (text: ``"a"``) for an :func:`input_spec`."""
    if isinstance(spec, list):
        return [probe_from_spec(v) for v in spec]
    if isinstance(spec, dict) and not ("shape" in spec and "dtype" in spec):
        return {k: probe_from_spec(v) for k, v in spec.items()}
    if spec is None:
        return None
    shape = [1 if d is None else int(d) for d in spec["shape"]]
    return make_probe(tuple(shape), spec["dtype"], 1)


class Node:
    """One call of ``layer`` in a functional graph.

    ``args`` / ``kwargs`` are the call's arguments with KerasTensors in place
    of tensors; ``outputs`` is the output structure of KerasTensors.
    """

    def __init__(
        self, layer: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], outputs: Any
    ) -> None:
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.input_tensors = [t for t in _leaves((args, kwargs)) if isinstance(t, KerasTensor)]
        self.output_tensors = [t for t in _leaves(outputs) if isinstance(t, KerasTensor)]


def _leaves(x: Any) -> list[Any]:
    if isinstance(x, (list, tuple)):
        return [leaf for v in x for leaf in _leaves(v)]
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in _leaves(v)]
    return [x]


def map_structure(fn: Callable[[Any], Any], x: Any) -> Any:
    if isinstance(x, list):
        return [map_structure(fn, v) for v in x]
    if isinstance(x, tuple):
        return tuple(map_structure(fn, v) for v in x)
    if isinstance(x, dict):
        return {k: map_structure(fn, v) for k, v in x.items()}
    return fn(x)


def any_symbolic(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a call's arguments hold a KerasTensor (checked cheaply: top two levels)."""
    for v in (*args, *kwargs.values()):
        if isinstance(v, KerasTensor):
            return True
        if isinstance(v, (list, tuple)) and any(isinstance(e, KerasTensor) for e in v):
            return True
        if isinstance(v, dict) and any(isinstance(e, KerasTensor) for e in v.values()):
            return True
    return False


def _probe_of(t: KerasTensor, i: int) -> Any:
    if not t._probes:
        t._probes = [make_probe(t.shape, t.dtype, s) for s in _PROBE_SIZES]
    return t._probes[min(i, len(t._probes) - 1)]


def _has_unknown_dims(tensors: list[KerasTensor]) -> bool:
    return any(d is None for t in tensors for d in t.shape[1:])


_probing = [0]  # > 0 while a probe call runs


def in_probe() -> bool:
    """Whether the current call runs on probe data (shape inference), not the user's:
    value checks that probe values cannot pass (e.g. a lookup's vocabulary) skip then."""
    return _probing[0] > 0


def _run_probe(layer: nn.Module, args: Any, kwargs: Any, i: int) -> Any:
    concrete = map_structure(
        lambda v: _probe_of(v, i) if isinstance(v, KerasTensor) else v, (args, kwargs)
    )
    _probing[0] += 1
    try:
        with evaluation_mode(layer), torch.no_grad():
            return nn.Module.__call__(layer, *concrete[0], **concrete[1])
    finally:
        _probing[0] -= 1


def _declared_shapes(layer: nn.Module, args: tuple[Any, ...]) -> Any:
    """The layer's own ``compute_output_shape`` when its class defines one, else ``None``."""
    from torchbridge.layers.layer import Layer

    method = getattr(type(layer), "compute_output_shape", None)
    if method is None or method is Layer.compute_output_shape or not args:
        return None
    first = args[0]
    shapes = map_structure(lambda v: v.shape if isinstance(v, KerasTensor) else None, first)
    try:
        return layer.compute_output_shape(shapes)  # type: ignore[operator]
    except Exception:  # fall back to the probes
        return None


def _declared_output(layer: nn.Module, args: tuple[Any, ...], inputs: list[Any]) -> Any:
    """One output KerasTensor from the layer's own ``compute_output_shape``, or ``None``."""
    shape = _declared_shapes(layer, args)
    if (
        not isinstance(shape, tuple)
        or not inputs
        or not all(d is None or isinstance(d, int) for d in shape)
    ):
        return None
    dtype = inputs[0].dtype
    if not str(dtype).startswith(("float", "bfloat")):
        dtype = getattr(layer, "compute_dtype", "float32")
    name = f"keras_tensor_{getattr(layer, 'name', type(layer).__name__)}"
    return KerasTensor((None, *shape[1:]), dtype, name=name)


def symbolic_call(
    layer: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], record: bool = True
) -> Any:
    """Record a call of ``layer`` on KerasTensors; return the output KerasTensors.

    ``record=False`` only computes the outputs (``compute_output_spec``): no node."""
    inputs = [t for t in _leaves((args, kwargs)) if isinstance(t, KerasTensor)]
    n_probes = 2 if _has_unknown_dims(inputs) else 1
    nodes: list[Node] = layer.__dict__.setdefault("_inbound_nodes", [])
    node_index = len(nodes)
    try:
        probes = [_run_probe(layer, args, kwargs, i) for i in range(n_probes)]
    except Exception:
        # A probe too short for this layer (strided convolutions shrink an unknown length
        # below a kernel): a layer that computes its output shape itself still has one;
        # its output gets fresh probes of the usual sizes.
        fresh = _declared_output(layer, args, inputs) if n_probes == 2 else None
        if fresh is None:
            raise
        fresh._keras_history = (layer, node_index, 0) if record else None
        if record:
            nodes.append(Node(layer, args, kwargs, fresh))
        return fresh
    declared = _declared_shapes(layer, args) if n_probes == 2 else None
    counter = iter(range(1 << 30))

    def to_symbolic(path_value: Any, other: Any, declared_shape: Any) -> Any:
        if isinstance(path_value, (list, tuple)):
            others = other if isinstance(other, (list, tuple)) else [None] * len(path_value)
            decl = (
                declared_shape
                if isinstance(declared_shape, list) and len(declared_shape) == len(path_value)
                else [None] * len(path_value)
            )
            out = [to_symbolic(v, o, d) for v, o, d in zip(path_value, others, decl)]
            return out if isinstance(path_value, list) else tuple(out)
        if isinstance(path_value, dict):
            return {
                k: to_symbolic(v, other[k] if isinstance(other, dict) else None, None)
                for k, v in path_value.items()
            }
        if not isinstance(path_value, (torch.Tensor, np.ndarray)):
            return path_value
        shape: list[int | None] = [None, *path_value.shape[1:]]
        if isinstance(declared_shape, tuple) and len(declared_shape) == len(shape):
            shape = [None, *declared_shape[1:]]
        elif other is not None:
            shape = [None]
            shape += [a if a == b else None for a, b in zip(path_value.shape[1:], other.shape[1:])]
        kt = KerasTensor(
            tuple(shape),
            dtype_name(path_value),
            name=f"keras_tensor_{getattr(layer, 'name', type(layer).__name__)}",
        )
        kt._keras_history = (layer, node_index, next(counter)) if record else None
        kt._probes = [path_value] if other is None else [path_value, other]
        return kt

    outputs = to_symbolic(probes[0], probes[1] if n_probes == 2 else None, declared)
    if record:
        nodes.append(Node(layer, args, kwargs, outputs))
    return outputs
