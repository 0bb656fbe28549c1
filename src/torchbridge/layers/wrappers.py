"""Keras's layer wrappers: ``Bidirectional`` (an RNN both ways) and ``TimeDistributed``.

Both hold their inner layer(s) as submodules, so ``get_weights`` lists the
inner weights in Keras's order (Bidirectional: forward layer, then backward
layer). ``get_config`` nests the inner layer as Keras does —
``{"module", "class_name", "config", "registered_name"}`` plus
``"build_config"`` once built — and ``from_config`` rebuilds it.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import torch

from torchbridge.errors import InputError
from torchbridge.layers._conv_utils import check_rank
from torchbridge.layers.layer import Layer
from torchbridge.saving import serialization

__all__ = ["Bidirectional", "TimeDistributed", "serialize_layer", "deserialize_layer"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def serialize_layer(layer: Layer) -> dict[str, Any]:
    """A nested layer's config (:func:`torchbridge.saving.serialize`), with its build shape."""
    config = serialization.serialize(layer)
    if layer.built and layer._build_input_shape is not None:
        config["build_config"] = {"input_shape": layer._build_input_shape}
    return config


def deserialize_layer(config: dict[str, Any]) -> Layer:
    """The inverse of ``serialize_layer`` (built when the config says it was)."""
    layer = serialization.deserialize(copy.deepcopy(config))
    build = config.get("build_config")
    if build and not layer.built and isinstance(build.get("input_shape"), (list, tuple)):
        layer.build_from_shape(tuple(build["input_shape"]))
    return layer  # type: ignore[no-any-return]


def _call_params(layer: Layer) -> set[str]:
    return set(inspect.signature(layer.call).parameters)


def _map(fn: Callable[[torch.Tensor], torch.Tensor], value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_map(fn, v) for v in value)
    return value


class Bidirectional(Layer):
    """Keras's ``Bidirectional``: a copy of ``layer`` forwards, one backwards, merged.

    ``layer`` is only used as a template (as in Keras): ``forward_layer`` and
    ``backward_layer`` are fresh copies named ``forward_<name>`` /
    ``backward_<name>``, the backward one with ``go_backwards`` flipped, unless
    ``backward_layer`` is given. With ``return_sequences`` both emit zeros at
    masked steps (Keras forces ``zero_output_for_mask``) and the backward
    sequence is flipped back before merging. ``weights`` (forward then
    backward, Keras's arrays) are set once the layer is built.
    """

    def __init__(
        self,
        layer: Layer,
        merge_mode: str | None = "concat",
        weights: Sequence[Any] | None = None,
        backward_layer: Layer | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Bidirectional: `layer` must be a torchbridge layer instance. Received: {layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "Bidirectional: `backward_layer` must be a torchbridge layer instance. "
                f"Received: {backward_layer!r}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Bidirectional: invalid merge_mode {merge_mode!r}; expected one of "
                '"sum", "mul", "ave", "concat" or None.'
            )
        super().__init__(**kwargs)
        config = layer.get_config()
        config["name"] = "forward_" + layer.name.removeprefix("forward_")
        self.forward_layer = type(layer).from_config(copy.deepcopy(config))
        if backward_layer is None:
            config = layer.get_config()
            config["go_backwards"] = not config.get("go_backwards", False)
            config["name"] = "backward_" + layer.name.removeprefix("backward_")
            backward_layer = type(layer).from_config(copy.deepcopy(config))
        self.backward_layer = backward_layer
        for inner in (self.forward_layer, self.backward_layer):
            if hasattr(layer, "use_cudnn") and hasattr(inner, "use_cudnn"):
                inner.use_cudnn = layer.use_cudnn
        self._verify_layers()
        for inner in (self.forward_layer, self.backward_layer):
            if hasattr(inner, "zero_output_for_mask"):
                inner.zero_output_for_mask = inner.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = list(weights) if weights else None
        self.stateful = bool(getattr(layer, "stateful", False))
        self.return_sequences = bool(getattr(layer, "return_sequences", False))
        self.return_state = bool(getattr(layer, "return_state", False))
        self.supports_masking = True
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

    def _verify_layers(self) -> None:
        fwd, bwd = self.forward_layer, self.backward_layer
        if getattr(fwd, "go_backwards", False) == getattr(bwd, "go_backwards", False):
            raise ValueError(
                "Bidirectional: the forward and backward layers must have different "
                f"`go_backwards` values; got {getattr(fwd, 'go_backwards', False)} for both."
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr, None) != getattr(bwd, attr, None):
                raise ValueError(
                    f"Bidirectional: the forward and backward layers must have the same "
                    f"`{attr}`; got {getattr(fwd, attr, None)} (forward) and "
                    f"{getattr(bwd, attr, None)} (backward)."
                )

    def _maybe_build(self, inputs: Any) -> None:
        if isinstance(inputs, torch.Tensor):
            check_rank(self, inputs, 3, "inputs of shape (batch, timesteps, features)")
        super()._maybe_build(inputs)

    def build(self, input_shape: Any) -> None:
        for inner in (self.forward_layer, self.backward_layer):
            if not inner.built:
                inner.build_from_shape(input_shape)
        if self._initial_weights is not None:
            half = len(self._initial_weights) // 2
            self.forward_layer.set_weights(self._initial_weights[:half])
            self.backward_layer.set_weights(self._initial_weights[half:])
            self._initial_weights = None

    def call(
        self,
        sequences: torch.Tensor,
        initial_state: Sequence[Any] | None = None,
        mask: Any = None,
        training: bool | None = None,
    ) -> Any:
        kwargs: dict[str, Any] = {}
        if "training" in _call_params(self.forward_layer):
            kwargs["training"] = training
        if "mask" in _call_params(self.forward_layer) and mask is not None:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states: tuple[Any, ...] = ()
        if self.return_state:
            states = (*y[1:], *y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)
        if self.merge_mode == "concat":
            output: Any = torch.cat([y, y_rev], dim=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = (y, y_rev)
        if self.return_state:
            return (*output, *states) if self.merge_mode is None else (output, *states)
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Keras's rule; with ``return_state`` the states get no mask."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        if self.return_sequences:
            output_mask: Any = [mask, mask] if self.merge_mode is None else mask
        else:
            output_mask = [None, None] if self.merge_mode is None else None
        if self.return_state:
            n_states = 2 * (len(self.forward_layer.compute_output_shape((None, None, None))) - 1)
            head = output_mask if self.merge_mode is None else [output_mask]
            return [*head] + [None] * n_states
        return output_mask

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shapes: tuple[Any, ...] = ()
        if self.return_state:
            output_shape, state_shapes = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = (*output_shape[:-1], output_shape[-1] * 2)
        elif self.merge_mode is None:
            if self.return_state:
                return (output_shape, output_shape, *state_shapes, *state_shapes)
            return (output_shape, output_shape)
        if self.return_state:
            return (output_shape, *state_shapes, *state_shapes)
        return tuple(output_shape)

    @property
    def states(self) -> tuple[torch.Tensor, ...] | None:
        fwd = getattr(self.forward_layer, "states", None)
        bwd = getattr(self.backward_layer, "states", None)
        if fwd and bwd:
            return (*fwd, *bwd)
        return None

    def reset_state(self) -> None:
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        for inner in (self.forward_layer, self.backward_layer):
            reset = getattr(inner, "reset_state", None)
            if reset is not None:
                reset()

    def reset_states(self) -> None:
        self.reset_state()

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_layer(self.forward_layer),
            "backward_layer": serialize_layer(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Bidirectional:
        config = copy.deepcopy(config)
        config["layer"] = deserialize_layer(config["layer"])
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_layer(backward)
        batch_shape = config.pop("batch_input_shape", None)
        if batch_shape is not None:
            config["input_shape"] = tuple(batch_shape[1:])
        return cls(**config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}, merge_mode={self.merge_mode!r}"


class TimeDistributed(Layer):
    """Keras's ``TimeDistributed``: applies ``layer`` to every timestep of ``(batch, time, ...)``.

    The time axis is folded into the batch (one call of the inner layer, not
    one per timestep); a ``(batch, time, ...)`` mask is folded the same way
    for an inner layer whose ``call`` takes ``mask``, and passed on unchanged.
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                "TimeDistributed: `layer` must be a torchbridge layer instance. "
                f"Received: {layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

    def _child_shape(self, input_shape: Any) -> tuple[Any, ...]:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise InputError(
                f"Layer '{self.name}' (TimeDistributed) expects inputs of shape "
                f"(batch, timesteps, ...) (rank >= 3), but received shape {input_shape}."
            )
        return (input_shape[0], *input_shape[2:])

    def _maybe_build(self, inputs: Any) -> None:
        if isinstance(inputs, torch.Tensor):
            self._child_shape(tuple(inputs.shape))
        super()._maybe_build(inputs)

    def build(self, input_shape: Any) -> None:
        child = self._child_shape(input_shape)
        if not self.layer.built:
            self.layer.build_from_shape(child)

    def call(self, inputs: torch.Tensor, training: bool | None = None, mask: Any = None) -> Any:
        if not isinstance(inputs, torch.Tensor):
            inputs = torch.as_tensor(inputs)
        self._child_shape(tuple(inputs.shape))
        batch, steps = inputs.shape[0], inputs.shape[1]
        params = _call_params(self.layer)
        kwargs: dict[str, Any] = {}
        if "training" in params:
            kwargs["training"] = training
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        if mask is not None:
            mask = torch.as_tensor(mask)
            if mask.ndim < 2 or tuple(mask.shape[:2]) != (batch, steps):
                raise InputError(
                    f"Layer '{self.name}' (TimeDistributed): the mask must start with the "
                    f"input's (batch, timesteps) = {(batch, steps)}, but has shape "
                    f"{tuple(mask.shape)}."
                )
            if "mask" in params:
                kwargs["mask"] = mask.reshape(batch * steps, *mask.shape[2:])
        folded = inputs.reshape(batch * steps, *inputs.shape[2:])
        outputs = self.layer(folded, **kwargs)
        return _map(lambda t: t.reshape(batch, steps, *t.shape[1:]), outputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        child = self._child_shape(input_shape)
        child_out = self.layer.compute_output_shape(child)
        return (child_out[0], input_shape[1], *child_out[1:])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TimeDistributed:
        config = copy.deepcopy(config)
        layer = deserialize_layer(config.pop("layer"))
        batch_shape = config.pop("batch_input_shape", None)
        if batch_shape is not None:
            config["input_shape"] = tuple(batch_shape[1:])
        return cls(layer, **config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"
