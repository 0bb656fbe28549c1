"""Accelerate interop: a model passed through ``accelerator.prepare`` fits as the plain model
does (one process; under ``accelerate launch`` the process group it creates is the one fit uses)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchbridge as tb

accelerate = pytest.importorskip("accelerate")


def _model() -> tb.Model:
    torch.manual_seed(0)
    model = tb.Sequential(
        [tb.Input((4,)), tb.layers.Dense(3, activation="relu"), tb.layers.Dense(1)]
    )
    model.compile(optimizer=tb.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    return model


def test_model_prepared_by_accelerate_fits_like_the_plain_model() -> None:
    x = np.random.RandomState(0).normal(size=(40, 4)).astype("float32")
    y = x[:, :1] * 2.0
    prepared = accelerate.Accelerator(cpu=True).prepare(_model())
    torch.manual_seed(1)
    history = prepared.fit(x, y, batch_size=8, epochs=2, verbose=0)
    reference = _model()
    torch.manual_seed(1)
    expected = reference.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert history.history == expected.history
    for a, b in zip(prepared.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(prepared.predict(x, verbose=0), reference.predict(x, verbose=0))
