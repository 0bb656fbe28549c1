"""Which ``call`` a layer runs under ``keras.RematScope`` (see :mod:`torchbridge.backend.remat`).

A layer records the scope's :class:`RematMode` when it is constructed; ``Layer`` then asks
:func:`rematerialized_call` for the function to run. ``"larger_than"`` decides per input
shape, from the sizes of the first call's outputs (Keras decides from the output spec).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import torch

from torchbridge.backend.remat import remat
from torchbridge.utils import nest

__all__ = ["rematerialized_call"]


def _shape_key(inputs: Any) -> tuple[Any, ...]:
    return tuple(
        tuple(x.shape) if isinstance(x, torch.Tensor) else None for x in nest.flatten(inputs)
    )


def _output_size(outputs: Any) -> int:
    return sum(math.prod(x.shape) for x in nest.flatten(outputs) if isinstance(x, torch.Tensor))


def rematerialized_call(layer: Any, call: Callable[..., Any], inputs: Any) -> Callable[..., Any]:
    """``call``, or its rematerialized form, for ``layer``'s recorded remat mode."""
    mode = layer._remat_mode
    if mode is None or mode.mode is None or not torch.is_grad_enabled():
        return call
    if mode.mode == "full":
        return remat(call)
    if mode.mode == "list_of_layers":
        return remat(call) if layer.name in mode.layer_names else call
    if mode.mode == "activations":
        activation = layer.__dict__.get("activation")  # a plain function attribute
        if activation is None:
            return call

        @functools.wraps(call)
        def with_remat_activation(*args: Any, **kwargs: Any) -> Any:
            layer.__dict__["activation"] = remat(activation)
            try:
                return call(*args, **kwargs)
            finally:
                layer.__dict__["activation"] = activation

        return with_remat_activation
    # "larger_than": decided once per input shape, from the output sizes
    decisions = layer.__dict__.setdefault("_remat_sizes", {})
    key = _shape_key(inputs)
    if key not in decisions:

        def measuring(*args: Any, **kwargs: Any) -> Any:
            outputs = call(*args, **kwargs)
            decisions[key] = _output_size(outputs) > mode.output_size_threshold
            return outputs

        return measuring
    return remat(call) if decisions[key] else call
