"""``clone_model``: the same architecture with new layers (fresh weights), as Keras's.

* ``Sequential``: each layer through ``clone_function`` (default: a new layer
  from ``layer.get_config()``), the same ``Input`` first;
* functional models: the graph replayed on new ``Input`` tensors (or
  ``input_tensors``) with each layer cloned once (a shared layer stays shared)
  and called through ``call_function(layer, *args, **kwargs)`` when given;
* other models: rebuilt from their config (``clone_function``,
  ``input_tensors`` and ``call_function`` are refused there, as in Keras).

``recursive=True`` clones nested Sequential/functional models layer by layer
instead of passing them to ``clone_function`` whole. A compiled model's clone
is compiled with the same ``compile`` arguments (new optimizer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from torchbridge.errors import InputError
from torchbridge.layers.input_layer import Input
from torchbridge.layers.symbolic import KerasTensor, map_structure
from torchbridge.models.functional import Functional, _flatten, _functional_like_constructor
from torchbridge.models.model import Model
from torchbridge.models.sequential import Sequential
from torchbridge.saving import serialization

__all__ = ["clone_model"]

CloneFunction = Callable[[nn.Module], nn.Module]


def _default_clone(layer: nn.Module) -> nn.Module:
    get_config = getattr(layer, "get_config", None)
    if get_config is None:
        raise InputError(
            f"clone_model cannot clone {type(layer).__name__}: it has no get_config(). Pass "
            "clone_function=... that returns a copy of it (or the layer itself to share it)."
        )
    return type(layer).from_config(get_config())  # type: ignore[attr-defined, no-any-return]


def _wrap(
    clone_function: CloneFunction | None,
    call_function: Any,
    recursive: bool,
    cache: dict[int, nn.Module],
) -> CloneFunction:
    """``clone_function`` with one clone per layer (shared layers stay shared) and recursion."""
    base = clone_function or _default_clone

    def wrapped(layer: nn.Module) -> nn.Module:
        if id(layer) in cache:
            return cache[id(layer)]
        clone: nn.Module
        if recursive and isinstance(layer, (Sequential, Functional)):
            clone = clone_model(
                layer,
                clone_function=clone_function,
                call_function=call_function if isinstance(layer, Functional) else None,
                recursive=True,
                cache=cache,
            )
        else:
            clone = base(layer)
        cache[id(layer)] = clone
        return clone

    return wrapped


def _compile_like(source: Model, clone: Model) -> Model:
    if getattr(source, "compiled", False):
        config = source.get_compile_config()
        if config:
            clone.compile_from_config(config)
    return clone


def _clone_sequential(model: Sequential, clone: CloneFunction, input_tensors: Any) -> Model:
    layers: list[Any] = [clone(layer) for layer in model.layers]
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise InputError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise InputError(
                "Argument `input_tensors` must be a KerasTensor (from keras.Input). "
                f"Received invalid value: input_tensors={input_tensors!r}"
            )
        layers = [Input(batch_shape=input_tensors.shape, dtype=input_tensors.dtype), *layers]
    elif model._input_shape is not None:
        layers = [Input(batch_shape=model._input_shape, dtype=model._input_dtype), *layers]
    new = Sequential(layers, name=model.name, trainable=model.trainable)
    return _compile_like(model, new)


def _new_input(tensor: KerasTensor) -> KerasTensor:
    """A new ``Input`` like ``tensor`` (an input of the model being cloned), same name."""
    history = tensor._keras_history
    name = getattr(history[0], "name", None) if history is not None else None
    return Input(batch_shape=tensor.shape, dtype=tensor.dtype, name=name)


def _clone_functional(
    model: Functional, clone: CloneFunction, input_tensors: Any, call_function: Any
) -> Model:
    if input_tensors is not None:
        flat = _flatten(input_tensors)
        if not all(isinstance(t, KerasTensor) for t in flat):
            raise InputError(
                "All entries in `input_tensors` must be KerasTensors (from keras.Input). "
                f"Received invalid values: input_tensors={input_tensors!r}"
            )
        if len(flat) != len(model._flat_inputs):
            raise InputError(
                f"`input_tensors` must have the same structure as model.inputs: the model has "
                f"{len(model._flat_inputs)} inputs, got {len(flat)}."
            )
        new_inputs_struct = input_tensors
    else:
        new_inputs_struct = map_structure(
            lambda t: _new_input(t) if isinstance(t, KerasTensor) else t, model._inputs_struct
        )
        flat = _flatten(new_inputs_struct)
    values: dict[int, Any] = {id(old): new for old, new in zip(model._flat_inputs, flat)}

    def resolve(v: Any) -> Any:
        return values[id(v)] if isinstance(v, KerasTensor) else v

    for node in model._nodes:
        layer = clone(node.layer)
        args = map_structure(resolve, node.args)
        kwargs = map_structure(resolve, node.kwargs)
        if call_function is not None:
            out = call_function(layer, *args, **kwargs)
        else:
            out = layer(*args, **kwargs)
        for old, new in zip(node.output_tensors, _flatten(out)):
            values[id(old)] = new
    outputs = map_structure(resolve, model._outputs_struct)
    cls = type(model) if _functional_like_constructor(type(model)) else Functional
    new = cls(new_inputs_struct, outputs, name=model.name)
    return _compile_like(model, new)


def clone_model(
    model: Model,
    input_tensors: Any = None,
    clone_function: CloneFunction | None = None,
    call_function: Callable[..., Any] | None = None,
    recursive: bool = False,
    **kwargs: Any,
) -> Model:
    """Keras's ``clone_model``: a model of the same architecture with new weights."""
    cache: dict[int, nn.Module] = kwargs.pop("cache", None) or {}
    if kwargs:
        raise InputError(f"Unexpected keyword argument(s): {tuple(kwargs)}")
    if clone_function is not None and not callable(clone_function):
        raise InputError(
            f"Expected `clone_function` argument to be a callable. Received: "
            f"clone_function={clone_function!r}"
        )
    if isinstance(model, Sequential):
        if call_function is not None:
            raise InputError(
                "`call_function` argument is not supported with Sequential models. In a "
                "Sequential model, layers aren't called at model-construction time (they're "
                "merely listed). Use `call_function` with Functional models only."
            )
        clone = _wrap(clone_function, call_function, recursive, cache)
        return _clone_sequential(model, clone, input_tensors)
    if isinstance(model, Functional):
        default_config = type(model).get_config is Functional.get_config
        if default_config or clone_function is not None or input_tensors is not None:
            clone = _wrap(clone_function, call_function, recursive, cache)
            return _clone_functional(model, clone, input_tensors, call_function)
    if clone_function is not None or input_tensors is not None:
        raise InputError(
            "Arguments `clone_function` and `input_tensors` are only supported for Sequential "
            f"models or Functional models. Received model of type '{type(model).__name__}'."
        )
    if call_function is not None:
        raise InputError(
            "Argument `call_function` is only supported for Functional models. Received "
            f"model of type '{type(model).__name__}'."
        )
    config = serialization.serialize(model)
    return serialization.deserialize(config, {type(model).__name__: type(model)})  # type: ignore[no-any-return]
