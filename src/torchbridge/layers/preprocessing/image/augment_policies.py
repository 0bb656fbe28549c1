"""Keras's augmentation policies: ``RandAugment`` and ``AugMix``, built from this package's
layers (shear, translation, rotation, brightness, colour degeneration, contrast,
sharpness, posterization, solarization, auto-contrast, equalization).

``RandAugment`` applies ``num_ops`` operations picked at random (one pick per op
for the whole batch, as in Keras). ``AugMix`` mixes ``num_chains`` chains of up
to ``chain_depth`` random operations with Dirichlet weights, then blends the
mix with the original by a Beta draw. Keras picks AugMix's operations with
Python's unseeded ``random``; here the layer's seed generator picks them, so a
seeded AugMix is reproducible.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from torchbridge import random as tb_random
from torchbridge.layers.preprocessing.image.base import BaseImagePreprocessingLayer, as_tensor_like
from torchbridge.layers.preprocessing.image.color import RandomBrightness, RandomContrast
from torchbridge.layers.preprocessing.image.color_adjust import (
    RandomColorDegeneration,
    RandomPosterization,
    RandomSharpness,
)
from torchbridge.layers.preprocessing.image.geometric import (
    RandomRotation,
    RandomShear,
    RandomTranslation,
)
from torchbridge.layers.preprocessing.image.histogram import (
    AutoContrast,
    Equalization,
    Solarization,
)
from torchbridge.ops._convert import to_tensor
from torchbridge.random import SeedGenerator

__all__ = ["AugMix", "RandAugment"]

_GEOMETRIC = ["random_shear", "random_translation", "random_rotation"]
_VALUE = ["random_posterization", "solarization", "auto_contrast", "equalization"]
_COLOR = ["random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness"]


class _PolicyLayer(BaseImagePreprocessingLayer):
    """Builds the operation layers Keras's policies use, all sharing the policy's options."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def _make_ops(self, names: list[str], interpolation: str, data_format: str | None) -> None:
        f, vr, seed = self.factor, self.value_range, self.seed
        geometric = {"interpolation": interpolation, "seed": seed, "data_format": data_format}
        valued = {"value_range": vr, "seed": seed, "data_format": data_format}
        makers = {
            "random_shear": lambda: RandomShear(x_factor=f, y_factor=f, **geometric),
            "random_translation": lambda: RandomTranslation(f, f, **geometric),
            "random_rotation": lambda: RandomRotation(f, **geometric),
            "random_brightness": lambda: RandomBrightness(f, **valued),
            "random_color_degeneration": lambda: RandomColorDegeneration(f, **valued),
            "random_contrast": lambda: RandomContrast(f, **valued),
            "random_sharpness": lambda: RandomSharpness(f, **valued),
            "solarization": lambda: Solarization(f, f, **valued),
            "random_posterization": lambda: RandomPosterization(max(1, int(8 * f[1])), **valued),
            "auto_contrast": lambda: AutoContrast(value_range=vr, data_format=data_format),
            "equalization": lambda: Equalization(value_range=vr, data_format=data_format),
        }
        for name in names:
            setattr(self, name, makers[name]())

    def _op(self, name: str) -> Any:
        return getattr(self, name)

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        return labels


class RandAugment(_PolicyLayer):
    """Keras's ``RandAugment``: ``num_ops`` operations, each picked uniformly from 11, with
    magnitude ``factor``."""

    _AUGMENT_LAYERS: ClassVar[list[str]] = [
        *_GEOMETRIC,
        *_COLOR,
        "random_posterization",
        "solarization",
        "auto_contrast",
        "equalization",
    ]

    def __init__(
        self,
        value_range: Any = (0, 255),
        num_ops: int = 2,
        factor: Any = 0.5,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_ops = num_ops
        self._set_factor(factor)
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self._make_ops(self._AUGMENT_LAYERS, interpolation, data_format)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        picks = tb_random.randint(
            (self.num_ops,), 0, len(self._AUGMENT_LAYERS), seed=self.generator
        )
        transforms = {
            name: self._op(name).get_random_transformation(images, seed=self.generator)
            for name in self._AUGMENT_LAYERS
        }
        return {"transforms": transforms, "layer_idxes": picks}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if not training or transformation is None:
            return images
        names = list(transformation["transforms"])
        for index in as_tensor_like(transformation["layer_idxes"], images).tolist():
            name = names[int(index)]
            images = self._op(name).transform_images(images, transformation["transforms"][name])
        return self._cast(images)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return segmentation_masks
        names = list(transformation["transforms"])
        masks = to_tensor(segmentation_masks)
        for index in as_tensor_like(transformation["layer_idxes"], masks).tolist():
            name = names[int(index)]
            masks = self._op(name).transform_segmentation_masks(
                masks, transformation["transforms"][name]
            )
        return masks

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_ops": self.num_ops,
            "factor": self.factor,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }


class AugMix(_PolicyLayer):
    """Keras's ``AugMix``: a Dirichlet(``alpha``)-weighted sum of ``num_chains`` augmented
    copies, blended with the original by ``w ~ Beta(alpha, alpha)``, clipped to
    ``value_range``."""

    def __init__(
        self,
        value_range: Any = (0, 255),
        num_chains: int = 3,
        chain_depth: int = 3,
        factor: Any = 0.3,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self._set_factor(factor)
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self._augment_layers = [*_GEOMETRIC, *_VALUE] + (_COLOR if all_ops else [])
        self._make_ops(self._augment_layers, interpolation, data_format)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        seed = seed if seed is not None else self.generator
        gammas = tb_random.gamma((self.num_chains,), self.alpha, seed=seed)
        weights = gammas / gammas.sum(dim=-1, keepdim=True)
        blend = tb_random.beta((), self.alpha, self.alpha, seed=seed)
        choices = len(self._augment_layers) + 1  # the last choice: skip this step
        chains = []
        for _ in range(self.num_chains):
            picks = tb_random.randint((self.chain_depth,), 0, choices, seed=seed).tolist()
            chain = [
                {
                    "layer_name": self._augment_layers[pick],
                    "transformation": self._op(
                        self._augment_layers[pick]
                    ).get_random_transformation(images, seed=seed),
                }
                for pick in picks
                if pick < len(self._augment_layers)
            ]
            chains.append(chain)
        return {"chain_mixing_weights": weights, "weight_sample": blend, "chain_transforms": chains}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if not training or transformation is None:
            return images
        weights = as_tensor_like(transformation["chain_mixing_weights"], images, images.dtype)
        blend = as_tensor_like(transformation["weight_sample"], images, images.dtype)
        mixed = torch.zeros_like(images)
        for index, chain in enumerate(transformation["chain_transforms"]):
            copy = images
            for step in chain:
                copy = self._op(step["layer_name"]).transform_images(copy, step["transformation"])
            mixed = mixed + copy * weights[index]
        out = blend * images + (1 - blend) * mixed
        return self._cast(out.clamp(self.value_range[0], self.value_range[1]))

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        return bounding_boxes  # as Keras: boxes kept

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_chains": self.num_chains,
            "chain_depth": self.chain_depth,
            "factor": self.factor,
            "alpha": self.alpha,
            "all_ops": self.all_ops,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }
