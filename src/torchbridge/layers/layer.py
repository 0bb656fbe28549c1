"""``Layer``: the base of every Keras-named layer — a plain ``torch.nn.Module``.

What it adds to ``nn.Module`` (Keras's layer contract):

* **Lazy build.** Subclasses create their weights in ``build(input_shape)``;
  it runs on the first call, so sizes are inferred (``Dense(10)`` needs no
  input size). ``input_shape=`` / ``input_dim=`` (Keras's legacy keywords)
  build eagerly.
* **``call(inputs, training=None, mask=None)``.** ``forward`` fills
  ``training`` from ``self.training`` when ``call`` accepts it.
* **Masks as in Keras 3.** A mask rides on its tensor (``x._keras_mask``);
  ``forward`` passes it to ``call(mask=...)`` and, for layers with
  ``supports_masking``, attaches ``compute_mask(inputs, mask)`` to the output.
* **Weights in Keras's order and layouts.** ``get_weights`` / ``set_weights``
  take NumPy arrays exactly as Keras's do (a subclass converts its own
  layouts in ``_keras_weights``); ``trainable_weights``,
  ``non_trainable_weights``, ``count_params``, ``trainable``.
* **Config.** ``get_config`` / ``from_config`` with Keras's keys.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge.errors import InputError
from torchbridge.layers.symbolic import any_symbolic, symbolic_call
from torchbridge.utils.modes import evaluation_mode

__all__ = [
    "Layer",
    "KerasWeight",
    "KerasWeightsMixin",
    "capture_init_args",
    "collect_keras_weights",
    "get_mask",
    "set_mask",
    "to_shape",
]

_NAME_COUNTS: dict[str, itertools.count[int]] = {}


def _auto_name(cls_name: str) -> str:
    base = re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", cls_name).lower()
    base = re.sub(r"([a-z])([0-9]+)d$", r"\1\2d", base)
    n = next(_NAME_COUNTS.setdefault(base, itertools.count()))
    return base if n == 0 else f"{base}_{n}"


def to_shape(x: Any) -> tuple[int | None, ...]:
    """The Keras-style shape of a tensor: batch dimension as ``None``."""
    return (None, *tuple(x.shape[1:]))


def get_mask(x: Any) -> Any:
    """The Keras mask attached to ``x`` (``x._keras_mask``), mapped over lists/tuples.

    Masks travel as an attribute of the tensor, as in Keras 3 on its torch
    backend: a boolean tensor of the leading (batch, time) dimensions.
    """
    if isinstance(x, torch.Tensor):
        return getattr(x, "_keras_mask", None)
    if isinstance(x, (list, tuple)):
        masks = [get_mask(v) for v in x]
        return None if all(m is None for m in masks) else masks
    return None


def set_mask(x: Any, mask: Any) -> None:
    """Attach ``mask`` to ``x`` (structures matched leaf by leaf); ``None`` clears nothing."""
    if mask is None:
        return
    if isinstance(x, torch.Tensor):
        if isinstance(mask, torch.Tensor):
            # some tensor subclasses refuse new attributes: their mask is dropped
            with contextlib.suppress(AttributeError, RuntimeError):
                x._keras_mask = mask  # type: ignore[attr-defined]
        return
    if isinstance(x, (list, tuple)) and isinstance(mask, (list, tuple)):
        for v, m in zip(x, mask):
            set_mask(v, m)


def _json_like(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_json_like(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_like(v) for k, v in value.items())
    return False


def capture_init_args(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Constructor arguments as a dict when all are plain data (Keras's "auto config")."""
    try:
        init: Any = getattr(cls, "__init__")  # noqa: B009 (mypy: __init__ on a type)
        bound = inspect.signature(init).bind(None, *args, **kwargs)
    except TypeError:
        return None  # __init__ itself will raise the clearer error
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(arguments)), None)  # self
    for name, param in inspect.signature(init).parameters.items():
        if param.kind is param.VAR_KEYWORD and name in arguments:
            arguments.update(arguments.pop(name))
        elif param.kind is param.VAR_POSITIONAL and name in arguments:
            return None  # *args cannot be passed back by name
    return arguments if _json_like(arguments) else None


class KerasWeight:
    """How one Keras weight maps to a torch tensor of this layer.

    ``tensor`` is the parameter/buffer; ``to_keras`` turns it into Keras's
    layout (NumPy), ``from_keras`` back into torch's. Identity by default.
    """

    def __init__(
        self,
        tensor: torch.Tensor,
        to_keras: Callable[[torch.Tensor], torch.Tensor] | None = None,
        from_keras: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        self.tensor = tensor
        self.to_keras = to_keras or (lambda t: t)
        self.from_keras = from_keras or (lambda t: t)


def collect_keras_weights(module: nn.Module) -> list[KerasWeight]:
    """Keras's ``weights`` order: a layer's own weights, then each sublayer's, deduplicated.

    A plain ``nn.Module`` inside a model contributes its parameters and
    floating-point buffers as they are (there is no Keras layout for them).
    """
    out: list[KerasWeight] = []
    seen: set[int] = set()

    def visit(m: nn.Module) -> None:
        if isinstance(m, Layer):
            own = m._keras_weights()
        else:
            tensors: list[torch.Tensor] = [*m.parameters(recurse=False)]
            tensors += [b for b in m.buffers(recurse=False) if b.is_floating_point()]
            own = [KerasWeight(t) for t in tensors]
        for w in own:
            if id(w.tensor) not in seen:
                seen.add(id(w.tensor))
                out.append(w)
        for child in m.children():
            visit(child)

    visit(module)
    return out


def _is_trainable(t: torch.Tensor) -> bool:
    return isinstance(t, nn.Parameter) and t.requires_grad


class KerasWeightsMixin:
    """``weights`` / ``get_weights`` / ``set_weights`` / ``count_params`` as Keras's.

    Shared by :class:`Layer` and ``Model``; the host class is an ``nn.Module``
    with a ``name`` and a ``_require_built(what)`` check.
    """

    name: str

    def _require_built(self, what: str) -> None:
        """Subclasses raise when they have no weights yet."""

    def _all_keras_weights(self) -> list[KerasWeight]:
        return collect_keras_weights(self)  # type: ignore[arg-type]

    @property
    def weights(self) -> list[torch.Tensor]:
        return [w.tensor for w in self._all_keras_weights()]

    @property
    def trainable_weights(self) -> list[torch.Tensor]:
        return [t for t in self.weights if _is_trainable(t)]

    @property
    def non_trainable_weights(self) -> list[torch.Tensor]:
        return [t for t in self.weights if not _is_trainable(t)]

    def get_weights(self) -> list[np.ndarray]:
        """Keras's ``get_weights``: NumPy arrays in Keras's order and layouts."""
        self._require_built("get_weights")
        return [
            w.to_keras(w.tensor.detach()).cpu().numpy().copy() for w in self._all_keras_weights()
        ]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Keras's ``set_weights``: arrays in Keras's order and layouts."""
        self._require_built("set_weights")
        own = self._all_keras_weights()
        if len(weights) != len(own):
            raise InputError(
                f"'{self.name}' has {len(own)} weights but set_weights got {len(weights)}."
            )
        with torch.no_grad():
            for w, value in zip(own, weights):
                t = w.from_keras(torch.as_tensor(np.asarray(value)))
                if tuple(t.shape) != tuple(w.tensor.shape):
                    raise InputError(
                        f"'{self.name}': a weight of shape {tuple(np.shape(value))} "
                        f"(Keras layout) does not fit {tuple(w.to_keras(w.tensor).shape)}."
                    )
                w.tensor.copy_(t.to(w.tensor.dtype))

    def count_params(self) -> int:
        self._require_built("count_params")
        return sum(int(w.tensor.numel()) for w in self._all_keras_weights())


class Layer(KerasWeightsMixin, nn.Module):
    """Base class of torchbridge layers (Keras's ``keras.layers.Layer``)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        instance = super().__new__(cls)
        if cls.get_config is Layer.get_config:  # a custom layer without get_config()
            instance.__dict__["_auto_config"] = capture_init_args(cls, args, kwargs)
        return instance

    def __init__(
        self,
        *,
        name: str | None = None,
        trainable: bool = True,
        dtype: Any = None,
        input_shape: Sequence[int | None] | None = None,
        input_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if kwargs:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword arguments {sorted(kwargs)}."
            )
        self.name = name or _auto_name(type(self).__name__)
        self.built = False
        self.supports_masking = False
        self._trainable = trainable
        self._dtype_arg = dtype
        self._build_input_shape: Any = None
        self._call_has_training: bool | None = None
        self._call_has_mask: bool | None = None
        self._warned_mask = False
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        self._declared_input_shape = tuple(input_shape) if input_shape is not None else None
        if self._declared_input_shape is not None:
            self._batch_input_shape: tuple[int | None, ...] | None = (
                None,
                *self._declared_input_shape,
            )
        else:
            self._batch_input_shape = None

    # --- what subclasses implement -----------------------------------------------------
    def build(self, input_shape: Any) -> None:
        """Create the weights for inputs of ``input_shape`` (batch dimension first)."""

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement call().")

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (default: run the layer on zeros)."""
        if isinstance(input_shape, tuple) and all(
            d is None or isinstance(d, int) for d in input_shape
        ):
            probe = torch.zeros(*(1 if d is None else d for d in input_shape))
            with evaluation_mode(self), torch.no_grad():
                out = self(probe)
            return to_shape(out)
        raise NotImplementedError(f"{type(self).__name__}.compute_output_shape")

    def _keras_weights(self) -> list[KerasWeight]:
        """This layer's own weights in Keras's order (trainable first) and layouts."""
        return [KerasWeight(p) for p in self.parameters(recurse=False)]

    # --- building and calling ------------------------------------------------------------
    def _maybe_build(self, inputs: Any) -> None:
        shape = _shape_of(inputs)
        self.build(shape)
        self._build_input_shape = shape
        self.built = True
        if not self._trainable:
            self._apply_trainable(False)

    def build_from_shape(self, input_shape: Sequence[int | None]) -> None:
        """Build now for ``input_shape`` (batch dimension first, may be ``None``)."""
        if not self.built:
            self.build(tuple(input_shape))
            self._build_input_shape = tuple(input_shape)
            self.built = True
            if not self._trainable:
                self._apply_trainable(False)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if any_symbolic(args, kwargs):
            return symbolic_call(self, args, kwargs)
        return super().__call__(*args, **kwargs)

    def forward(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.built:
            self._maybe_build(inputs)
        if self._call_has_training is None:
            params = inspect.signature(self.call).parameters
            self._call_has_training = "training" in params
            self._call_has_mask = "mask" in params
        if self._call_has_training:
            if kwargs.get("training") is None:
                kwargs["training"] = self.training
        elif "training" in kwargs:
            del kwargs["training"]
        previous_mask = kwargs.get("mask")
        if previous_mask is None:
            previous_mask = get_mask(inputs)
        if self._call_has_mask:
            if previous_mask is not None:
                kwargs["mask"] = previous_mask
        else:
            kwargs.pop("mask", None)
        outputs = self.call(inputs, *args, **kwargs)
        if previous_mask is None and not self.supports_masking:
            return outputs
        if self.supports_masking:
            set_mask(outputs, self.compute_mask(inputs, previous_mask))
        elif not self._warned_mask:
            self._warned_mask = True
            warnings.warn(
                f"Layer '{self.name}' ({type(self).__name__}) received an input with a mask "
                "but does not support masking, so the mask stops here: downstream layers "
                "will not see it.",
                stacklevel=2,
            )
        return outputs

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output mask (Keras's rule: a masking layer passes its input mask on)."""
        return mask

    def check_input_rank(self, inputs: torch.Tensor, min_rank: int, what: str) -> None:
        if inputs.ndim < min_rank:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) expects {what} (rank >= "
                f"{min_rank}), but received an input of shape {tuple(inputs.shape)}."
            )

    # --- weights -----------------------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self._apply_trainable(bool(value))

    def _apply_trainable(self, value: bool) -> None:
        for module in self.modules():
            if isinstance(module, Layer):
                module._trainable = value
        for p in self.parameters():
            p.requires_grad_(value)

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise InputError(
                f"Layer '{self.name}' is not built yet, so it has no weights for {what}(). "
                "Call it on data once, or pass input_shape=... when creating it."
            )

    # --- config -------------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The layer's constructor arguments (Keras's keys).

        A custom layer that does not override ``get_config`` gets its
        constructor arguments recorded automatically when they are plain data
        (numbers, strings, lists, dicts), as in Keras 3.
        """
        config: dict[str, Any] = {"name": self.name, "trainable": self._trainable}
        if self._dtype_arg is not None:
            config["dtype"] = str(self._dtype_arg)
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        if type(self).get_config is Layer.get_config and type(self).__init__ is not Layer.__init__:
            auto = self.__dict__.get("_auto_config")
            if auto is None:
                raise NotImplementedError(
                    f"Layer {type(self).__name__} has constructor arguments that are not plain "
                    "data, so its config cannot be recorded automatically: override "
                    "get_config() to return them."
                )
            accepts_kwargs = any(
                p.kind is p.VAR_KEYWORD
                for p in inspect.signature(type(self).__init__).parameters.values()
            )
            config = {**config, **auto} if accepts_kwargs else dict(auto)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        config = dict(config)
        batch_shape = config.pop("batch_input_shape", None)
        if batch_shape is not None:
            config["input_shape"] = tuple(batch_shape[1:])
        return cls(**config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


def _shape_of(inputs: Any) -> Any:
    if isinstance(inputs, torch.Tensor):
        return to_shape(inputs)
    if isinstance(inputs, (list, tuple)):
        return [_shape_of(x) for x in inputs]
    if isinstance(inputs, dict):
        return {k: _shape_of(v) for k, v in inputs.items()}
    return None
