"""A torchbridge optimizer's state as Keras 3's optimizer variables (``optimizer/vars``).

Keras saves ``optimizer.variables``: ``iterations`` (int64), ``learning_rate``
(float32; absent under a schedule), then the slot variables its ``build``
made for the model's trainable variables (Keras's ``trainable_weights``
order, in Keras layouts). The torch state maps onto them as follows:

=========  ============================================================  ===================
Keras      slots, in Keras's order                                        torch state
=========  ============================================================  ===================
Adam(W)    per variable ``momentum, velocity``; then ``velocity_hat``     exp_avg, exp_avg_sq,
           per variable with ``amsgrad``                                  max_exp_avg_sq
SGD        ``momentum`` per variable when ``momentum != 0``               -lr * momentum_buffer
RMSprop    ``velocity``; ``momentum`` if momentum > 0;                    square_avg,
           ``average_gradient`` if centered (each per variable)          momentum_buffer, grad_avg
Lion       ``momentum`` per variable                                      the same names
Lamb       per variable ``momentum, velocity``                            (Keras's rules run
Ftrl       per variable ``accumulator, linear``                           as-is)
=========  ============================================================  ===================

Other optimizers (and ``use_ema`` / gradient accumulation, whose extra
variables Keras interleaves) save only ``iterations`` and ``learning_rate``;
Keras then skips their state with a warning on load, as it does for any
count mismatch — and so does :func:`load_keras_variables`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge.layers.layer import KerasWeight, collect_keras_weights

__all__ = ["keras_variables", "load_keras_variables", "check_dtypes", "slot_layout"]

# (torch state key, Keras value = f(torch value, lr), torch value = g(Keras value, lr))
_Slot = tuple[
    str,
    Callable[[torch.Tensor, float], torch.Tensor],
    Callable[[torch.Tensor, float], torch.Tensor],
]


def _same(t: torch.Tensor, lr: float) -> torch.Tensor:
    return t


def _sgd_to_keras(buf: torch.Tensor, lr: float) -> torch.Tensor:
    return buf * -lr


def _sgd_from_keras(m: torch.Tensor, lr: float) -> torch.Tensor:
    return m / -lr if lr else torch.zeros_like(m)


def _slot_lists(optimizer: Any) -> list[list[_Slot]] | None:
    """Keras's slot variables as lists: each list's slots are made for one model variable
    after the other (Adam: momentum, velocity, momentum, velocity ...), the lists one after
    another. None when this optimizer's variables are not mapped."""
    from torchbridge import optimizers

    if getattr(optimizer, "use_ema", False) or getattr(
        optimizer, "gradient_accumulation_steps", None
    ):
        return None
    if isinstance(optimizer, (optimizers.Adam, optimizers.AdamW)):
        lists: list[list[_Slot]] = [[("exp_avg", _same, _same), ("exp_avg_sq", _same, _same)]]
        if optimizer.amsgrad:
            lists.append([("max_exp_avg_sq", _same, _same)])
        return lists
    if isinstance(optimizer, optimizers.SGD):
        return [[("momentum_buffer", _sgd_to_keras, _sgd_from_keras)]] if optimizer.momentum else []
    if isinstance(optimizer, optimizers.RMSprop):
        rms: list[list[_Slot]] = [[("square_avg", _same, _same)]]
        if optimizer.momentum > 0:
            rms.append([("momentum_buffer", _same, _same)])
        if optimizer.centered:
            rms.append([("grad_avg", _same, _same)])
        return rms
    # Keras's update rules run as-is (optimizers/_keras_rule.py): Keras's slot names
    for cls, names in (
        (optimizers.Lion, ("momentum",)),
        (optimizers.Lamb, ("momentum", "velocity")),
        (optimizers.Ftrl, ("accumulator", "linear")),
    ):
        if isinstance(optimizer, cls):
            return [[(name, _same, _same) for name in names]]
    return None


def _scalars(optimizer: Any) -> list[np.ndarray]:
    out = [np.asarray(int(getattr(optimizer, "_iterations", 0)), dtype=np.int64)]
    if isinstance(getattr(optimizer, "_learning_rate", None), float):
        out.append(np.asarray(float(optimizer.learning_rate), dtype=np.float32))
    return out


def _trainable(model: nn.Module) -> list[KerasWeight]:
    root = model.weights_module() if hasattr(model, "weights_module") else model  # type: ignore[operator]
    return [
        w
        for w in collect_keras_weights(root)
        if isinstance(w.tensor, nn.Parameter) and w.tensor.requires_grad
    ]


def slot_layout(optimizer: Any, model: nn.Module) -> tuple[int, list[tuple[_Slot, KerasWeight]]]:
    """How many scalar variables lead (``iterations``, the learning rate unless a schedule),
    then the (slot: torch state key and conversions, model weight) of each slot variable,
    in Keras's order (empty until the optimizer is built)."""
    n_scalars = len(_scalars(optimizer))
    lists = _slot_lists(optimizer)
    if lists is None or not getattr(optimizer, "built", False):
        return n_scalars, []
    weights = _trainable(model)
    return n_scalars, [(slot, w) for slots in lists for w in weights for slot in slots]


def keras_variables(optimizer: Any, model: nn.Module) -> list[np.ndarray]:
    """``optimizer.variables`` as Keras would save them (NumPy, Keras layouts)."""
    out = _scalars(optimizer)
    _, order = slot_layout(optimizer, model)
    if not order:
        return out
    lr = float(optimizer.learning_rate)
    state = optimizer.state
    for (key, to_keras, _), w in order:
        value = state[w.tensor].get(key) if w.tensor in state else None
        t = torch.zeros_like(w.tensor) if value is None else to_keras(value.detach(), lr)
        out.append(w.to_keras(t.detach()).float().cpu().numpy())
    return out


def _step_tensor(iterations: int, group: dict[str, Any], param: torch.Tensor) -> torch.Tensor:
    on_device = bool(group.get("fused") or group.get("capturable"))
    return torch.tensor(
        float(iterations), dtype=torch.float32, device=param.device if on_device else "cpu"
    )


def _skip(optimizer: Any, expected: int, found: int) -> None:
    name = getattr(optimizer, "name", type(optimizer).__name__)
    warnings.warn(
        f"Skipping variable loading for optimizer '{name}', because it has {expected} "
        f"variables whereas the saved optimizer has {found} variables.",
        stacklevel=4,
    )


def check_dtypes(
    optimizer: Any, model: nn.Module, datasets: list[Any], filepath: str, allow: bool = False
) -> None:
    """Raise ``SavedFormatError`` when a slot is stored in a wider dtype than its parameter
    (float64 into float32), unless ``allow`` (only when the layout fits: else it is skipped)."""
    from torchbridge.saving.keras_format.weights_h5 import check_narrowing

    n_scalars, order = slot_layout(optimizer, model)
    if len(datasets) != n_scalars + len(order):
        return
    pairs = [
        (f"optimizer slot {key!r} of a weight of shape {tuple(w.tensor.shape)}", ds, w.tensor)
        for ((key, _, _), w), ds in zip(order, datasets[n_scalars:])
    ]
    check_narrowing(pairs, filepath, allow)


def load_keras_variables(
    optimizer: Any,
    model: nn.Module,
    datasets: list[Any],
    filepath: str = "",
    allow_dtype_narrowing: bool = False,
) -> None:
    """Restore the optimizer from the datasets of a Keras ``optimizer/vars`` group.

    ``datasets`` were checked (plain numeric datasets) by the caller; a count or
    shape that does not fit skips the optimizer with Keras's warning. A slot stored in a
    wider dtype than its parameter raises ``SavedFormatError`` unless
    ``allow_dtype_narrowing`` (:func:`check_dtypes`).
    """
    from torchbridge import optimizers

    check_dtypes(optimizer, model, datasets, filepath, allow_dtype_narrowing)
    n_scalars, order = slot_layout(optimizer, model)
    expected = n_scalars + len(order)
    if len(datasets) != expected:
        _skip(optimizer, expected, len(datasets))
        return
    shapes = [()] * n_scalars + [tuple(w.to_keras(w.tensor.detach()).shape) for _, w in order]
    if [tuple(ds.shape) for ds in datasets] != shapes:
        _skip(optimizer, expected, len(datasets))
        return
    values = [np.asarray(ds[()]) for ds in datasets]  # shapes checked: bounded by the model
    iterations = int(values[0])
    optimizer._iterations = iterations
    if n_scalars == 2:
        optimizer.learning_rate = float(values[1])
    if not order:
        return
    lr = float(optimizer.learning_rate)
    adam = isinstance(optimizer, (optimizers.Adam, optimizers.AdamW))
    param_group = {id(p): g for g in optimizer.param_groups for p in g["params"]}
    with torch.no_grad():
        for ((key, _, from_keras), w), value in zip(order, values[n_scalars:]):
            torch_value = from_keras(w.from_keras(torch.from_numpy(np.array(value))), lr)
            slot = optimizer.state[w.tensor]
            slot[key] = torch_value.to(dtype=w.tensor.dtype, device=w.tensor.device).reshape(
                w.tensor.shape
            )
            if adam:
                slot["step"] = _step_tensor(iterations, param_group.get(id(w.tensor), {}), w.tensor)
