"""BatchNormalization and LayerNormalization with Keras's defaults (epsilon 1e-3).

BatchNormalization keeps Keras's weights in Keras's order: ``gamma``, ``beta``
(trainable parameters), ``moving_mean``, ``moving_variance`` (buffers). In
training it normalises with the batch's mean and *biased* variance and updates
``moving = momentum * moving + (1 - momentum) * batch`` (Keras's momentum 0.99
is torch's 0.01).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from torchbridge import initializers
from torchbridge.errors import InputError
from torchbridge.layers._conv_utils import reject_unsupported
from torchbridge.layers.layer import KerasWeight, Layer

__all__ = ["BatchNormalization", "LayerNormalization"]


def _resolve_axis(layer: Layer, axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise InputError(
            f"Layer '{layer.name}' ({type(layer).__name__}): axis {axis} is out of range for "
            f"inputs of rank {ndim}."
        )
    return axis % ndim


class BatchNormalization(Layer):
    """Keras's ``BatchNormalization`` (``axis=-1``, ``momentum=0.99``, ``epsilon=1e-3``)."""

    moving_mean: torch.Tensor
    moving_variance: torch.Tensor

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        renorm: bool = False,
        renorm_clipping: Any = None,
        renorm_momentum: float = 0.99,
        synchronized: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        reject_unsupported(owner, renorm_clipping=renorm_clipping)
        self._declare_weight_options(
            gamma=(gamma_regularizer, gamma_constraint), beta=(beta_regularizer, beta_constraint)
        )
        if renorm or synchronized:
            raise NotImplementedError(f"{owner}: renorm and synchronized are not supported.")
        self.renorm_momentum = float(renorm_momentum)
        self.supports_masking = True
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        axis = _resolve_axis(self, self.axis, len(shape))
        dim = shape[axis]
        if dim is None:
            raise InputError(
                f"Layer '{self.name}' (BatchNormalization): axis {self.axis} of the inputs "
                f"must have a known size, got input_shape={shape}."
            )
        self.num_features = int(dim)
        n = (self.num_features,)
        self.gamma = (
            nn.Parameter(initializers.get(self.gamma_initializer)(n).float())
            if self.scale
            else None
        )
        self.beta = (
            nn.Parameter(initializers.get(self.beta_initializer)(n).float())
            if self.center
            else None
        )
        self.register_buffer("moving_mean", initializers.get(self.moving_mean_initializer)(n))
        self.register_buffer(
            "moving_variance", initializers.get(self.moving_variance_initializer)(n)
        )

    def _keras_weights(self) -> list[KerasWeight]:
        out = [KerasWeight(t) for t in (self.gamma, self.beta) if t is not None]
        out += [KerasWeight(self.moving_mean), KerasWeight(self.moving_variance)]
        return out

    def call(
        self,
        inputs: torch.Tensor,
        training: bool | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        x = inputs if inputs.is_floating_point() else inputs.float()
        axis = _resolve_axis(self, self.axis, x.ndim)
        if x.shape[axis] != self.num_features:
            raise InputError(
                f"Layer '{self.name}' (BatchNormalization) was built for {self.num_features} "
                f"features on axis {self.axis}, but received an input of shape "
                f"{tuple(x.shape)}."
            )
        view = [1] * x.ndim
        view[axis] = self.num_features
        reduce = tuple(i for i in range(x.ndim) if i != axis)
        if training and self._trainable:
            if mask is None:
                mean = x.mean(dim=reduce)
                var = x.var(dim=reduce, unbiased=False)
            else:
                if mask.ndim != x.ndim - 1:
                    raise InputError(
                        f"Layer '{self.name}': the mask must have one dimension less than "
                        f"the inputs, got mask {tuple(mask.shape)} and inputs {tuple(x.shape)}."
                    )
                m = mask.unsqueeze(-1).expand_as(x).to(x.dtype)
                weight = m.sum(dim=reduce) + 1e-7
                mean = (x * m).sum(dim=reduce) / weight
                var = (((x - mean.view(view)) * m) ** 2).sum(dim=reduce) / weight
            with torch.no_grad():
                mom = self.momentum
                self.moving_mean.mul_(mom).add_(
                    mean.detach().to(self.moving_mean.dtype), alpha=1 - mom
                )
                self.moving_variance.mul_(mom).add_(
                    var.detach().to(self.moving_variance.dtype), alpha=1 - mom
                )
        else:
            mean, var = self.moving_mean.to(x.dtype), self.moving_variance.to(x.dtype)
        inv = torch.rsqrt(var + self.epsilon)
        if self.gamma is not None:
            inv = inv * self.gamma
        shift = -mean * inv
        if self.beta is not None:
            shift = shift + self.beta
        return x * inv.view(view) + shift.view(view)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(
                    self.moving_variance_initializer
                ),
                **self._weight_options_config(),
                "synchronized": False,
                "renorm": False,
                "renorm_clipping": None,
                "renorm_momentum": self.renorm_momentum,
            }
        )
        return config


class LayerNormalization(Layer):
    """Keras's ``LayerNormalization`` (``axis=-1``, ``epsilon=1e-3``; biased variance)."""

    def __init__(
        self,
        axis: Any = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        rms_scaling: bool = False,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.axis: int | list[int] = int(axis) if isinstance(axis, int) else [int(a) for a in axis]
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        if rms_scaling:
            raise NotImplementedError(f"{owner}: rms_scaling=True is not supported yet.")
        self.rms_scaling = False
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self._declare_weight_options(
            gamma=(gamma_regularizer, gamma_constraint), beta=(beta_regularizer, beta_constraint)
        )
        self.supports_masking = True
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

    def _axes(self, ndim: int) -> list[int]:
        axes = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        return sorted(_resolve_axis(self, a, ndim) for a in axes)

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        axes = self._axes(len(shape))
        dims = tuple(shape[a] for a in axes)
        if any(d is None for d in dims):
            raise InputError(
                f"Layer '{self.name}' (LayerNormalization): the normalised axes must have "
                f"known sizes, got input_shape={shape}."
            )
        self.param_shape = tuple(int(d) for d in dims if d is not None)
        self.gamma = (
            nn.Parameter(initializers.get(self.gamma_initializer)(self.param_shape).float())
            if self.scale
            else None
        )
        self.beta = (
            nn.Parameter(initializers.get(self.beta_initializer)(self.param_shape).float())
            if self.center
            else None
        )

    def _keras_weights(self) -> list[KerasWeight]:
        return [KerasWeight(t) for t in (self.gamma, self.beta) if t is not None]

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs if inputs.is_floating_point() else inputs.float()
        axes = self._axes(x.ndim)
        got = tuple(x.shape[a] for a in axes)
        if got != self.param_shape:
            raise InputError(
                f"Layer '{self.name}' (LayerNormalization) was built for sizes "
                f"{self.param_shape} on axes {self.axis}, but received an input of shape "
                f"{tuple(x.shape)}."
            )
        view = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
        mean = x.mean(dim=axes, keepdim=True)
        var = x.var(dim=axes, keepdim=True, unbiased=False)
        inv = torch.rsqrt(var + self.epsilon)
        if self.gamma is not None:
            inv = inv * self.gamma.reshape(view)
        y = (x - mean) * inv
        if self.beta is not None:
            y = y + self.beta.reshape(view)
        return y

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "rms_scaling": self.rms_scaling,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                **self._weight_options_config(),
            }
        )
        return config
