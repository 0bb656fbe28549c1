"""CategoricalGeneralizedCrossEntropy (function and class) against keras.losses."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from torchbridge import losses


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("shape", [(6, 4), (6, 1, 4)], ids=str)
def test_matches_keras(oracle, inputs, q, shape):
    y, p = inputs.make("sparse", shape)
    if len(shape) == 3:  # labels (6, 1) against (6, 1, 4)
        y = y.reshape(6, 1)
    oracle.function("categorical_generalized_cross_entropy", y, p, q=q)
    oracle.cls("CategoricalGeneralizedCrossEntropy", y, p, sample_weight=np.linspace(0, 1, 6), q=q)


def test_config_and_q_range():
    ours = losses.CategoricalGeneralizedCrossEntropy(q=0.3, name="g")
    theirs = keras.losses.CategoricalGeneralizedCrossEntropy(q=0.3, name="g")
    assert ours.get_config() == theirs.get_config()
    for q in (0.0, 1.0):
        with pytest.raises(ValueError, match="q must be in the interval"):
            losses.CategoricalGeneralizedCrossEntropy(q=q)
