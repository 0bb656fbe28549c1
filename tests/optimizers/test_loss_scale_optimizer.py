"""LossScaleOptimizer (dynamic loss scaling on torch.amp.GradScaler) against Keras's."""

from __future__ import annotations

import copy

import keras
import numpy as np
import pytest
import torch

from torchbridge import optimizers


def _grads(rng, weights, steps, bad):
    out = []
    for i in range(steps):
        step = [rng.normal(size=w.shape).astype("float32") for w in weights]
        if i in bad:
            step[0][0, 0] = np.inf if i % 2 else np.nan
        out.append(step)
    return out


@pytest.mark.parametrize(
    ("inner", "kwargs"),
    [("SGD", dict(learning_rate=0.1, momentum=0.5)), ("Adam", dict(learning_rate=0.01))],
)
def test_dynamic_scaling_matches_keras(inner, kwargs, problem, rng):
    weights, _ = problem(steps=1)
    grads = _grads(rng, weights, steps=9, bad={2, 3, 7})
    theirs = keras.optimizers.LossScaleOptimizer(
        getattr(keras.optimizers, inner)(**kwargs), initial_scale=8.0, dynamic_growth_steps=2
    )
    ours = optimizers.LossScaleOptimizer(
        getattr(optimizers, inner)(**kwargs), initial_scale=8.0, dynamic_growth_steps=2
    )
    variables = [keras.Variable(w.copy()) for w in weights]
    params = [torch.nn.Parameter(torch.tensor(w.copy())) for w in weights]
    ours.build(params)
    for step, step_grads in enumerate(grads):
        # Both get the gradients of the scaled loss: g * the current scale.
        k_scale = float(theirs.dynamic_scale.numpy()) if theirs.built else 8.0
        assert ours.dynamic_scale == k_scale, step
        theirs.apply_gradients([(g * k_scale, v) for g, v in zip(step_grads, variables)])
        ours.zero_grad()
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g) * ours.dynamic_scale
        ours.step()
        for v, p in zip(variables, params):
            np.testing.assert_allclose(p.detach().numpy(), v.numpy(), rtol=1e-5, atol=1e-6)
        assert ours.iterations == int(theirs.iterations.numpy()), step
    assert ours.iterations == 6  # three skipped steps do not count
    assert ours.dynamic_scale == float(theirs.dynamic_scale.numpy())


def test_unscales_before_clipping_and_scales_the_loss():
    def run(opt, scale):
        p = torch.nn.Parameter(torch.zeros(3))
        opt.build([p])
        for _ in range(2):
            opt.zero_grad()
            loss = (p * torch.tensor([3.0, 4.0, 12.0])).sum()
            opt.scale_loss(loss).backward()
            assert float(p.grad.norm()) == pytest.approx(13.0 * scale)
            opt.step()
        return p.detach()

    plain = run(optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0), 1.0)
    scaled = run(
        optimizers.LossScaleOptimizer(optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0)),
        2.0**15,
    )
    torch.testing.assert_close(scaled, plain, rtol=0, atol=0)  # powers of two: exact
    torch.testing.assert_close(plain, -2 * torch.tensor([3.0, 4.0, 12.0]) / 13.0)


def test_a_non_finite_batch_skips_its_accumulation_window():
    p = torch.nn.Parameter(torch.zeros(2))
    opt = optimizers.LossScaleOptimizer(
        optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=2), initial_scale=4.0
    )
    opt.build([p])
    for g in (1.0, float("inf"), 2.0, 4.0):
        opt.zero_grad()
        opt.scale_loss((p * g).sum()).backward()
        opt.step()
    # The window [1, inf] is dropped (scale halved, counter back to its start);
    # the window [2, 4] updates with their average.
    assert opt.dynamic_scale == 2.0 and opt.iterations == 1
    assert opt.inner_optimizer._iterations == 2
    torch.testing.assert_close(p.detach(), torch.full((2,), -3.0))


def test_arguments_config_and_state_round_trip():
    with pytest.raises(ValueError, match="set `clipnorm` on the `inner_optimizer`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="dynamic=False"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False)
    inner = optimizers.Adam(learning_rate=0.01, loss_scale_factor=4.0)
    opt = optimizers.LossScaleOptimizer(inner, initial_scale=64.0, dynamic_growth_steps=10)
    assert inner.loss_scale_factor is None  # not scaled twice (Keras)
    config = optimizers.serialize(opt)
    assert config["config"]["inner_optimizer"]["class_name"] == "Adam"
    clone = optimizers.deserialize(copy.deepcopy(config))
    assert isinstance(clone, optimizers.LossScaleOptimizer)
    assert clone.get_config() == opt.get_config()

    p = torch.nn.Parameter(torch.ones(2))
    opt.build([p])
    opt.learning_rate = 0.5
    assert inner.learning_rate == 0.5 == opt.learning_rate
    p.grad = torch.tensor([float("inf"), 1.0])
    opt.step()
    state = opt.state_dict()
    assert state["loss_scale"]["scale"] == 32.0

    q = torch.nn.Parameter(torch.ones(2))
    other = optimizers.LossScaleOptimizer(optimizers.Adam(), initial_scale=64.0).build([q])
    other.load_state_dict(copy.deepcopy(state))
    assert other.dynamic_scale == 32.0 and other.learning_rate == 0.5
