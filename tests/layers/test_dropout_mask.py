"""Dropout's CPU mask (uniform >= rate, scaled in place): exact values, Keras's statistics."""

from __future__ import annotations

import math

import pytest
import torch

from torchbridge.layers import Dropout


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_kept_values_are_scaled_exactly_and_the_rate_holds(rate) -> None:
    torch.manual_seed(0)
    x = torch.rand(256, 512) + 0.5  # no zeros in the input
    x.requires_grad_(True)
    y = Dropout(rate)(x, training=True)
    kept = y != 0
    # values: x / (1 - rate) where kept, 0 elsewhere (as tf.nn.dropout)
    torch.testing.assert_close(y[kept], (x / (1 - rate))[kept], rtol=1e-6, atol=0)
    # the kept fraction is Binomial(n, 1 - rate): within 5 standard deviations
    n = x.numel()
    sd = math.sqrt(n * rate * (1 - rate))
    assert abs(kept.sum().item() - n * (1 - rate)) < 5 * sd
    # the gradient is the same scaled mask
    y.sum().backward()
    torch.testing.assert_close(x.grad, kept.float() / (1 - rate), rtol=1e-6, atol=0)


def test_a_seeded_dropout_repeats_its_masks_and_noise_shape_shares_them() -> None:
    x = torch.ones(4, 6, 8)
    first = Dropout(0.5, seed=3)(x, training=True)
    again = Dropout(0.5, seed=3)(x, training=True)
    torch.testing.assert_close(first, again)
    shared = Dropout(0.5, noise_shape=(None, 1, 8))(x, training=True)
    assert torch.equal(shared, shared[:, :1, :].expand_as(shared))


def test_inference_and_bfloat16_inputs() -> None:
    x = torch.ones(8, 8, dtype=torch.bfloat16)
    assert Dropout(0.5)(x, training=False) is x
    y = Dropout(0.5)(x, training=True)
    assert y.dtype == torch.bfloat16
    assert set(y.unique().tolist()) <= {0.0, 2.0}
