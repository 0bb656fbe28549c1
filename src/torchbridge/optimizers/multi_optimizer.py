"""``MultiOptimizer`` and ``OptimizerMap``: a different optimizer for different parameters.

``OptimizerMap(default_optimizer, optimizer_map)`` maps a parameter's name to an
optimizer: an exact key first, else the one key that matches it as a regular
expression (``re.fullmatch``), else the default. The name is the Keras path of
a torchbridge layer's weight (``"encoder/dense/kernel"``, its ``.path``) and
otherwise the ``named_parameters()`` name (``"encoder.0.weight"``), which fit
passes when it builds the optimizer.
``MultiOptimizer(optimizer_map)`` builds each optimizer on its parameters and
steps them all together; each keeps its own learning rate, schedule, clipping
and state. The map may also be any callable ``name -> Optimizer``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import torch

from torchbridge.optimizers.loss_scale_optimizer import LossScaleOptimizer
from torchbridge.optimizers.optimizer import Optimizer, _param_groups

__all__ = ["OptimizerMap", "MultiOptimizer"]


class OptimizerMap(MutableMapping[str, Optimizer]):
    """Parameter name → optimizer, with regular-expression keys and a default.

    Args:
        default_optimizer: the optimizer of every parameter no key matches.
        optimizer_map: ``{name or pattern: optimizer}``.
    """

    def __init__(
        self, default_optimizer: Optimizer, optimizer_map: dict[str, Optimizer] | None = None
    ) -> None:
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "default_optimizer must be a Keras Optimizer instance (e.g. "
                f"keras.optimizers.Adam()). Received: {default_optimizer!r}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map!r}")
        self._default_optimizer = default_optimizer
        self._optimizer_map: dict[str, Optimizer] = optimizer_map or {}

    @property
    def default_optimizer(self) -> Optimizer:
        return self._default_optimizer

    def __getitem__(self, key: str) -> Optimizer:
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Multiple optimizers assigned to variable {key} (patterns {matches}); make "
                "the keys of the OptimizerMap match each parameter name at most once."
            )
        if matches:
            return self._optimizer_map[matches[0]]
        return self._default_optimizer

    def __setitem__(self, key: str, optimizer: Optimizer) -> None:
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]}. Please make sure to not use duplicated keys."
            )
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key!r}")
        _check_inner(optimizer)
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._optimizer_map)

    def __call__(self, name: str) -> Optimizer:
        return self[name]

    def get_config(self) -> dict[str, Any]:
        from torchbridge.saving.serialization import serialize_keras_object

        return {
            "default_optimizer": serialize_keras_object(self._default_optimizer),
            "optimizer_map": serialize_keras_object(self._optimizer_map),
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> OptimizerMap:
        from torchbridge.optimizers.resolve import deserialize

        default = deserialize(config["default_optimizer"], custom_objects)
        mapping = {
            key: deserialize(value, custom_objects)
            for key, value in (config.get("optimizer_map") or {}).items()
        }
        return cls(default, mapping)


def _check_inner(optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer!r}")
    if isinstance(optimizer, LossScaleOptimizer):
        raise ValueError("optimizer cannot be LossScaleOptimizer.")
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError("optimizer cannot be MultiOptimizer.")


class MultiOptimizer(Optimizer):
    """Steps several optimizers, each on the parameters ``optimizer_map`` gives it.

    Args:
        optimizer_map: an :class:`OptimizerMap`, or a callable taking a parameter
            name (an ``OptimizerMap``) and returning its optimizer.
        loss_scale_factor: passed to every inner optimizer.
        name: the optimizer's name.
    """

    def __init__(
        self,
        optimizer_map: OptimizerMap | Callable[[str], Optimizer],
        loss_scale_factor: float | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._inner_optimizers: list[Optimizer] = []
        values = list(optimizer_map.values()) if isinstance(optimizer_map, OptimizerMap) else []
        default = getattr(optimizer_map, "default_optimizer", None)
        for opt in [*values, *([default] if default is not None else [])]:
            if opt not in self._inner_optimizers:
                opt.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(opt)
        self._multi_built = False
        self._built_params: list[torch.Tensor] = []

    @property
    def optimizers(self) -> list[Optimizer]:
        """The inner optimizers, in the order they were met."""
        return list(self._inner_optimizers)

    def build(self, params: Any) -> MultiOptimizer:
        """Give each parameter to its optimizer (by name) and build each on its share."""
        if self._multi_built:
            return self
        groups, names, _ = _param_groups(params)
        shares: dict[int, list[tuple[str, torch.Tensor]]] = {}
        for group in groups:
            for p in group["params"]:
                name = names.get(id(p), "")
                opt = self._optimizer_map(getattr(p, "path", None) or name)
                _check_inner(opt)
                if opt not in self._inner_optimizers:
                    opt.loss_scale_factor = self.loss_scale_factor
                    self._inner_optimizers.append(opt)
                shares.setdefault(self._inner_optimizers.index(opt), []).append((name, p))
        for index, share in shares.items():
            opt = self._inner_optimizers[index]
            opt.build(share if all(n for n, _ in share) else [p for _, p in share])
        self._param_names = names
        self._built_params = [p for group in groups for p in group["params"]]
        self._multi_built = True
        return self

    @property
    def built(self) -> bool:
        return self._multi_built

    def _active(self) -> list[Optimizer]:
        return [opt for opt in self._inner_optimizers if opt.built]

    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """One update of every inner optimizer (each with its own clipping and schedule)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for opt in self._active():
            opt.step()
        self._iterations += 1
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        for opt in self._active():
            opt.zero_grad(set_to_none=set_to_none)

    @property  # type: ignore[override]
    def torch_optimizer(self) -> torch.optim.Optimizer:
        raise AttributeError(
            "A MultiOptimizer has no single torch optimizer; use `.optimizers` to reach each "
            "inner optimizer's `torch_optimizer`."
        )

    @property  # type: ignore[misc]
    def param_groups(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return [g for opt in self._active() for g in opt.param_groups]

    @property  # type: ignore[misc]
    def state(self) -> Any:  # type: ignore[override]
        merged: dict[Any, Any] = {}
        for opt in self._active():
            merged.update(opt.state)
        return merged

    def state_dict(self) -> dict[str, Any]:  # type: ignore[override]
        """``{"iterations", "optimizers": [each inner state dict]}``."""
        return {
            "iterations": self._iterations,
            "optimizers": [opt.state_dict() for opt in self._active()],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:  # type: ignore[override]
        inner = state_dict["optimizers"]
        active = self._active()
        if len(inner) != len(active):
            raise ValueError(
                f"The state dict holds {len(inner)} optimizers but this MultiOptimizer has "
                f"{len(active)} built ones; build it on the same parameters first."
            )
        for opt, state in zip(active, inner):
            opt.load_state_dict(state)
        self._iterations = int(state_dict.get("iterations", 0))

    @property
    def iterations(self) -> int:
        return self._iterations

    @property
    def learning_rate(self) -> float:
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. Access the learning rate "
            "on the individual sub-optimizers instead."
        )

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. Set the learning rate on the "
            "individual sub-optimizers instead."
        )

    def apply(self, grads: Any, trainable_variables: Any = None) -> None:
        """Keras's ``apply``: one gradient per variable (building on them the first time)."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first."
                )
            variables = list(self._built_params)
        else:
            variables = list(trainable_variables)
            if not self.built:
                self.build(variables)
        if len(grads) != len(self._built_params):
            raise ValueError(
                "Gradients must match trainable variables one-to-one. Received "
                f"{len(grads)} gradients and {len(self._built_params)} variables."
            )
        for v, g in zip(variables, grads):
            v.grad = None if g is None else torch.as_tensor(g, device=v.device).to(v.dtype)
        self.step()

    def finalize_variable_values(self, var_list: Any = None) -> None:
        for opt in self._active():
            opt.finalize_variable_values()

    def get_config(self) -> dict[str, Any]:
        from torchbridge.saving.serialization import serialize_keras_object

        return {
            "optimizer_map": serialize_keras_object(self._optimizer_map),
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, type] | None = None
    ) -> MultiOptimizer:
        config = dict(config)
        mapping = config["optimizer_map"]
        if isinstance(mapping, dict) and "config" in mapping:
            mapping = OptimizerMap.from_config(mapping["config"], custom_objects)
        return cls(mapping, config.get("loss_scale_factor"), config.get("name"))
