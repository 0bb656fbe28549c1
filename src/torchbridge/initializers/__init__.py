"""``keras.initializers`` on torch: every Keras 3 initializer class, its snake-case alias
(``glorot_uniform is GlorotUniform``, as in Keras), and ``get`` / ``serialize`` /
``deserialize``.

The classes live in :mod:`.base` (``Initializer``, seeding, fans), :mod:`.constant` and
:mod:`.random_draws`. ``get`` takes what a layer's ``*_initializer`` argument takes: a
name, a Keras config dict, a class, an instance or function, or a tensor/array (used as
the value). Custom initializers resolve by registered name (a class or function
decorated with ``@register_keras_serializable``, or in a ``custom_object_scope``), from
a name or a Keras config dict; ``serialize`` writes Keras's layout for them.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.errors import UnknownNameError
from torchbridge.initializers.base import Initializer, compute_fans, torch_dtype
from torchbridge.initializers.constant import STFT, Constant, Identity, Ones, Zeros
from torchbridge.initializers.random_draws import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomNormal",
    "RandomUniform",
    "STFT",
    "STFTInitializer",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "constant",
    "deserialize",
    "deserialize_custom",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]

# Keras's aliases are the classes themselves.
constant = Constant
zeros = Zeros
ones = Ones
identity = IdentityInitializer = Identity
stft = STFTInitializer = STFT
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
orthogonal = OrthogonalInitializer = Orthogonal

_CLASSES: tuple[type[Initializer], ...] = (
    Initializer, Constant, Zeros, Ones, Identity, STFT, RandomNormal, RandomUniform,
    TruncatedNormal, VarianceScaling, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
    LecunNormal, LecunUniform, Orthogonal,
)  # fmt: skip


def _snake(name: str) -> str:
    out = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    return {"s_t_f_t": "stft"}.get(out, out)


#: Every name Keras resolves: class names, snake-case names and Keras's extra aliases.
ALL_OBJECTS: dict[str, type[Initializer]] = {c.__name__: c for c in _CLASSES}
ALL_OBJECTS.update({_snake(c.__name__): c for c in _CLASSES})
ALL_OBJECTS.update(
    {
        "IdentityInitializer": Identity,
        "OrthogonalInitializer": Orthogonal,
        "STFTInitializer": STFT,
        "normal": RandomNormal,
        "uniform": RandomUniform,
        "one": Ones,
        "zero": Zeros,
    }
)


def serialize(initializer: Any) -> Any:
    """Keras's config of an initializer (``{"module": "keras.initializers", "class_name",
    "config", "registered_name"}``); names and dicts as they are."""
    if initializer is None or isinstance(initializer, (str, dict)):
        return initializer
    from torchbridge.saving.serialization import serialize_keras_object  # saving sits above

    return serialize_keras_object(initializer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """What :func:`serialize` wrote (or a name) → the initializer object."""
    from torchbridge.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(
        config, module_objects=ALL_OBJECTS, custom_objects=custom_objects
    )


def _custom(name: str) -> Any:
    from torchbridge.saving.object_registration import custom_lookup  # saving sits above

    return custom_lookup(name)


def _from_value(value: Any) -> Any:
    """A tensor or array given as the initializer: that value, for its own shape only."""
    fixed = value.detach().cpu() if isinstance(value, torch.Tensor) else torch.as_tensor(value)

    def initialize(shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        if tuple(shape) != tuple(fixed.shape):
            raise ValueError(
                f"Expected `shape` to be {tuple(fixed.shape)} for direct tensor as "
                f"initializer. Received shape={tuple(shape)}; give a value of that shape."
            )
        return fixed.to(torch_dtype(dtype))

    return initialize


def get(identifier: Any) -> Any:
    """A Keras initializer name / config dict / class / callable / tensor → an initializer
    ``init(shape, dtype=None) -> Tensor``; ``None`` stays ``None`` (as in Keras)."""
    if identifier is None:
        return None
    obj: Any
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS.get(identifier) or _custom(identifier)
        if obj is None:
            raise UnknownNameError("initializer", identifier, ALL_OBJECTS)
        if inspect.isclass(obj):
            from_config = getattr(obj, "from_config", None)
            obj = from_config({}) if from_config is not None else obj()
    elif isinstance(identifier, (torch.Tensor, np.ndarray, np.generic)):
        obj = _from_value(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(
        f"Could not interpret initializer identifier: {identifier!r}. Pass a Keras "
        "initializer name ('glorot_uniform'), an Initializer, or a function (shape, dtype)."
    )


def deserialize_custom(identifier: Any) -> Any:
    """A config's custom initializer (a registered class's or function's Keras layout, as
    ``serialize`` writes it) as its object, as Keras's layers hold it; built-in names and
    configs unchanged (layers resolve those when they build)."""
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        if name == "function" or (isinstance(name, str) and name not in ALL_OBJECTS):
            return get(identifier)
    return identifier
