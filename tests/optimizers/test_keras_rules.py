"""Lion, Lamb, Ftrl, Adafactor, Muon and ScheduleFreeAdamW against Keras 3 on the same variables and gradients."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from torchbridge import optimizers

CASES = [
    ("Lion", {}),
    ("Lion", {"beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.1}),
    ("Lamb", {}),
    ("Lamb", {"learning_rate": 0.01, "weight_decay": 0.05}),
    ("Ftrl", {}),
    ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01}),
    (
        "Ftrl",
        {
            "learning_rate": 0.05,
            "learning_rate_power": -0.3,
            "l2_regularization_strength": 0.1,
            "l2_shrinkage_regularization_strength": 0.05,
            "beta": 0.2,
            "initial_accumulator_value": 0.5,
        },
    ),
    ("Adafactor", {}),
    ("Adafactor", {"learning_rate": 0.5, "clip_threshold": 0.5, "weight_decay": 0.01}),
    ("Adafactor", {"relative_step": False, "learning_rate": 0.05, "beta_2_decay": -0.5}),
    ("Muon", {}),
    ("Muon", {"learning_rate": 0.01, "nesterov": False, "adam_lr_ratio": 0.5}),
    ("Muon", {"rms_rate": None, "weight_decay": 0.1, "adam_weight_decay": None}),
    ("ScheduleFreeAdamW", {}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.01, "warmup_steps": 3, "weight_decay": 0.1}),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=str)
def test_matches_keras(name, kwargs, problem, run_both, assert_close):
    weights, grads = problem(steps=6)
    ours = getattr(optimizers, name)(**kwargs)
    k, t = run_both(getattr(keras.optimizers, name)(**kwargs), ours, weights, grads)
    assert_close(k, t, weights)
    assert ours.iterations == 6


@pytest.mark.parametrize("name", ["Adafactor", "Lamb", "Lion"])
def test_rank_3_and_scalar_weights(name, rng, run_both, assert_close):
    # Adafactor factors the last two axes of a rank-3 tensor; scalars take the full path.
    weights = [rng.normal(size=(2, 3, 4)).astype("float32"), np.float32(rng.normal(size=()))]
    weights[1] = np.asarray(weights[1], dtype="float32")
    grads = [[rng.normal(size=w.shape).astype("float32") for w in weights] for _ in range(4)]
    k, t = run_both(getattr(keras.optimizers, name)(), getattr(optimizers, name)(), weights, grads)
    assert_close(k, t, weights)


@pytest.mark.parametrize("name", ["Adafactor", "Lion", "Lamb"])
def test_schedule_and_clipping_match_keras(name, problem, run_both, assert_close):
    kw = {"initial_learning_rate": 0.05, "decay_steps": 3, "alpha": 0.1}
    weights, grads = problem(steps=5, scale=3.0)
    theirs = getattr(keras.optimizers, name)(
        keras.optimizers.schedules.CosineDecay(**kw), clipnorm=1.0
    )
    ours = getattr(optimizers, name)(optimizers.schedules.CosineDecay(**kw), clipnorm=1.0)
    k, t = run_both(theirs, ours, weights, grads)
    assert_close(k, t, weights)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("Lion", {"beta_1": 0.8}),
        ("Lamb", {"epsilon": 1e-6}),
        ("Ftrl", {"l1_regularization_strength": 0.1, "beta": 0.5}),
        ("Adafactor", {"relative_step": False}),
        ("Muon", {"exclude_layers": ["head"], "ns_steps": 3}),
        ("ScheduleFreeAdamW", {"warmup_steps": 10}),
    ],
    ids=str,
)
def test_config_matches_keras(name, kwargs):
    ours = getattr(optimizers, name)(name="opt", **kwargs)
    theirs = getattr(keras.optimizers, name)(name="opt", **kwargs)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    # Keras stores the learning rate in a float32 variable
    assert ours_config.pop("learning_rate") == pytest.approx(theirs_config.pop("learning_rate"))
    assert ours_config == theirs_config
    again = optimizers.deserialize(optimizers.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours.get_config()
    assert type(optimizers.get(name.lower())) is type(ours)


def test_argument_checks():
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength"):
        optimizers.Ftrl(l1_regularization_strength=-1.0)


def test_muon_sends_embeddings_and_excluded_layers_to_adamw():
    model = torch.nn.ModuleDict(
        {
            "embedding": torch.nn.Embedding(5, 4),
            "body": torch.nn.Linear(4, 4, bias=False),
            "head": torch.nn.Linear(4, 4, bias=False),
        }
    )
    opt = optimizers.Muon(exclude_layers=["head"]).build(model)
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    opt.step()
    kinds = {n: opt.state[p]["use_adamw"] for n, p in model.named_parameters()}
    assert kinds == {"embedding.weight": True, "body.weight": False, "head.weight": True}


def test_state_dict_round_trip_continues_identically(problem):
    weights, grads = problem(steps=4)

    def run(split: bool) -> list[np.ndarray]:
        params = [torch.nn.Parameter(torch.tensor(w.copy())) for w in weights]
        opt = optimizers.Adafactor().build(params)
        for i, step in enumerate(grads):
            if split and i == 2:
                state = opt.state_dict()
                opt = optimizers.Adafactor().build(params)
                opt.load_state_dict(state)
            for p, g in zip(params, step):
                p.grad = torch.tensor(g)
            opt.step()
        return [p.detach().numpy() for p in params]

    for a, b in zip(run(False), run(True)):
        np.testing.assert_array_equal(a, b)
