"""Keras's ``LossScaleOptimizer``: dynamic loss scaling for float16, on ``torch.amp.GradScaler``.

float16 gradients underflow; the loss is multiplied by a large scale before
``backward`` and the gradients divided back before the update. Keras's
dynamic rule, which is also ``GradScaler``'s: a step whose gradients hold an
inf/NaN is skipped and the scale halved; after ``dynamic_growth_steps``
finite steps in a row the scale doubles.

``compile(auto_scale_loss=True)`` (the default) wraps the optimizer in one when
the model trains under ``mixed_float16``. The wrapper delegates everything
else (learning rate, ``iterations``, accumulation, clipping, weight decay) to
the inner optimizer: ``step`` unscales the gradients first (so clipping sees
true values), then runs the inner step only if they are finite.

Differences from Keras, both torch AMP's: checking for inf/NaN reads one
value back from the device per update (torch's ``GradScaler.step``); with
``gradient_accumulation_steps`` the check is per update, so a non-finite
batch skips its whole accumulation window (Keras drops just that batch).
A skipped step does not count in ``iterations``, as in Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

import torch

from torchbridge.optimizers.optimizer import LearningRate, Optimizer

__all__ = ["LossScaleOptimizer"]

_BASE_DEFAULTS: dict[str, Any] = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling around ``inner_optimizer`` (Keras's arguments and defaults)."""

    def __init__(
        self,
        inner_optimizer: Any,
        initial_scale: float = 2.0**15,
        dynamic_growth_steps: int = 2000,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        for arg, default in _BASE_DEFAULTS.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{arg}`. Instead, set `{arg}` on the "
                    "`inner_optimizer`."
                )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`."
            )
        from torchbridge.optimizers.resolve import get

        inner = get(inner_optimizer)
        if inner is None or isinstance(inner, LossScaleOptimizer):
            raise ValueError(
                "LossScaleOptimizer wraps one optimizer (e.g. LossScaleOptimizer(Adam())); "
                f"got {inner_optimizer!r}."
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer: Optimizer = inner
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        # Disable the inner optimizer's own loss scaling: gradients would be scaled twice.
        self.inner_optimizer.loss_scale_factor = None
        self._scaler: torch.amp.GradScaler | None = None

    # --- the scaler -------------------------------------------------------------------
    def _get_scaler(self, device: torch.device | None = None) -> torch.amp.GradScaler:
        if self._scaler is None:
            if device is None:
                device = next(p.device for g in self.param_groups for p in g["params"])
            scaler = torch.amp.GradScaler(
                device.type,
                init_scale=self.initial_scale,
                growth_factor=2.0,
                backoff_factor=0.5,
                growth_interval=self.dynamic_growth_steps,
            )
            scaler.scale(torch.zeros((), device=device))  # creates the scale on the device
            self._scaler = scaler
        return self._scaler

    @property
    def dynamic_scale(self) -> float:
        """The current loss scale (reads it from the device)."""
        if self._scaler is None:
            return self.initial_scale
        return float(self._scaler.get_scale())

    @property
    def grad_scaler(self) -> torch.amp.GradScaler:
        """The ``torch.amp.GradScaler`` doing the work (created on first use)."""
        return self._get_scaler()

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """``loss * dynamic_scale`` (backpropagate this one)."""
        return self._get_scaler(loss.device).scale(loss)

    # --- delegation to the inner optimizer ------------------------------------------------
    def build(self, params: Any) -> Optimizer:
        self.inner_optimizer.build(params)
        return self

    @property
    def built(self) -> bool:
        return self.inner_optimizer.built

    @property
    def torch_optimizer(self) -> torch.optim.Optimizer:
        return self.inner_optimizer.torch_optimizer

    @property
    def iterations(self) -> int:
        return self.inner_optimizer.iterations

    @property
    def learning_rate(self) -> float:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: LearningRate) -> None:
        self.inner_optimizer.learning_rate = value

    def exclude_from_weight_decay(self, var_list: Any = None, var_names: Any = None) -> None:
        self.inner_optimizer.exclude_from_weight_decay(var_list, var_names)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        self.inner_optimizer.add_param_group(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.inner_optimizer.zero_grad(set_to_none=set_to_none)

    def finalize_variable_values(self, var_list: Any = None) -> None:
        self.inner_optimizer.finalize_variable_values(var_list)

    @overload
    def step(self, closure: None = None) -> None: ...

    @overload
    def step(self, closure: Callable[[], float]) -> float: ...

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Unscale, then the inner step if the gradients are finite; update the scale."""
        inner = self.inner_optimizer
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if not inner._at_update_step():
            inner.step()  # an accumulation micro-step: gradients stay scaled in .grad
            return loss
        scaler = self._get_scaler()
        before = inner._iterations
        scaler.unscale_(inner)
        scaler.step(inner)  # calls inner.step() unless a gradient is inf/NaN
        if inner._iterations == before:  # skipped: this window does not count (Keras)
            n = inner.gradient_accumulation_steps or 1
            inner._iterations -= n - 1
            inner.torch_optimizer.zero_grad(set_to_none=True)
        scaler.update()
        return loss

    # --- state and config --------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:  # type: ignore[override]
        """The inner optimizer's state dict plus ``"loss_scale"`` (the scaler's state)."""
        state = self.inner_optimizer.state_dict()
        state["loss_scale"] = self._get_scaler().state_dict()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:  # type: ignore[override]
        state = dict(state_dict)
        scale = state.pop("loss_scale", None)
        self.inner_optimizer.load_state_dict(state)
        if scale:
            self._get_scaler().load_state_dict(scale)

    def __repr__(self) -> str:
        return f"LossScaleOptimizer(name={self.name!r}, inner_optimizer={self.inner_optimizer!r})"

    def get_config(self) -> dict[str, Any]:
        from torchbridge.optimizers.resolve import serialize

        return {
            "name": self.name,
            "inner_optimizer": serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, type] | None = None
    ) -> Optimizer:
        from torchbridge.optimizers.resolve import deserialize

        config = dict(config)
        inner = deserialize(config.pop("inner_optimizer"), custom_objects)
        return cls(inner, **config)
