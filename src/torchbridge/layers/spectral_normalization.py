"""Keras's ``SpectralNormalization``: a :class:`Wrapper` that divides the inner layer's
``kernel`` (or ``embeddings``) by its largest singular value.

In training, each call runs ``power_iterations`` steps of the power method from
the stored ``vector_u`` (a non-trainable weight of shape ``(1, kernel.shape[-1])``)
and writes the normalised kernel and the new ``vector_u`` back, as Keras does;
gradients then flow to the kernel as used. In inference the kernel is used as
stored. Weights in Keras's order: the kernel, ``vector_u``, then the inner
layer's other weights.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge import initializers
from torchbridge.errors import InputError
from torchbridge.layers.input_spec import InputSpec
from torchbridge.layers.layer import KerasWeight, Layer
from torchbridge.layers.wrapper import Wrapper

__all__ = ["SpectralNormalization"]


def _l2_normalize(x: torch.Tensor) -> torch.Tensor:
    """``x`` over its L2 norm (all entries), the norm floored at Keras's epsilon."""
    from torchbridge.backend import epsilon

    return x * torch.clamp(torch.rsqrt(torch.sum(x * x)), max=1.0 / epsilon())


class SpectralNormalization(Wrapper):
    """Keras's ``SpectralNormalization(layer, power_iterations=1)``."""

    def __init__(self, layer: Layer, power_iterations: int = 1, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(
                "SpectralNormalization: `power_iterations` must be greater than zero. "
                f"Received: power_iterations={power_iterations}"
            )
        self.power_iterations = power_iterations

    def build(self, input_shape: Any = None) -> None:
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if not isinstance(kernel, torch.Tensor):
            raise InputError(
                f"Layer '{self.name}' (SpectralNormalization): the wrapped "
                f"{type(self.layer).__name__} has neither a `kernel` nor an `embeddings` "
                "weight to normalise; wrap a Dense, convolution or Embedding layer."
            )
        self.vector_u = self.add_weight(
            shape=(1, self._kernel_weight().to_keras(kernel).shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
            dtype=kernel.dtype,
        )

    @property
    def kernel(self) -> torch.Tensor:
        """The inner layer's kernel (or embeddings), the weight being normalised."""
        kernel = getattr(self.layer, "kernel", None)
        return kernel if kernel is not None else self.layer.embeddings

    def _kernel_weight(self) -> KerasWeight:
        """How the inner layer maps its kernel to Keras's layout (a convolution keeps
        torch's layout): the power method runs on Keras's layout, as in Keras."""
        kernel = self.kernel
        for weight in self.layer._keras_weights():
            if weight.tensor is kernel:
                return weight
        return KerasWeight(kernel)

    def _keras_weights(self) -> list[KerasWeight]:
        if not self.built:
            return []
        return [self._kernel_weight(), KerasWeight(self.vector_u)]

    def normalized_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(new vector_u, kernel / sigma)`` by the power method (no gradient); the
        kernel in the inner layer's own layout."""
        layout = self._kernel_weight()
        with torch.no_grad():
            kernel = layout.to_keras(self.kernel)
            weights = kernel.reshape(-1, kernel.shape[-1])
            u = self.vector_u.detach()
            for _ in range(self.power_iterations):
                v = _l2_normalize(u @ weights.t())
                u = _l2_normalize(v @ weights)
            sigma = (v @ weights) @ u.t()
            return u, layout.from_keras(kernel / sigma)

    def call(self, inputs: torch.Tensor, training: bool | None = False) -> torch.Tensor:
        if training and bool(torch.any(self.kernel != 0)):
            u, kernel = self.normalized_weights()
            with torch.no_grad():
                self.vector_u.copy_(u)
                self.kernel.copy_(kernel)
        return self.layer(inputs).to(inputs.dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "power_iterations": self.power_iterations}
