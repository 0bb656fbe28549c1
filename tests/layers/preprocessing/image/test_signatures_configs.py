"""Every image preprocessing layer has Keras's constructor signature (names, order,
defaults) and a config that both Keras and torchbridge rebuild the layer from."""

from __future__ import annotations

import inspect
from typing import Any

import keras
import pytest

from torchbridge import layers

NAMES = [
    "AugMix", "AutoContrast", "CenterCrop", "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix", "Equalization", "MaxNumBoundingBoxes", "MixUp", "Pipeline", "RandAugment",
    "RandomBrightness", "RandomColorDegeneration", "RandomColorJitter", "RandomContrast",
    "RandomCrop", "RandomElasticTransform", "RandomErasing", "RandomFlip", "RandomGaussianBlur",
    "RandomGrayscale", "RandomHue", "RandomInvert", "RandomPerspective", "RandomPosterization",
    "RandomRotation", "RandomSaturation", "RandomSharpness", "RandomShear", "RandomTranslation",
    "RandomZoom", "Resizing", "Solarization",
]  # fmt: skip

# Arguments each layer needs (the rest keep their defaults).
REQUIRED: dict[str, dict[str, Any]] = {
    "CenterCrop": {"height": 4, "width": 5},
    "RandomCrop": {"height": 4, "width": 5, "seed": 3},
    "Resizing": {"height": 4, "width": 5},
    "MaxNumBoundingBoxes": {"max_number": 3},
    "RandomBrightness": {"factor": 0.2},
    "RandomContrast": {"factor": 0.2},
    "RandomColorDegeneration": {"factor": 0.2},
    "RandomHue": {"factor": 0.2},
    "RandomSaturation": {"factor": 0.2},
    "RandomSharpness": {"factor": 0.2},
    "RandomPosterization": {"factor": 4},
    "RandomRotation": {"factor": 0.2},
    "RandomZoom": {"height_factor": 0.2, "width_factor": (-0.1, 0.3)},
    "RandomTranslation": {"height_factor": 0.2, "width_factor": 0.1},
}


def _params(cls: type) -> list[tuple[str, Any]]:
    return [
        (p.name, p.default)
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD
    ]


@pytest.mark.parametrize("name", NAMES)
def test_signature_matches_keras(name: str) -> None:
    ours, theirs = _params(getattr(layers, name)), _params(getattr(keras.layers, name))
    assert [p for p, _ in ours] == [p for p, _ in theirs]
    assert [d for _, d in ours] == [d for _, d in theirs]


@pytest.mark.parametrize("name", [n for n in NAMES if n != "Pipeline"])
def test_config_round_trips_and_keras_reads_it(name: str) -> None:
    ours = getattr(layers, name)(**REQUIRED.get(name, {}))
    config = ours.get_config()
    clone = type(ours).from_config(config)
    assert clone.get_config() == config
    theirs = getattr(keras.layers, name).from_config(config)
    expected = {k: v for k, v in theirs.get_config().items() if k != "dtype"}
    assert set(expected) == set(config)
    for key in set(config) - {"name"}:
        assert str(expected[key]) == str(config[key]) or list(expected[key]) == list(config[key]), (
            key
        )
