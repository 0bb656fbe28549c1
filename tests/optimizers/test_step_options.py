"""Keras's per-step options on every optimizer, against Keras step by step:
gradient_accumulation_steps, loss_scale_factor, use_ema — and no host sync."""

from __future__ import annotations

import copy

import keras
import numpy as np
import pytest
import torch

from torchbridge import optimizers
from torchbridge.optimizers import schedules


def backward_run(opt, weights, grads):
    """Like a training loop: ``zero_grad()``, gradients *added* into ``.grad`` (as
    ``backward`` does), ``step()`` — the accumulator is ``.grad`` itself."""
    params = [torch.nn.Parameter(torch.tensor(w.copy())) for w in weights]
    opt.build(params)
    out = []
    for step_grads in grads:
        opt.zero_grad()
        for p, g in zip(params, step_grads):
            g = torch.tensor(g.copy())
            p.grad = g if p.grad is None else p.grad + g
        opt.step()
        out.append([p.detach().numpy().copy() for p in params])
    return out, params


@pytest.fixture
def run_both(keras_run):
    def run(keras_opt, opt, weights, grads):
        return keras_run(keras_opt, weights, grads), backward_run(opt, weights, grads)[0]

    return run


KERAS = {
    "SGD": dict(learning_rate=0.1, momentum=0.5),
    "Adam": dict(learning_rate=0.01),
    "AdamW": dict(learning_rate=0.01, weight_decay=0.1),
    "RMSprop": dict(learning_rate=0.01),
    "Adagrad": dict(learning_rate=0.1),
    "Nadam": dict(learning_rate=0.01),
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_gradient_accumulation_matches_keras(name, problem, run_both, assert_close):
    # 8 steps with n=3: two updates, then two gradients left in the accumulators.
    weights, grads = problem(steps=8)
    kwargs = dict(KERAS[name], gradient_accumulation_steps=3)
    ours = getattr(optimizers, name)(**kwargs)
    theirs = getattr(keras.optimizers, name)(**kwargs)
    k, t = run_both(theirs, ours, weights, grads)
    assert_close(k, t, weights)
    assert ours.iterations == int(theirs.iterations.numpy()) == 2
    assert ours._iterations == int(theirs._iterations.numpy()) == 8


def test_accumulation_with_schedule_and_clipping_matches_keras(problem, run_both, assert_close):
    # Keras evaluates schedules at the raw step counter (batches) and clips the average.
    weights, grads = problem(steps=9, scale=3.0)
    schedule = dict(initial_learning_rate=0.5, decay_steps=2, decay_rate=0.5)
    common = dict(global_clipnorm=1.0, gradient_accumulation_steps=2)
    ours = optimizers.Adam(learning_rate=schedules.ExponentialDecay(**schedule), **common)
    theirs = keras.optimizers.Adam(
        learning_rate=keras.optimizers.schedules.ExponentialDecay(**schedule), **common
    )
    k, t = run_both(theirs, ours, weights, grads)
    assert_close(k, t, weights)
    assert ours.learning_rate == pytest.approx(float(theirs.learning_rate.numpy()))


@pytest.mark.parametrize("clip", [dict(clipnorm=0.5), dict(clipvalue=0.2)])
def test_accumulation_clips_the_averaged_gradient(clip, problem, run_both, assert_close):
    weights, grads = problem(steps=6, scale=2.0)
    ours = optimizers.Adam(learning_rate=0.01, gradient_accumulation_steps=3, **clip)
    theirs = keras.optimizers.Adam(learning_rate=0.01, gradient_accumulation_steps=3, **clip)
    assert_close(*run_both(theirs, ours, weights, grads), weights)


def test_zero_grad_keeps_the_running_sum_inside_a_window():
    p = torch.nn.Parameter(torch.zeros(2))
    opt = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=2).build([p])
    seen = []
    for g in (1.0, 3.0, 5.0, 7.0):
        opt.zero_grad()
        (p * g).sum().backward()  # a hand-written loop: zero_grad, backward, step
        seen.append(float(p.grad[0]))
        opt.step()
    assert seen == [1.0, 4.0, 5.0, 12.0]  # summed within a window, cleared after
    assert p.detach().tolist() == [-8.0, -8.0]  # -(1+3)/2 - (5+7)/2


def test_loss_scale_factor_matches_keras(problem, run_both, assert_close):
    # Keras divides the gradients by the factor first: feed both the scaled gradients.
    weights, grads = problem(steps=4)
    scaled = [[g * 256.0 for g in step] for step in grads]
    ours = optimizers.Adam(learning_rate=0.01, loss_scale_factor=256.0)
    theirs = keras.optimizers.Adam(learning_rate=0.01, loss_scale_factor=256.0)
    k, t = run_both(theirs, ours, weights, scaled)
    assert_close(k, t, weights)
    loss = torch.tensor(2.0)
    assert float(ours.scale_loss(loss)) == 512.0
    assert optimizers.Adam().scale_loss(loss) is loss


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(use_ema=True),
        dict(use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2),
        dict(
            use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=3, gradient_accumulation_steps=2
        ),
    ],
    ids=["ema", "ema_overwrite", "ema_accumulation"],
)
def test_ema_matches_keras(kwargs, problem, assert_close):
    weights, grads = problem(steps=7)
    ours = optimizers.SGD(learning_rate=0.1, momentum=0.5, **kwargs)
    theirs = keras.optimizers.SGD(learning_rate=0.1, momentum=0.5, **kwargs)
    variables = [keras.Variable(w.copy()) for w in weights]
    k = []
    for step_grads in grads:
        theirs.apply_gradients([(g, v) for g, v in zip(step_grads, variables)])
        k.append([v.numpy().copy() for v in variables])
    t, params = backward_run(ours, weights, grads)
    assert_close(k, t, weights)
    theirs.finalize_variable_values(variables)
    ours.finalize_variable_values()
    for v, p in zip(variables, params):
        np.testing.assert_allclose(p.detach().numpy(), v.numpy(), rtol=1e-5, atol=1e-6)


def test_state_dict_keeps_counters_ema_and_partial_window():
    def train(opt, param, grads):
        for g in grads:
            opt.zero_grad()
            param.grad = torch.full((3,), g) if param.grad is None else param.grad + g
            opt.step()

    def make(start):
        param = torch.nn.Parameter(start.clone())
        return param, optimizers.Adam(use_ema=True, gradient_accumulation_steps=3).build([param])

    torch.manual_seed(0)
    start = torch.randn(3)
    param, opt = make(start)
    train(opt, param, [1.0, 2.0, 3.0, 4.0])  # one update, then one gradient accumulated
    state = opt.state_dict()
    assert state["iterations"] == 4 and len(state["ema"]) == 1
    assert torch.equal(state["gradient_accumulators"][0], torch.full((3,), 4.0))

    clone_param, clone = make(param.detach())
    clone.load_state_dict(copy.deepcopy(state))  # as from a file: no shared tensors
    assert clone.iterations == 1 and clone._iterations == 4
    assert torch.equal(clone._ema[0], opt._ema[0])
    assert torch.equal(clone_param.grad, param.grad)
    train(opt, param, [5.0, 6.0])  # both finish the window the same way
    train(clone, clone_param, [5.0, 6.0])
    assert opt.iterations == clone.iterations == 2
    assert torch.equal(param, clone_param) and not torch.equal(param, start)
    assert "gradient_accumulators" not in opt.state_dict()  # nothing pending now


def test_optimizer_steps_never_read_from_the_device(monkeypatch):
    """Accumulation, clipping, EMA and the scheduled lr must not wait for the device."""
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(4, 3)), torch.nn.Parameter(torch.randn(3))]
    opt = optimizers.AdamW(
        learning_rate=schedules.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=2),
        global_clipnorm=1.0,
        use_ema=True,
        ema_overwrite_frequency=2,
        gradient_accumulation_steps=2,
        loss_scale_factor=8.0,
        exclude_bias_and_norm=True,
    ).build([("w", params[0]), ("b", params[1])])

    def no_sync(*args, **kwargs):
        raise AssertionError("a value was read back from the device")

    for attr in ("item", "tolist", "__bool__", "__float__", "__int__"):
        monkeypatch.setattr(torch.Tensor, attr, no_sync)
    for _ in range(6):
        opt.zero_grad()
        for p in params:
            p.grad = torch.ones_like(p) if p.grad is None else p.grad + 1.0
        opt.step()
    monkeypatch.undo()
    assert opt.iterations == 3


def test_config_round_trip_keeps_the_step_options():
    opt = optimizers.AdamW(
        gradient_accumulation_steps=4,
        use_ema=True,
        ema_momentum=0.9,
        loss_scale_factor=2.0,
        exclude_bias_and_norm=True,
    )
    config = opt.get_config()
    assert config["gradient_accumulation_steps"] == 4 and config["exclude_bias_and_norm"]
    clone = optimizers.deserialize(optimizers.serialize(opt))
    assert clone.get_config() == config
    assert "exclude_bias_and_norm" not in optimizers.Adam().get_config()  # Keras's keys only
