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
* **Config.** ``get_config`` / ``from_config`` with Keras's keys (``dtype`` as
  Keras's dtype-policy config; a custom initializer in Keras's layout), and
  Keras's saving hooks ``get_build_config`` / ``build_from_config``.
* **Weight options.** ``kernel_regularizer``, ``bias_constraint`` ... are
  attributes, read from (and set into) what ``_declare_weight_options`` recorded.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge.backend.dtypes import keras_dtype_name
from torchbridge.backend.remat import get_current_remat_mode
from torchbridge.errors import InputError
from torchbridge.layers.input_spec import assert_input_compatibility
from torchbridge.layers.layer_build import BuildConfigMixin, shape_from_config, wrap_build
from torchbridge.layers.layer_losses import LossesMixin, enter_call, exit_call
from torchbridge.layers.layer_remat import rematerialized_call
from torchbridge.layers.layer_weights import (
    KerasWeight,
    KerasWeightsMixin,
    any_loss_source,
    collect_keras_weights,
    mark_loss_source,
)
from torchbridge.layers.symbolic import any_symbolic, symbolic_call
from torchbridge.layers.variable import Variable
from torchbridge.utils.modes import evaluation_mode
from torchbridge.utils.naming import snake_case

__all__ = [
    "Layer",
    "KerasWeight",
    "KerasWeightsMixin",
    "capture_init_args",
    "collect_keras_weights",
    "dtype_name_of",
    "dtype_policy_config",
    "get_mask",
    "policy_name_of",
    "shape_from_config",
    "set_mask",
    "to_shape",
]

_NAME_COUNTS: dict[str, itertools.count[int]] = {}


def _auto_name(cls_name: str) -> str:
    base = snake_case(cls_name)
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
    arguments = {k: _config_of_object(v) for k, v in arguments.items()}
    return arguments if _json_like(arguments) else None


def _config_of_object(value: Any) -> Any:
    """A Keras object argument (a regularizer, initializer, constraint ...) as its
    serialized dict, as Keras's auto config stores it; other values unchanged."""
    get_config = getattr(value, "get_config", None)
    if get_config is None or isinstance(value, (type, nn.Module)):
        return value
    try:
        config = get_config()
    except (NotImplementedError, TypeError):
        return value
    cls = type(value)
    return {
        "module": cls.__module__,
        "class_name": cls.__name__,
        "config": config,
        "registered_name": None,
    }


class Layer(KerasWeightsMixin, LossesMixin, BuildConfigMixin, nn.Module):
    """Base class of torchbridge layers (Keras's ``keras.layers.Layer``)."""

    #: Keras's ``input_spec``: an ``InputSpec`` (or a structure of them) checked on call.
    input_spec: Any = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        instance = super().__new__(cls)
        if cls.get_config is Layer.get_config:  # a custom layer without get_config()
            instance.__dict__["_auto_config"] = capture_init_args(cls, args, kwargs)
        return instance

    def __init__(
        self,
        *,
        activity_regularizer: Any = None,
        trainable: bool = True,
        dtype: Any = None,
        autocast: bool = True,
        name: str | None = None,
        input_shape: Sequence[int | None] | None = None,
        input_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        if batch_input_shape is not None and input_shape is None:
            input_shape = tuple(batch_input_shape)[1:]
        if kwargs:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword arguments {sorted(kwargs)}."
            )
        if not isinstance(trainable, bool):
            raise ValueError(
                f"Expected `trainable` to be a boolean. Received: trainable={trainable!r} "
                f"(of type {type(trainable)})"
            )
        from torchbridge import regularizers

        self.name = name or _auto_name(type(self).__name__)
        self.built = False
        # Keras: a layer that defines compute_mask() supports masking unless it says otherwise
        self.supports_masking = type(self).compute_mask is not Layer.compute_mask
        self.autocast = autocast
        self._trainable = trainable
        self._dtype_arg = _checked_dtype(policy_name_of(dtype), type(self).__name__)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        if self.activity_regularizer is not None:
            mark_loss_source()
        self._build_input_shape: Any = None
        self._remat_mode = get_current_remat_mode()  # keras.RematScope open at construction
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

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Variable):
            self._rename_tracked(name, value)
        elif self._set_weight_option(name, value):
            return
        super().__setattr__(name, value)

    # --- what subclasses implement -----------------------------------------------------
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        wrap_build(cls)  # Keras: a layer is built once its build() returns

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

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """The output as KerasTensors for inputs given as KerasTensors (shapes, dtypes)."""
        return symbolic_call(self, args, kwargs, record=False)

    # --- building and calling ------------------------------------------------------------
    def _maybe_build(self, inputs: Any) -> None:
        self._run_build(_shape_of(inputs))

    def build_from_shape(self, input_shape: Sequence[int | None]) -> None:
        """Build now for ``input_shape`` (batch dimension first, may be ``None``)."""
        if not self.built:
            self._run_build(tuple(input_shape))

    def _run_build(self, shape: Any, named: dict[str, Any] | None = None) -> None:
        if named is not None:  # Keras's build config of a build(a_shape, b_shape) signature
            self.build(**named)
        else:
            self.build(shape)
        if not self.built:  # the base Layer.build (subclasses' builds finish themselves)
            self._finish_build(shape, named)

    def _finish_build(self, shape: Any, named: dict[str, Any] | None) -> None:
        """After the outermost ``build()`` (see layer_build.py): record the shapes for the
        build config, mark the layer built, and attach the declared weight options."""
        self._build_input_shape = shape
        if named is not None:
            self.__dict__["_build_shapes_dict"] = named
        self.built = True
        self._finalize_weights()
        if not self._trainable:
            self._apply_trainable(False)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.input_spec is not None:  # Keras's check of the first argument
            first = args[0] if args else kwargs.get("inputs", next(iter(kwargs.values()), None))
            assert_input_compatibility(self.input_spec, first, self.name)
        if any_symbolic(args, kwargs):
            return symbolic_call(self, args, kwargs)
        if not self.__dict__.get("_mode_chosen", False):
            self.eval()  # Keras: a direct call is inference unless training=True (see train())
        if args and isinstance(args[0], (np.ndarray, list, tuple)):
            args = (_arrays_to_tensors(args[0]), *args[1:])  # NumPy in, as Keras converts
        return super().__call__(*args, **kwargs)

    def train(self, mode: bool = True) -> Layer:
        """PyTorch's ``train``/``eval``. Until either is called (on this layer or a module
        holding it), a direct call ``layer(x)`` runs in inference mode, as in Keras;
        ``layer(x, training=True)`` still trains."""
        self.__dict__["_mode_chosen"] = True
        return super().train(mode)

    def forward(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if not any_loss_source():  # the common case: nothing ever adds losses
            return self._forward(inputs, *args, **kwargs)
        enter_call(self)  # the outermost call clears the previous call's losses
        try:
            outputs = self._forward(inputs, *args, **kwargs)
            if self.activity_regularizer is not None:
                self._add_activity_losses(outputs)
            return outputs
        finally:
            exit_call()

    def _forward(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
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
        if self._remat_mode is None:
            outputs = self.call(inputs, *args, **kwargs)
        else:
            outputs = rematerialized_call(self, self.call, inputs)(inputs, *args, **kwargs)
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
                stacklevel=3,
            )
        return outputs

    def _add_activity_losses(self, outputs: Any) -> None:
        """Keras's activity regularization: the penalty of each output over its batch size."""
        for out in _tensor_leaves(outputs):
            loss = self.activity_regularizer(out)
            if out.ndim > 0 and out.shape[0] > 0:
                loss = loss / out.shape[0]
            self.add_loss(loss)

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
        """Freeze / unfreeze this layer and its sublayers. Unfreezing gives back
        trainability only to weights made trainable (not add_weight(trainable=False)
        state, nor integer weights)."""
        for module in self.modules():
            if isinstance(module, Layer):
                module._trainable = value
        for p in self.parameters():
            if not value:
                p.requires_grad_(False)
            elif (p.is_floating_point() or p.is_complex()) and getattr(
                p, "_trainable_by_design", True
            ):
                p.requires_grad_(True)

    # --- Keras's symbolic and dtype attributes --------------------------------------------------
    @property
    def input(self) -> Any:
        """The symbolic input of the layer's first call on KerasTensors."""
        return self._node_attribute("input_tensors", "input")

    @property
    def output(self) -> Any:
        """The symbolic output of the layer's first call on KerasTensors."""
        return self._node_attribute("output_tensors", "output")

    def __getattr__(self, name: str) -> Any:
        # nn.Module's fallback hides an AttributeError raised inside a property.
        if name in ("input", "output") and not self.__dict__.get("_inbound_nodes"):
            raise AttributeError(
                f"Layer '{self.__dict__.get('name')}' has never been called on a symbolic "
                f"input (keras.Input), so it has no defined {name}."
            )
        slot = self._weight_option_slot(name)
        if slot is not None:
            return self.__dict__["_weight_options"][slot[0]][slot[1]]
        return super().__getattr__(name)

    def _node_attribute(self, attr: str, what: str) -> Any:
        nodes = self.__dict__.get("_inbound_nodes") or []
        if not nodes:
            raise AttributeError(
                f"Layer '{self.name}' has never been called on a symbolic input "
                f"(keras.Input), so it has no defined {what}."
            )
        values = getattr(nodes[0], attr)
        return values[0] if len(values) == 1 else values

    def _dtype_names(self) -> tuple[str, str]:
        """``(compute dtype, variable dtype)`` from ``dtype=`` or the global policy."""
        arg = self._dtype_arg
        if arg is None or (isinstance(arg, str) and arg.startswith("mixed_")):
            from torchbridge import mixed_precision

            policy = mixed_precision.global_policy() if arg is None else None
            policy = policy or mixed_precision.DTypePolicy(arg)
            return str(policy.compute_dtype), str(policy.variable_dtype)
        if hasattr(arg, "compute_dtype") and hasattr(arg, "variable_dtype"):
            return str(arg.compute_dtype), str(arg.variable_dtype)
        try:
            name = keras_dtype_name(arg)
        except ValueError:  # "string" inputs
            name = str(arg)
        return name, name

    @property
    def dtype(self) -> str:
        """The variable dtype (Keras's ``layer.dtype``), e.g. ``"float32"``."""
        return self._dtype_names()[1]

    @property
    def variable_dtype(self) -> str:
        return self._dtype_names()[1]

    @property
    def compute_dtype(self) -> str:
        return self._dtype_names()[0]

    def _variable_dtype(self) -> Any:
        return self.variable_dtype

    @property
    def path(self) -> str:
        return self.name

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
            config["dtype"] = dtype_policy_config(self._dtype_arg)
        if self.activity_regularizer is not None:
            from torchbridge import regularizers

            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
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
        from torchbridge import initializers

        config = {
            k: initializers.deserialize_custom(v) if k.endswith("_initializer") else v
            for k, v in config.items()
        }
        batch_shape = config.pop("batch_input_shape", None)
        if batch_shape is not None:
            config["input_shape"] = tuple(batch_shape[1:])
        return cls(**config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


def _tensor_leaves(x: Any) -> list[torch.Tensor]:
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in _tensor_leaves(v)]
    if isinstance(x, dict):
        return [t for v in x.values() for t in _tensor_leaves(v)]
    return []


def _shape_of(inputs: Any) -> Any:
    if isinstance(inputs, torch.Tensor):
        return to_shape(inputs)
    if isinstance(inputs, (list, tuple)):
        return [_shape_of(x) for x in inputs]
    if isinstance(inputs, dict):
        return {k: _shape_of(v) for k, v in inputs.items()}
    return None


def _arrays_to_tensors(value: Any) -> Any:
    """NumPy arrays (also in a list/tuple of inputs) as tensors; floats as float32 (Keras
    converts float inputs to the layer's compute dtype), other dtypes kept."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return value  # text, objects, complex: the layer decides (e.g. TextVectorization)
        tensor = torch.as_tensor(value)
        return tensor.float() if tensor.is_floating_point() else tensor
    if isinstance(value, (list, tuple)) and any(isinstance(v, np.ndarray) for v in value):
        return type(value)(_arrays_to_tensors(v) for v in value)
    return value


_NON_NUMERIC_DTYPES = ("string", "str", "object")


def _checked_dtype(dtype: Any, layer: str) -> Any:
    """``dtype=`` refused at construction when it names no dtype or policy (a typo such as
    ``"flaot32"`` would otherwise surface later as an unrelated error)."""
    if not isinstance(dtype, str) or dtype in _NON_NUMERIC_DTYPES or "_from_" in dtype:
        return dtype
    if dtype.startswith("mixed_"):
        from torchbridge import mixed_precision

        mixed_precision.DTypePolicy(dtype)  # raises for an unknown policy name
        return dtype
    try:
        keras_dtype_name(dtype)
    except ValueError:
        import difflib

        from torchbridge.backend.dtypes import ALLOWED_DTYPES

        close = difflib.get_close_matches(dtype, [*ALLOWED_DTYPES, "mixed_bfloat16"], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InputError(
            f"{layer}: dtype={dtype!r} is not a dtype or dtype policy name.{hint} Pass a name "
            "such as 'float32', 'int64', 'bool', 'mixed_bfloat16', a torch.dtype or a "
            "keras.DTypePolicy."
        ) from None
    return dtype


def policy_name_of(dtype: Any) -> Any:
    """``dtype=`` as the layer keeps it: a Keras dtype-policy config (``{"class_name":
    "DTypePolicy", "config": {"name": ...}}``, as Keras's configs hold it) becomes its name."""
    if isinstance(dtype, dict):
        inner = dtype.get("config")
        if isinstance(inner, dict) and isinstance(inner.get("name"), str):
            return inner["name"]
    return dtype


def dtype_policy_config(dtype: Any) -> dict[str, Any]:
    """Keras's config of a layer's dtype policy (``"float64"``, a torch dtype, a
    ``DTypePolicy`` ... become ``{"class_name": "DTypePolicy", "config": {"name": ...}}``)."""
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": dtype_name_of(dtype)},
        "registered_name": None,
    }


def dtype_name_of(dtype: Any) -> str:
    """The Keras name of a dtype or dtype policy (``torch.float64`` → ``"float64"``)."""
    if isinstance(dtype, str):
        return dtype
    name = getattr(dtype, "name", None)  # a DTypePolicy or a NumPy dtype
    if isinstance(name, str):
        return name
    try:
        return keras_dtype_name(dtype)
    except ValueError:
        return str(dtype)
