"""Dice and Tversky (functions and classes) against keras.losses."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from torchbridge import losses


@pytest.mark.parametrize(
    ("axis", "weighted"), [(None, False), (1, False), ([1, 2], False), ([1, 2], True)], ids=str
)
@pytest.mark.parametrize(
    ("fn", "cls", "kwargs"),
    [
        ("dice", "Dice", {}),
        ("tversky", "Tversky", {}),
        ("tversky", "Tversky", {"alpha": 0.3, "beta": 0.7}),
    ],
    ids=str,
)
def test_matches_keras(oracle, inputs, fn, cls, kwargs, axis, weighted):
    y, p = inputs.make("binary", (4, 5, 3))
    oracle.function(fn, y, p, axis=axis, **kwargs)
    weight = np.linspace(0.5, 2.0, 4) if weighted and axis == [1, 2] else None
    oracle.cls(cls, y, p, sample_weight=weight, axis=axis, **kwargs)


@pytest.mark.parametrize(
    ("cls", "kwargs"), [("Dice", {"axis": 1}), ("Tversky", {"alpha": 0.2, "beta": 0.8})], ids=str
)
def test_config_matches_keras(cls, kwargs):
    ours = getattr(losses, cls)(name="x", **kwargs)
    assert ours.get_config() == getattr(keras.losses, cls)(name="x", **kwargs).get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
