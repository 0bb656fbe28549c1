"""Keras weight initializers, resolved by Keras name (``"glorot_uniform"`` ...).

Fans are computed on the *Keras* layout of a weight (Dense kernel ``(in,
out)``, Conv kernel ``(*kernel_size, in, out)``): ``fan_in = receptive *
shape[-2]``, ``fan_out = receptive * shape[-1]``. Layers that store weights in
torch layouts initialise a tensor of the Keras shape and convert it.

``get`` also resolves custom initializers by registered name (a class or
function decorated with ``@register_keras_serializable``, or in a
``custom_object_scope``), from a name or a Keras config dict; ``serialize``
writes Keras's layout for them.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from torchbridge.utils.registry import Registry

__all__ = ["get", "serialize", "deserialize_custom", "compute_fans", "Initializer"]

Initializer = Callable[[Sequence[int]], torch.Tensor]
_REGISTRY: Registry[Callable[..., Initializer]] = Registry("initializer")


def compute_fans(shape: Sequence[int]) -> tuple[int, int]:
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _variance_scaling(scale: float, mode: str, distribution: str) -> Initializer:
    def init(shape: Sequence[int]) -> torch.Tensor:
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        var = scale / max(1.0, n)
        t = torch.empty(tuple(shape))
        if distribution == "uniform":
            limit = math.sqrt(3.0 * var)
            return t.uniform_(-limit, limit)
        # Keras's truncated normal (±2 std) with the std corrected for truncation.
        std = math.sqrt(var) / 0.87962566103423978
        return torch.nn.init.trunc_normal_(t, 0.0, std, -2 * std, 2 * std)

    return init


@_REGISTRY.register("glorot_uniform", "GlorotUniform")
def glorot_uniform() -> Initializer:
    return _variance_scaling(1.0, "fan_avg", "uniform")


@_REGISTRY.register("glorot_normal", "GlorotNormal")
def glorot_normal() -> Initializer:
    return _variance_scaling(1.0, "fan_avg", "normal")


@_REGISTRY.register("he_uniform", "HeUniform")
def he_uniform() -> Initializer:
    return _variance_scaling(2.0, "fan_in", "uniform")


@_REGISTRY.register("he_normal", "HeNormal")
def he_normal() -> Initializer:
    return _variance_scaling(2.0, "fan_in", "normal")


@_REGISTRY.register("lecun_uniform", "LecunUniform")
def lecun_uniform() -> Initializer:
    return _variance_scaling(1.0, "fan_in", "uniform")


@_REGISTRY.register("lecun_normal", "LecunNormal")
def lecun_normal() -> Initializer:
    return _variance_scaling(1.0, "fan_in", "normal")


@_REGISTRY.register("zeros", "Zeros")
def zeros() -> Initializer:
    return lambda shape: torch.zeros(tuple(shape))


@_REGISTRY.register("ones", "Ones")
def ones() -> Initializer:
    return lambda shape: torch.ones(tuple(shape))


@_REGISTRY.register("random_uniform", "RandomUniform", "uniform")
def random_uniform(minval: float = -0.05, maxval: float = 0.05) -> Initializer:
    return lambda shape: torch.empty(tuple(shape)).uniform_(minval, maxval)


@_REGISTRY.register("random_normal", "RandomNormal", "normal")
def random_normal(mean: float = 0.0, stddev: float = 0.05) -> Initializer:
    return lambda shape: torch.empty(tuple(shape)).normal_(mean, stddev)


@_REGISTRY.register("orthogonal", "Orthogonal")
def orthogonal(gain: float = 1.0) -> Initializer:
    def init(shape: Sequence[int]) -> torch.Tensor:
        shape = tuple(shape)
        flat = (math.prod(shape[:-1]), shape[-1]) if len(shape) > 1 else (1, shape[0])
        t = torch.empty(flat)
        torch.nn.init.orthogonal_(t, gain=gain)
        return t.reshape(shape)

    return init


def _custom(name: Any) -> Any:
    from torchbridge.saving.object_registration import custom_lookup  # saving sits above

    return custom_lookup(name)


def _call_factory(factory: Callable[..., Initializer], config: dict[str, Any]) -> Initializer:
    """A built-in initializer from a Keras config; Keras-only keys left at ``None`` (``seed``,
    ``input_axes`` ...) are dropped, others are an error naming them."""
    params = inspect.signature(factory).parameters
    unknown = {k: v for k, v in config.items() if k not in params}
    given = sorted(k for k, v in unknown.items() if v is not None)
    if given:
        raise ValueError(
            f"The initializer {factory.__name__} does not support {given} in torchbridge "
            f"(config {config!r}); remove them from the config, or pass a callable "
            "initializer f(shape) -> tensor."
        )
    return factory(**{k: v for k, v in config.items() if k in params})


def _instantiate(found: Any, config: dict[str, Any]) -> Initializer:
    if isinstance(found, type):
        from_config = getattr(found, "from_config", None)
        return from_config(config) if from_config is not None else found(**config)  # type: ignore[no-any-return]
    return found  # type: ignore[no-any-return]


def get(identifier: Any) -> Initializer:
    """A Keras initializer name / config dict / callable → ``f(shape) -> Tensor``."""
    if callable(identifier) and not isinstance(identifier, type):
        return identifier  # type: ignore[no-any-return]
    if isinstance(identifier, type):
        return identifier()  # type: ignore[no-any-return]
    if isinstance(identifier, dict):
        name = identifier["class_name"]
        if name == "function" and isinstance(identifier.get("config"), str):
            return get(identifier["config"])  # a registered function, saved by name
        config = dict(identifier.get("config") or {})
        registered = identifier.get("registered_name")
        custom = _custom(registered) if registered not in (None, name) else None
        if custom is None and name not in _REGISTRY:
            custom = _custom(name)
        if custom is not None:
            return _instantiate(custom, config)
        return _call_factory(_REGISTRY.get(name), config)
    name = str(identifier)
    if name not in _REGISTRY:
        custom = _custom(name)
        if custom is not None:
            return _instantiate(custom, {})
    return _REGISTRY.get(name)()


def serialize(initializer: Any) -> Any:
    """A config-friendly form: names and dicts as they are; a custom object or registered
    function in Keras's layout (so ``get`` finds it again by its registered name)."""
    if initializer is None or isinstance(initializer, (str, dict)):
        return initializer
    from torchbridge.saving.serialization import serialize_keras_object

    return serialize_keras_object(initializer)


def deserialize_custom(identifier: Any) -> Any:
    """A config's custom initializer (a registered class's or function's Keras layout, as
    ``serialize`` writes it) as its object, as Keras's layers hold it; built-in names and
    configs unchanged (layers resolve those when they build)."""
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        if name == "function" or (isinstance(name, str) and name not in _REGISTRY):
            return get(identifier)
    return identifier
