"""Plain torch optimizers inside the Keras interface: an instance, or a class built later.

* :class:`WrappedOptimizer` wraps a ``torch.optim.Optimizer`` the user already
  built. The user's object is used unchanged (``torch_optimizer`` is it, its
  ``state_dict()`` keys and hyperparameters are untouched); the wrapper adds
  ``iterations``, ``learning_rate`` get/set through ``param_groups``, optional
  Keras gradient clipping and ``gradient_accumulation_steps``.
* :class:`TorchClassOptimizer` holds a ``torch.optim.Optimizer`` subclass and its
  keyword arguments and instantiates it on :meth:`~Optimizer.build`, with
  torch's own defaults for anything not given.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch

from torchbridge.optimizers.optimizer import LearningRate, Optimizer

__all__ = ["WrappedOptimizer", "TorchClassOptimizer"]


def _torch_default_lr(torch_class: type[torch.optim.Optimizer], kwargs: dict[str, Any]) -> Any:
    if "lr" in kwargs:
        return kwargs["lr"]
    param = inspect.signature(torch_class.__init__).parameters.get("lr")
    if param is None or param.default is inspect.Parameter.empty:
        raise ValueError(
            f"{torch_class.__name__} has no default learning rate; pass one, e.g. "
            f"optimizers.get({torch_class.__name__}, lr=0.01)."
        )
    return param.default


class WrappedOptimizer(Optimizer):
    """An already-built torch optimizer behind the Keras optimizer interface."""

    # Torch applies whatever decay the user configured; nothing is added.
    _native_decoupled_decay = True

    def __init__(
        self,
        torch_optimizer: torch.optim.Optimizer,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        gradient_accumulation_steps: int | None = None,
    ) -> None:
        if not isinstance(torch_optimizer, torch.optim.Optimizer):
            raise TypeError(
                "WrappedOptimizer expects a torch.optim.Optimizer instance, got "
                f"{type(torch_optimizer).__name__}."
            )
        if isinstance(torch_optimizer, Optimizer):
            raise TypeError(
                f"{torch_optimizer!r} is already a torchbridge Optimizer; use it directly."
            )
        super().__init__(
            learning_rate=float(torch_optimizer.param_groups[0]["lr"]),
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name if name is not None else type(torch_optimizer).__name__.lower(),
        )
        self._inner = torch_optimizer

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["torch_class"] = f"{type(self._inner).__module__}.{type(self._inner).__name__}"
        return config

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, type] | None = None
    ) -> Optimizer:
        raise NotImplementedError(
            "A WrappedOptimizer holds a live torch optimizer and cannot be rebuilt from its "
            "config. Create the torch optimizer again and wrap it, or use "
            "optimizers.get(TorchOptimizerClass, **kwargs)."
        )


class TorchClassOptimizer(Optimizer):
    """A ``torch.optim.Optimizer`` class plus kwargs, instantiated by :meth:`build`."""

    _native_decoupled_decay = True

    def __init__(
        self,
        torch_class: type[torch.optim.Optimizer],
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        gradient_accumulation_steps: int | None = None,
        exclude_bias_and_norm: bool = False,
        **torch_kwargs: Any,
    ) -> None:
        if not (isinstance(torch_class, type) and issubclass(torch_class, torch.optim.Optimizer)):
            raise TypeError(f"Expected a torch.optim.Optimizer subclass, got {torch_class!r}.")
        lr: LearningRate = _torch_default_lr(torch_class, torch_kwargs)
        super().__init__(
            learning_rate=lr,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name if name is not None else torch_class.__name__.lower(),
            exclude_bias_and_norm=exclude_bias_and_norm,
        )
        self.torch_class = torch_class
        self.torch_kwargs = {k: v for k, v in torch_kwargs.items() if k != "lr"}

    def _make_torch_optimizer(self, groups: list[dict[str, Any]]) -> torch.optim.Optimizer:
        factory: Any = self.torch_class  # a concrete subclass; its signature is not the base's
        return factory(groups, lr=self._current_lr_value(), **self.torch_kwargs)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "torch_class": self.torch_class,
            "learning_rate": self.learning_rate,
            "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue,
            "global_clipnorm": self.global_clipnorm,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
            "exclude_bias_and_norm": self.exclude_bias_and_norm,
            **self.torch_kwargs,
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, type] | None = None
    ) -> Optimizer:
        config = dict(config)
        torch_class = config.pop("torch_class")
        config["lr"] = config.pop("learning_rate")
        return TorchClassOptimizer(torch_class, **config)
