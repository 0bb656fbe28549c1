"""``keras.activations`` on torch: every Keras 3 activation as a function, plus ``get``,
``serialize`` and ``deserialize``.

Each function has Keras's name, signature and defaults (``relu(x, negative_slope=0.0,
max_value=None, threshold=0.0)``, ``gelu(x, approximate=False)``, ``softmax(x, axis=-1)``
...) and computes Keras's formula with torch's fused kernels where one exists, so a
layer's ``activation="relu"`` costs what ``torch.relu`` costs. Inputs may be torch
tensors, NumPy arrays or Python numbers (Python floats become ``floatx()``); results are
torch tensors.

The maths is ``torchbridge.ops.nn``'s (one implementation, one floor down); these
functions add keras.activations' own signatures (``relu``'s extra arguments, ``gelu``'s
``approximate=False`` default) and its error for symbolic inputs.

``get(name)`` returns the module function itself (``get("relu") is relu``; the aliases
``swish`` and ``hard_swish`` are ``silu`` and ``hard_silu``), and ``serialize`` writes a
built-in back as its Keras name. Custom activations resolve by registered name: a
function decorated with ``@register_keras_serializable`` serializes as Keras's function
config (``{"class_name": "function", "config": "package>name", ...}``) and ``get`` finds
it again from that config or from the name, as do names in a ``custom_object_scope``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.ops import nn_activations as _nn
from torchbridge.ops._convert import to_tensor
from torchbridge.utils.registry import Registry

__all__ = [
    "celu",
    "deserialize",
    "elu",
    "exponential",
    "gelu",
    "get",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
]

Activation = Callable[..., torch.Tensor]
_REGISTRY: Registry[Activation] = Registry("activation")


def _tensor(x: Any) -> torch.Tensor:
    """``x`` as a tensor by the ops' conversion rules (:func:`torchbridge.ops._convert.
    to_tensor`: NumPy keeps its dtype, Python floats become floatx, ints int32)."""
    if isinstance(x, torch.Tensor):
        return x
    try:
        return to_tensor(x)
    except TypeError as e:
        raise TypeError(
            f"An activation takes a tensor, a NumPy array or Python numbers; got "
            f"{type(x).__name__}. On a symbolic keras.Input, use the layer instead: "
            "layers.Activation('relu')(x)."
        ) from e


def _like(value: Any, x: torch.Tensor) -> Any:
    """A Python number rounded to ``x``'s half precision, as Keras compares after casting
    it to the input's dtype (torch would compare in float32)."""
    if x.dtype in (torch.float16, torch.bfloat16) and isinstance(value, float):
        return torch.tensor(value, dtype=x.dtype).item()
    return value


# --- rectifiers -------------------------------------------------------------------------------
def relu(
    x: Any, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> torch.Tensor:
    """``max(x, 0)``; with ``max_value`` clipped above, with ``threshold`` zero at or below
    it, with ``negative_slope`` leaky below (Keras's combination of the three)."""
    if not isinstance(x, torch.Tensor):
        x = _tensor(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return torch.relu(x)  # the hot path: one fused kernel
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return F.leaky_relu(x, negative_slope)
    threshold, max_value = _like(threshold, x), _like(max_value, x)
    negative_part = torch.relu(threshold - x) if negative_slope != 0.0 else None
    clip = max_value is not None
    if threshold != 0.0:
        x = torch.where(x > threshold, x, torch.zeros((), dtype=x.dtype, device=x.device))
    elif max_value == 6:
        x = F.relu6(x)
        clip = False
    else:
        x = torch.relu(x)
    if clip:
        x = torch.clamp(x, 0.0, max_value)
    if negative_part is not None:
        x = x - negative_slope * negative_part
    return x


def leaky_relu(x: Any, negative_slope: float = 0.2) -> torch.Tensor:
    """``x`` above zero, ``negative_slope * x`` below."""
    return _nn.leaky_relu(_tensor(x), negative_slope)


def relu6(x: Any) -> torch.Tensor:
    """``min(max(x, 0), 6)``."""
    return _nn.relu6(_tensor(x))


def elu(x: Any, alpha: float = 1.0) -> torch.Tensor:
    """``x`` above zero, ``alpha * (exp(x) - 1)`` below."""
    return _nn.elu(_tensor(x), alpha)


def selu(x: Any) -> torch.Tensor:
    """Scaled ELU with Klambauer et al.'s fixed ``alpha`` and ``scale``."""
    return _nn.selu(_tensor(x))


def celu(x: Any, alpha: float = 1.0) -> torch.Tensor:
    """``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``."""
    return _nn.celu(_tensor(x), alpha)


def threshold(x: Any, threshold: float, default_value: float) -> torch.Tensor:
    """``x`` where ``x > threshold``, else ``default_value``."""
    return _nn.threshold(_tensor(x), threshold, default_value)


# --- smooth and gated -------------------------------------------------------------------------
def gelu(x: Any, approximate: bool = False) -> torch.Tensor:
    """Gaussian error linear unit; ``approximate=True`` is the tanh approximation."""
    return _nn.gelu(_tensor(x), approximate)


def silu(x: Any) -> torch.Tensor:
    """``x * sigmoid(x)`` (also ``swish``)."""
    return _nn.silu(_tensor(x))


def mish(x: Any) -> torch.Tensor:
    """``x * tanh(softplus(x))``."""
    return F.mish(_tensor(x))


def glu(x: Any, axis: int = -1) -> torch.Tensor:
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second half."""
    return _nn.glu(_tensor(x), axis)


def softplus(x: Any) -> torch.Tensor:
    """``log(exp(x) + 1)``."""
    return _nn.softplus(_tensor(x))


def softsign(x: Any) -> torch.Tensor:
    """``x / (abs(x) + 1)``."""
    return _nn.softsign(_tensor(x))


def squareplus(x: Any, b: float = 4) -> torch.Tensor:
    """``(x + sqrt(x**2 + b)) / 2``."""
    return _nn.squareplus(_tensor(x), b)


def sparse_plus(x: Any) -> torch.Tensor:
    """``0`` for ``x <= -1``, ``(x + 1)**2 / 4`` on ``(-1, 1)``, ``x`` from 1."""
    return _nn.sparse_plus(_tensor(x))


# --- sigmoids and tanh ------------------------------------------------------------------------
def sigmoid(x: Any) -> torch.Tensor:
    """``1 / (1 + exp(-x))``."""
    return _nn.sigmoid(_tensor(x))


def hard_sigmoid(x: Any) -> torch.Tensor:
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""
    return _nn.hard_sigmoid(_tensor(x))


def hard_silu(x: Any) -> torch.Tensor:
    """``x * hard_sigmoid(x)`` (also ``hard_swish``)."""
    return _nn.hard_silu(_tensor(x))


def sparse_sigmoid(x: Any) -> torch.Tensor:
    """``0`` for ``x <= -1``, ``1`` for ``x >= 1``, ``(x + 1) / 2`` between."""
    return _nn.sparse_sigmoid(_tensor(x))


def log_sigmoid(x: Any) -> torch.Tensor:
    """``log(sigmoid(x))``, computed stably."""
    return _nn.log_sigmoid(_tensor(x))


def tanh(x: Any) -> torch.Tensor:
    """Hyperbolic tangent."""
    return torch.tanh(_tensor(x))


def hard_tanh(x: Any) -> torch.Tensor:
    """``x`` clipped to ``[-1, 1]``."""
    return _nn.hard_tanh(_tensor(x))


def tanh_shrink(x: Any) -> torch.Tensor:
    """``x - tanh(x)``."""
    return _nn.tanh_shrink(_tensor(x))


# --- shrinkage --------------------------------------------------------------------------------
def soft_shrink(x: Any, threshold: float = 0.5) -> torch.Tensor:
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    return _nn.soft_shrink(_tensor(x), threshold)


def hard_shrink(x: Any, threshold: float = 0.5) -> torch.Tensor:
    """``x`` where ``abs(x) > threshold``, else 0."""
    return _nn.hard_shrink(_tensor(x), threshold)


# --- normalizing over an axis -----------------------------------------------------------------
def softmax(x: Any, axis: int | tuple[int, ...] | None = -1) -> torch.Tensor:
    """``exp(x) / sum(exp(x))`` over ``axis`` (an int, a tuple of axes, or ``None``: all)."""
    return _nn.softmax(_tensor(x), axis)


def log_softmax(x: Any, axis: int | tuple[int, ...] | None = -1) -> torch.Tensor:
    """``x - logsumexp(x)`` over ``axis`` (an int, a tuple of axes, or ``None``: all)."""
    return _nn.log_softmax(_tensor(x), axis)


def sparsemax(x: Any, axis: int = -1) -> torch.Tensor:
    """Euclidean projection of ``x`` onto the probability simplex along ``axis``: like
    softmax, but with exact zeros (Martins & Astudillo, 2016)."""
    return _nn.sparsemax(_tensor(x), axis)


# --- identity and exponential -----------------------------------------------------------------
def linear(x: Any) -> Any:
    """The identity: ``x`` unchanged."""
    return x


def exponential(x: Any) -> torch.Tensor:
    """``exp(x)``."""
    return torch.exp(_tensor(x))


swish = silu
hard_swish = hard_silu

_BUILTINS: tuple[Activation, ...] = (
    relu, leaky_relu, relu6, elu, selu, celu, threshold, gelu, silu, mish, glu, softplus,
    softsign, squareplus, sparse_plus, sigmoid, hard_sigmoid, hard_silu, sparse_sigmoid,
    log_sigmoid, tanh, hard_tanh, tanh_shrink, soft_shrink, hard_shrink, softmax, log_softmax,
    sparsemax, linear, exponential,
)  # fmt: skip
for _fn in _BUILTINS:
    _REGISTRY.add(_fn.__name__, _fn)
_REGISTRY.add("swish", silu)
_REGISTRY.add("hard_swish", hard_silu)
#: Built-in function → its Keras name (aliases write the function's own name, as Keras).
_NAMES: dict[Activation, str] = {fn: fn.__name__ for fn in _BUILTINS}


def _custom(name: str) -> Any:
    from torchbridge.saving.object_registration import custom_lookup  # saving sits above

    return custom_lookup(name)


def get(identifier: Any) -> Activation:
    """A name (built in or registered), a Keras config dict, or a callable → the function;
    ``None`` is :func:`linear`."""
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier  # type: ignore[no-any-return]
    name = str(identifier)
    if name not in _REGISTRY:
        found = _custom(name)
        if callable(found):
            return found  # type: ignore[no-any-return]
    return _REGISTRY.get(name)


def serialize(activation: Any) -> Any:
    """A built-in's Keras name (``"relu"``); a custom function as Keras's function config
    (its registered name under ``"config"``); an object with ``get_config`` as its config."""
    try:
        name = _NAMES.get(activation)
    except TypeError:  # an unhashable object
        name = None
    if name is not None:
        return name
    if isinstance(activation, (str, dict)):
        return activation  # already a name or a config
    from torchbridge.saving.object_registration import get_registered_name

    if getattr(activation, "get_config", None) is not None and not isinstance(activation, type):
        from torchbridge.saving.serialization import serialize_keras_object

        return serialize_keras_object(activation)
    fn_name = getattr(activation, "__name__", None)
    if fn_name is None or fn_name == "<lambda>":
        return fn_name or "custom"  # not reloadable: only a registered function is
    return {
        "module": "builtins",
        "class_name": "function",
        "config": get_registered_name(activation),
        "registered_name": "function",
    }


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Activation:
    """What :func:`serialize` wrote (a name or a Keras config dict) → the function."""
    if isinstance(config, dict):
        from torchbridge.saving.serialization import deserialize_keras_object

        found = deserialize_keras_object(config, custom_objects)
        if not callable(found):
            raise ValueError(
                f"Could not interpret activation function identifier: {config!r}. Pass a "
                "Keras activation name, a function, or a config written by serialize()."
            )
        return found  # type: ignore[no-any-return]
    if custom_objects and isinstance(config, str) and config in custom_objects:
        return custom_objects[config]  # type: ignore[no-any-return]
    return get(config)
