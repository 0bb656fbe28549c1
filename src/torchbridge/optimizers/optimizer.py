"""The Keras-style ``Optimizer``: created without parameters, built later on a real torch optimizer.

Keras creates an optimizer first (``Adam(learning_rate=1e-3)``) and attaches it
to variables later; torch needs the parameters up front. :class:`Optimizer`
bridges the two: :meth:`Optimizer.build` creates the inner ``torch.optim``
optimizer (``torch_optimizer``) and from then on the object passes
``param_groups``, ``state``, ``zero_grad``, ``state_dict`` ... straight through,
so it works anywhere a ``torch.optim.Optimizer`` is expected (it is one by
``isinstance``; LR schedulers from ``torch.optim.lr_scheduler`` accept it).

What this class adds around ``torch_optimizer.step()`` (see :meth:`Optimizer.step`),
all with Keras's semantics and none of it reading a value back from the device:

* ``gradient_accumulation_steps=n``: ``.grad`` is the accumulator. ``zero_grad``
  only clears it at the start of a window of ``n`` batches and ``step`` only
  updates on the ``n``-th, with the *average* of the ``n`` gradients. Each step
  call counts in ``_iterations`` (Keras's raw counter, which learning-rate
  schedules read); ``iterations`` is ``_iterations // n`` (the updates made).
* ``loss_scale_factor``: :meth:`scale_loss` multiplies the loss, the gradients
  are divided back before anything else.
* Keras gradient clipping (on the averaged, unscaled gradients), Keras
  learning-rate schedules evaluated at ``_iterations``, Keras's decoupled
  ``weight_decay`` for optimizers whose torch class only has coupled L2 decay,
  with ``exclude_from_weight_decay`` / ``exclude_bias_and_norm`` (see
  ``weight_decay.py``).
* ``use_ema``: an exponential moving average of the weights, updated after
  every step call, optionally written into the weights every
  ``ema_overwrite_frequency`` iterations and by :meth:`finalize_variable_values`
  (which ``fit`` calls at the end).

``iterations`` and the EMA are saved in ``state_dict()`` for exact resume.
The Keras optimizer families live in ``adam.py``, ``sgd.py`` ...; wrapping an
existing torch optimizer or class lives in ``wrapped.py``; dynamic loss
scaling for float16 in ``loss_scale_optimizer.py``.
"""

from __future__ import annotations

import inspect
import numbers
import re
import warnings
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, overload

import torch

from torchbridge.layers.variable import apply_constraints
from torchbridge.optimizers import _dynamo_free
from torchbridge.optimizers.clipping import make_clipper
from torchbridge.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule,
)
from torchbridge.optimizers.schedules.learning_rate_schedule import (
    deserialize as deserialize_schedule,
)
from torchbridge.optimizers.schedules.learning_rate_schedule import (
    serialize as serialize_schedule,
)
from torchbridge.optimizers.weight_decay import DecayRule, norm_parameter_ids

__all__ = ["Optimizer", "LearningRate", "DECOUPLED_WEIGHT_DECAY_KEY"]

#: A learning rate as Keras accepts it: a number, a schedule, or a no-argument callable.
LearningRate = float | LearningRateSchedule | Callable[[], float]

#: Param-group key holding the Keras (decoupled) weight decay rate for optimizers whose
#: torch class only knows coupled L2 decay; torch's own ``weight_decay`` stays 0 there.
DECOUPLED_WEIGHT_DECAY_KEY = "keras_weight_decay"

_NOT_BUILT = (
    "The optimizer {name!r} has not been built yet, so it has no {what}. Call "
    "`optimizer.build(model.parameters())` first (fit() does this for you)."
)


def _to_snake_case(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _check_learning_rate(value: Any) -> LearningRate:
    if isinstance(value, LearningRateSchedule) or callable(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.item())
    raise ValueError(
        "Argument `learning_rate` should be a float, an instance of LearningRateSchedule, "
        "or a callable (that takes no argument and returns the learning rate). "
        f"Received instead: learning_rate={value!r}"
    )


def _strip_names(params: Any, names: dict[int, str]) -> list[torch.Tensor]:
    """Parameters without their names (``(name, tensor)`` pairs are recorded in ``names``)."""
    if isinstance(params, torch.Tensor):
        return [params]
    out = []
    for item in params:
        if isinstance(item, tuple):
            name, item = item
            names[id(item)] = str(name)
        out.append(item)
    return out


def _param_groups(params: Any) -> tuple[list[dict[str, Any]], dict[int, str], set[int]]:
    """Normalise what ``build`` accepts into param-group dicts (copies) of plain tensors.

    Also returns the parameter names that came with them (a Module's
    ``named_parameters()``, ``(name, tensor)`` pairs, or a group's
    ``"param_names"``) and the ids of a Module's normalisation-layer parameters.
    """
    names: dict[int, str] = {}
    norm_ids: set[int] = set()
    if isinstance(params, torch.nn.Module):
        norm_ids = norm_parameter_ids(params)
        params = [(n, p) for n, p in params.named_parameters() if p.requires_grad]
    if isinstance(params, torch.Tensor):
        raise TypeError(
            "build() expects an iterable of parameters or of param-group dicts, got a single "
            "Tensor. Pass `[tensor]` or `model.parameters()`."
        )
    items = list(params)
    if not items:
        raise ValueError("build() got an empty list of parameters: there is nothing to optimize.")
    if all(isinstance(item, dict) for item in items):
        groups = []
        for item in items:
            group = dict(item)
            group_names = group.pop("param_names", None)
            group["params"] = _strip_names(group["params"], names)
            if group_names is not None:
                names.update({id(p): str(n) for p, n in zip(group["params"], group_names)})
            groups.append(group)
        return groups, names, norm_ids
    if any(isinstance(item, dict) for item in items):
        raise TypeError("build() got a mix of tensors and param-group dicts; use one or the other.")
    return [{"params": _strip_names(items, names)}], names, norm_ids


def _param_ids(groups: Iterable[dict[str, Any]]) -> set[int]:
    ids: set[int] = set()
    for group in groups:
        params = group["params"]
        if isinstance(params, torch.Tensor):
            params = [params]
        for p in params:
            ids.add(id(p[1] if isinstance(p, tuple) else p))
    return ids


class Optimizer(torch.optim.Optimizer):
    """Keras ``Optimizer`` base: Keras arguments, a ``torch.optim`` optimizer inside.

    Subclasses set ``_torch_class`` and map their Keras hyperparameters in
    :meth:`_torch_hyperparameters`. ``torch.optim.Optimizer.__init__`` is not
    called: until :meth:`build` there are no parameters, and afterwards every
    torch attribute is read from :attr:`torch_optimizer`.

    Besides Keras's arguments every optimizer takes ``exclude_bias_and_norm=True``
    (a torchbridge addition: no weight decay on biases and normalisation weights,
    the Hugging Face Trainer's rule; see ``weight_decay.py``).
    """

    #: The torch class built by :meth:`build`.
    _torch_class: ClassVar[type[torch.optim.Optimizer] | None] = None
    #: True where the torch class applies Keras-style decoupled decay itself (AdamW ...).
    _native_decoupled_decay: ClassVar[bool] = False
    #: Keras hyperparameter attributes added to ``get_config()``.
    _config_keys: ClassVar[tuple[str, ...]] = ()
    #: Torch arguments the Keras arguments already cover; not accepted as extra kwargs.
    _mapped_torch_args: ClassVar[frozenset[str]] = frozenset({"params", "lr", "weight_decay"})
    #: True where :meth:`_before_torch_step` must run every step (Adam's epsilon).
    _has_pre_step: ClassVar[bool] = False

    def __init__(
        self,
        learning_rate: LearningRate,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        exclude_bias_and_norm: bool = False,
        **kwargs: Any,
    ) -> None:
        if kwargs.pop("decay", None) is not None:
            warnings.warn(
                "Argument `decay` is no longer supported and will be ignored.", stacklevel=2
            )
        if gradient_accumulation_steps and not (
            isinstance(gradient_accumulation_steps, numbers.Integral)
            and gradient_accumulation_steps >= 2
        ):
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(
                    f"`ema_momentum` must be in the range [0, 1]. Received: "
                    f"ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                    f"ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        if loss_scale_factor is not None and not loss_scale_factor > 0:
            raise ValueError(
                f"`loss_scale_factor` must be a positive float or None. Received: "
                f"loss_scale_factor={loss_scale_factor}"
            )
        self._torch_kwargs = self._check_torch_kwargs(kwargs)
        self.name = name if name is not None else _to_snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self._clipper = make_clipper(clipnorm, clipvalue, global_clipnorm)
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps: int | None = (
            int(gradient_accumulation_steps) if gradient_accumulation_steps else None
        )
        self.exclude_bias_and_norm = bool(exclude_bias_and_norm)
        self._decay_rule = DecayRule()
        self._decay_rule.bias_and_norm = self.exclude_bias_and_norm
        #: Keras's raw step counter: every ``step()`` call, accumulation micro-steps included.
        self._iterations = 0
        self._learning_rate: LearningRate = _check_learning_rate(learning_rate)
        self._inner: torch.optim.Optimizer | None = None
        self._ema: list[torch.Tensor] | None = None  # the moving averages (use_ema)
        self._ema_params: list[torch.Tensor] = []
        self._param_names: dict[int, str] = {}

    # --- construction ------------------------------------------------------------
    @classmethod
    def _check_torch_kwargs(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Extra keyword arguments pass through to the torch class if it accepts them."""
        if not kwargs:
            return {}
        accepted: set[str] = set()
        if cls._torch_class is not None:
            accepted = set(inspect.signature(cls._torch_class.__init__).parameters)
            accepted -= {"self"} | cls._mapped_torch_args
        unknown = sorted(set(kwargs) - accepted)
        if unknown:
            extra = f" Extra torch arguments accepted: {sorted(accepted)}." if accepted else ""
            raise ValueError(
                f"Argument(s) not recognized: { {k: kwargs[k] for k in unknown} }.{extra}"
            )
        return dict(kwargs)

    def _torch_hyperparameters(self) -> dict[str, Any]:
        """The torch constructor arguments (besides params and lr) for this optimizer."""
        return {}

    def _fast_path_kwargs(self, groups: list[dict[str, Any]]) -> dict[str, Any]:
        """Choose ``fused=True`` (or ``foreach=True``) when the torch class and params allow."""
        if self._torch_class is None or {"fused", "foreach", "differentiable"} & set(
            self._torch_kwargs
        ):
            return {}
        accepted = inspect.signature(self._torch_class.__init__).parameters
        params = [
            p[1] if isinstance(p, tuple) else p
            for g in groups
            for p in ([g["params"]] if isinstance(g["params"], torch.Tensor) else g["params"])
        ]
        dense_float = all(
            isinstance(p, torch.Tensor) and p.is_floating_point() and p.layout == torch.strided
            for p in params
        )
        if not dense_float:
            return {}
        device_types = {p.device.type for p in params}
        if "fused" in accepted and device_types <= {"cpu", "cuda"}:
            return {"fused": True}
        if "foreach" in accepted and device_types <= {"cpu", "cuda"}:
            return {"foreach": True}
        return {}

    def _make_torch_optimizer(self, groups: list[dict[str, Any]]) -> torch.optim.Optimizer:
        """Create the inner torch optimizer for the given (prepared) param groups."""
        if self._torch_class is None:
            raise NotImplementedError(
                f"{type(self).__name__} must set `_torch_class` or override "
                "`_make_torch_optimizer(groups)` to create its torch optimizer."
            )
        kwargs = {
            "lr": self._current_lr_value(),
            **self._torch_hyperparameters(),
            **self._fast_path_kwargs(groups),
            **self._torch_kwargs,
        }
        return _dynamo_free.construct(self._torch_class, groups, **kwargs)

    def _prepare_group(self, group: dict[str, Any]) -> dict[str, Any]:
        """Move a group's ``weight_decay`` to our decoupled key where torch's would be L2."""
        if not self._native_decoupled_decay:
            rate = group.pop("weight_decay", self.weight_decay)
            group[DECOUPLED_WEIGHT_DECAY_KEY] = float(rate or 0.0)
        return group

    def build(self, params: Any) -> Optimizer:
        """Create the torch optimizer on ``params``: tensors, ``(name, tensor)`` pairs (e.g.
        ``model.named_parameters()``), param-group dicts, or a Module (its trainable
        parameters, with their names).

        Names are needed only for weight-decay exclusions by name. Building again on
        the same parameters is a no-op; building on different parameters raises
        ``ValueError``. Returns ``self``.
        """
        groups, names, norm_ids = _param_groups(params)
        if self._inner is not None:
            if _param_ids(groups) == _param_ids(self._inner.param_groups):
                return self
            raise ValueError(
                f"The optimizer {self.name!r} is already built on "
                f"{len(_param_ids(self._inner.param_groups))} parameters and cannot be built "
                f"again on a different set ({len(_param_ids(groups))} parameters). Create a new "
                "optimizer for the new parameters, or use add_param_group() to extend this one."
            )
        groups = self._decay_rule.split(groups, names, norm_ids, self.name)
        self._inner = self._make_torch_optimizer([self._prepare_group(g) for g in groups])
        self._param_names = names
        if self.use_ema:
            self._ema_params = [p for g in self._inner.param_groups for p in g["params"]]
            self._ema = [p.detach().clone() for p in self._ema_params]
        return self

    def exclude_from_weight_decay(
        self,
        var_list: Iterable[torch.Tensor] | None = None,
        var_names: Iterable[str] | None = None,
    ) -> None:
        """Keras's exclusions: no weight decay for the parameters in ``var_list``, nor for
        those whose name contains one of ``var_names`` (regular expressions searched in
        the ``named_parameters()`` name, e.g. ``["bias", "LayerNorm"]``).

        Call it before the optimizer is built (before ``fit``). ``exclude_bias_and_norm=True``
        on the constructor gives the Hugging Face Trainer's rule instead.
        """
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before the optimizer is "
                "built. Call it right after creating the optimizer, before fit()."
            )
        self._decay_rule.set_keras_exclusions(var_list, var_names)

    @property
    def built(self) -> bool:
        return self._inner is not None

    @property
    def torch_optimizer(self) -> torch.optim.Optimizer:
        """The inner ``torch.optim.Optimizer`` (raises before :meth:`build`)."""
        if self._inner is None:
            raise RuntimeError(_NOT_BUILT.format(name=self.name, what="torch optimizer"))
        return self._inner

    @classmethod
    def wrap(cls, torch_optimizer: torch.optim.Optimizer, **kwargs: Any) -> Optimizer:
        """Wrap an existing torch optimizer unchanged (see :class:`WrappedOptimizer`)."""
        from torchbridge.optimizers.wrapped import WrappedOptimizer

        return WrappedOptimizer(torch_optimizer, **kwargs)

    # --- counters ------------------------------------------------------------------
    @property
    def iterations(self) -> int:
        """The number of updates made (Keras: step calls ``// gradient_accumulation_steps``)."""
        n = self.gradient_accumulation_steps
        return self._iterations // n if n else self._iterations

    def _at_update_step(self) -> bool:
        """Whether the next ``step()`` updates the weights (always, without accumulation)."""
        n = self.gradient_accumulation_steps
        return not n or (self._iterations + 1) % n == 0

    # --- learning rate -------------------------------------------------------------
    def _current_lr_value(self) -> float:
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            # Keras evaluates schedules at the raw counter: with accumulation, batches.
            return float(lr(self._iterations))
        if callable(lr):
            return float(lr())
        return lr

    @property
    def learning_rate(self) -> float:
        """The current learning rate (a schedule's value at the step count)."""
        if self._inner is not None and isinstance(self._learning_rate, float):
            return float(self._inner.param_groups[0]["lr"])
        return self._current_lr_value()

    @learning_rate.setter
    def learning_rate(self, value: LearningRate) -> None:
        if isinstance(value, LearningRateSchedule) or callable(value):
            self._learning_rate = value
            return
        if isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not "
                "settable. If you need the learning rate to be settable, instantiate the "
                "optimizer with a float `learning_rate` argument."
            )
        lr = _check_learning_rate(value)
        assert isinstance(lr, float)
        self._learning_rate = lr
        if self._inner is not None:
            _set_group_lrs(self._inner, lr)

    # --- the training step -----------------------------------------------------------
    @overload
    def step(self, closure: None = None) -> None: ...

    @overload
    def step(self, closure: Callable[[], float]) -> float: ...

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One Keras ``apply``: accumulate, or unscale/average, clip, decay, update; count.

        With ``gradient_accumulation_steps=n`` only every ``n``-th call updates the
        weights (the others just count: the gradients keep adding up in ``.grad``).
        Keras order: the learning rate (and the decay, which uses it) is evaluated at
        the current step count before it is incremented.
        """
        inner = self._inner
        if inner is None:
            raise RuntimeError(_NOT_BUILT.format(name=self.name, what="parameters to step"))
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        n = self.gradient_accumulation_steps
        if n and (self._iterations + 1) % n:
            if self._ema is not None:
                self._update_ema()
            self._iterations += 1
            return loss
        groups = inner.param_groups
        factor = 1.0 / n if n else 1.0
        if self.loss_scale_factor:
            factor /= self.loss_scale_factor
        if factor != 1.0 or self._clipper is not None:
            grads = [p.grad for g in groups for p in g["params"] if p.grad is not None]
            if grads:
                with torch.no_grad():
                    if factor != 1.0:
                        torch._foreach_mul_(grads, factor)
                    if self._clipper is not None:
                        self._clipper(grads)
        if not isinstance(self._learning_rate, float):
            _set_group_lrs(inner, self._current_lr_value())
        if not self._native_decoupled_decay:
            for group in groups:
                rate = group.get(DECOUPLED_WEIGHT_DECAY_KEY)
                if rate:
                    params = [p for p in group["params"] if p.grad is not None]
                    if params:
                        with torch.no_grad():
                            torch._foreach_mul_(params, 1.0 - group["lr"] * rate)
        if self._has_pre_step:
            self._before_torch_step(groups)
        _dynamo_free.step(inner)
        if self._ema is not None:
            self._update_ema()
        constrained = self.__dict__.get("_constrained")
        if constrained is None:  # Keras: constraints project the weights after each update
            constrained = [
                p for g in groups for p in g["params"] if getattr(p, "constraint", None) is not None
            ]
            self.__dict__["_constrained"] = constrained
        if constrained:
            apply_constraints(constrained)
        self._iterations += 1
        return loss

    def apply(self, grads: Any, trainable_variables: Any = None) -> None:
        """Keras's ``apply``: update ``trainable_variables`` with ``grads`` (one each, in order).

        The first call builds the optimizer on ``trainable_variables``; later calls
        may pass any subset of them (other parameters are left alone). Without
        ``trainable_variables`` the gradients match the parameters the optimizer was
        built on. ``None`` gradients are skipped. The update is one :meth:`step`
        (clipping, accumulation, schedules, EMA, constraints as usual).
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first, or pass apply(grads, trainable_variables)."
                )
            variables = [p for g in self.torch_optimizer.param_groups for p in g["params"]]
            if len(grads) != len(variables):
                raise ValueError(
                    f"apply() got {len(grads)} gradients but the optimizer tracks "
                    f"{len(variables)} trainable variables; pass one gradient per variable, "
                    "in order."
                )
        else:
            variables = list(trainable_variables)
            if len(grads) != len(variables):
                raise ValueError(
                    f"apply() got {len(grads)} gradients for {len(variables)} variables; pass "
                    "one gradient per variable, in the same order."
                )
            if not self.built:
                self.build(variables)
        known = [p for g in self.torch_optimizer.param_groups for p in g["params"]]
        known_ids = {id(p) for p in known}
        for v in variables:
            if id(v) not in known_ids:
                raise ValueError(
                    f"Unknown variable: {getattr(v, 'path', None) or tuple(v.shape)}. This "
                    "optimizer can only be called for the variables it was originally built "
                    "with. When working with a new set of variables, you should recreate a new "
                    "optimizer instance."
                )
        given = {id(v) for v in variables}
        # Parameters not passed sit this update out (torch skips a None .grad).
        parked = [(p, p.grad) for p in known if id(p) not in given and p.grad is not None]
        for p, _ in parked:
            p.grad = None
        for v, g in zip(variables, grads):
            if g is None:
                v.grad = None
            elif g is not v.grad:
                g = torch.as_tensor(g, device=v.device)
                v.grad = g.to(v.dtype).reshape(v.shape)
        try:
            self.step()
        finally:
            for p, grad in parked:
                p.grad = grad

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Any]]) -> int:
        """Keras's ``apply_gradients([(grad, variable), ...])``; returns ``iterations``."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(list(grads), list(variables))
        return self.iterations

    def _before_torch_step(self, groups: list[dict[str, Any]]) -> None:
        """Per-step adjustment of torch hyperparameters (only if ``_has_pre_step``)."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients — with accumulation, only at the start of a window."""
        n = self.gradient_accumulation_steps
        if n and self._iterations % n:
            return  # inside an accumulation window: .grad holds the running sum
        _dynamo_free.zero_grad(self.torch_optimizer, set_to_none=set_to_none)

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """Keras's ``scale_loss``: ``loss * loss_scale_factor`` (``step`` divides it back)."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # --- exponential moving average (use_ema) -------------------------------------------
    def _update_ema(self) -> None:
        """Keras: ``average = m * average + (1 - m) * weight`` (``m = 0`` on the first
        iteration), then every ``ema_overwrite_frequency`` iterations the weights are
        replaced by their averages."""
        ema = self._ema
        if ema is None:
            return
        momentum = self.ema_momentum if self.iterations != 0 else 0.0
        with torch.no_grad():
            torch._foreach_lerp_(ema, self._ema_params, 1.0 - momentum)
            freq = self.ema_overwrite_frequency
            if freq and (self.iterations + 1) % freq == 0:
                torch._foreach_copy_(self._ema_params, ema)

    def finalize_variable_values(self, var_list: Any = None) -> None:
        """With ``use_ema``, write the moving averages into the weights (``fit`` calls this
        at the end of training, as Keras does). ``var_list`` is accepted for Keras
        compatibility; the optimizer's own parameters are used."""
        if self._ema is not None:
            with torch.no_grad():
                torch._foreach_copy_(self._ema_params, self._ema)

    def swap_ema_weights(self, keep_averages: bool = False) -> None:
        """With ``use_ema`` (once built): exchange the weights and their moving averages in
        place, as Keras's ``SwapEMAWeights`` does around evaluation. ``keep_averages=True``
        puts the averages into the weights and leaves the averages as they are."""
        if self._ema is None:
            return
        with torch.no_grad():
            weights = [p.detach().clone() for p in self._ema_params]
            torch._foreach_copy_(self._ema_params, self._ema)
            if not keep_averages:
                torch._foreach_copy_(self._ema, weights)

    # --- torch.optim.Optimizer pass-through --------------------------------------------
    @property  # type: ignore[override]
    def param_groups(self) -> list[dict[str, Any]]:
        return self.torch_optimizer.param_groups

    @param_groups.setter
    def param_groups(self, value: list[dict[str, Any]]) -> None:
        self.torch_optimizer.param_groups = value

    @property  # type: ignore[override]
    def state(self) -> Any:
        return self.torch_optimizer.state

    @state.setter
    def state(self, value: Any) -> None:
        self.torch_optimizer.state = value

    @property  # type: ignore[override]
    def defaults(self) -> dict[str, Any]:
        return self.torch_optimizer.defaults

    @defaults.setter
    def defaults(self, value: dict[str, Any]) -> None:
        self.torch_optimizer.defaults = value

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        self.torch_optimizer.add_param_group(self._prepare_group(dict(param_group)))

    def state_dict(self) -> dict[str, Any]:  # type: ignore[override]
        """The inner optimizer's state dict plus ``"iterations"`` (the raw step count, as
        Keras saves it), with ``use_ema`` the averages (``"ema"``), and in the middle of
        an accumulation window the running gradient sums (``"gradient_accumulators"``,
        restored into ``.grad``). Plain torch ignores these keys."""
        state = self.torch_optimizer.state_dict()
        state["iterations"] = self._iterations
        if self._ema is not None:
            state["ema"] = list(self._ema)
        n = self.gradient_accumulation_steps
        if n and self._iterations % n:  # mid-window: the running sums (Keras's accumulators)
            state["gradient_accumulators"] = [
                torch.zeros_like(p) if p.grad is None else p.grad.detach().clone()
                for g in self.torch_optimizer.param_groups
                for p in g["params"]
            ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:  # type: ignore[override]
        """Load a state dict from :meth:`state_dict` or from the plain torch optimizer."""
        state = dict(state_dict)
        iterations = state.pop("iterations", None)
        ema = state.pop("ema", None)
        accumulators = state.pop("gradient_accumulators", None)
        self.torch_optimizer.load_state_dict(state)
        if iterations is not None:
            self._iterations = int(iterations)
        if accumulators is not None:
            params = [p for g in self.torch_optimizer.param_groups for p in g["params"]]
            for p, acc in zip(params, accumulators):
                p.grad = acc.detach().to(device=p.device, dtype=p.dtype).clone()
        if ema is not None and self._ema is not None:
            if len(ema) != len(self._ema):
                raise ValueError(
                    f"The state dict holds {len(ema)} moving averages, but the optimizer "
                    f"{self.name!r} has {len(self._ema)} parameters."
                )
            with torch.no_grad():
                for mine, saved in zip(self._ema, ema):
                    mine.copy_(saved)

    def register_step_pre_hook(self, hook: Any) -> Any:
        return self.torch_optimizer.register_step_pre_hook(hook)

    def register_step_post_hook(self, hook: Any) -> Any:
        return self.torch_optimizer.register_step_post_hook(hook)

    def register_state_dict_pre_hook(self, hook: Any, prepend: bool = False) -> Any:
        return self.torch_optimizer.register_state_dict_pre_hook(hook, prepend)

    def register_state_dict_post_hook(self, hook: Any, prepend: bool = False) -> Any:
        return self.torch_optimizer.register_state_dict_post_hook(hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Any, prepend: bool = False) -> Any:
        return self.torch_optimizer.register_load_state_dict_pre_hook(hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Any, prepend: bool = False) -> Any:
        return self.torch_optimizer.register_load_state_dict_post_hook(hook, prepend)

    # Plain-object pickling/copying: torch's versions re-patch ``step`` on the class.
    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__.copy()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        lr = self._learning_rate
        shown = lr if isinstance(lr, float) else repr(lr)
        inner = f", torch_optimizer={type(self._inner).__name__}" if self._inner is not None else ""
        return f"{type(self).__name__}(name={self.name!r}, learning_rate={shown}{inner})"

    # --- serialisation -------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Keras-style config: base arguments, then this optimizer's hyperparameters."""
        lr: Any = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            lr = serialize_schedule(lr)
        elif isinstance(lr, float):
            lr = self.learning_rate
        config: dict[str, Any] = {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }
        if self.exclude_bias_and_norm:  # a torchbridge addition: only written when used
            config["exclude_bias_and_norm"] = True
        config.update({key: getattr(self, key) for key in self._config_keys})
        config.update(self._torch_kwargs)
        return config

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, type] | None = None
    ) -> Optimizer:
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize_schedule(config["learning_rate"], custom_objects)
        return cls(**config)


def _set_group_lrs(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        current = group["lr"]
        if isinstance(current, torch.Tensor):
            current.fill_(lr)
        else:
            group["lr"] = lr
