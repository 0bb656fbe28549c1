"""The Optimizer base: build, pass-through, learning rate, step order, state, config."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch

from torchbridge import optimizers
from torchbridge.optimizers import schedules


def _params(n: int = 2) -> list[torch.nn.Parameter]:
    torch.manual_seed(0)
    return [torch.nn.Parameter(torch.randn(3, 2)) for _ in range(n)]


def _fill_grads(params, value: float = 1.0) -> None:
    for p in params:
        p.grad = torch.full_like(p, value)


DEFAULTS = [
    (
        optimizers.SGD(),
        torch.optim.SGD,
        {"lr": 0.01, "momentum": 0.0, "nesterov": False, "weight_decay": 0},
    ),
    (
        optimizers.RMSprop(),
        optimizers.rmsprop.KerasRMSprop,
        {"lr": 0.001, "rho": 0.9, "eps": 1e-7, "momentum": 0.0, "centered": False},
    ),
    (
        optimizers.Adam(),
        torch.optim.Adam,
        {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-7, "amsgrad": False, "weight_decay": 0.0},
    ),
    (
        optimizers.AdamW(),
        torch.optim.AdamW,
        {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-7, "weight_decay": 0.004},
    ),
    (
        optimizers.Adagrad(),
        torch.optim.Adagrad,
        {
            "lr": 0.001,
            "initial_accumulator_value": 0.1,
            "eps": 1e-7,
            "lr_decay": 0,
            "weight_decay": 0,
        },
    ),
    (
        optimizers.Adadelta(),
        torch.optim.Adadelta,
        {"lr": 0.001, "rho": 0.95, "eps": 1e-7, "weight_decay": 0},
    ),
    (
        optimizers.Adamax(),
        torch.optim.Adamax,
        {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-7, "weight_decay": 0},
    ),
    (
        optimizers.Nadam(),
        torch.optim.NAdam,
        {
            "lr": 0.001,
            "betas": (0.9, 0.999),
            "eps": 1e-7,
            "momentum_decay": 1.0,
            "weight_decay": 0.0,
        },
    ),
]


@pytest.mark.parametrize(
    ("opt", "torch_class", "expected"), DEFAULTS, ids=lambda v: getattr(v, "name", "")
)
def test_keras_defaults_map_to_torch(opt, torch_class, expected):
    assert not opt.built
    assert opt.build(_params()) is opt and opt.built
    assert type(opt.torch_optimizer) is torch_class
    group = opt.param_groups[0]
    for key, value in expected.items():
        assert group[key] == pytest.approx(value), key
    assert opt.learning_rate == pytest.approx(expected["lr"])
    assert isinstance(opt, torch.optim.Optimizer)


def test_fast_paths_are_chosen():
    assert optimizers.Adam().build(_params()).param_groups[0]["fused"] is True
    assert optimizers.Adamax().build(_params()).param_groups[0]["foreach"] is True
    assert optimizers.Adam(fused=False).build(_params()).param_groups[0]["fused"] is False


def test_extra_torch_kwargs_pass_through_and_unknown_raise():
    opt = optimizers.SGD(momentum=0.5, dampening=0.1, maximize=True).build(_params())
    assert opt.param_groups[0]["dampening"] == 0.1 and opt.param_groups[0]["maximize"]
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Adam(bogus=1)
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Adam(betas=(0.1, 0.2))  # covered by beta_1/beta_2


def test_keras_argument_checks():
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match="ema_momentum"):
        optimizers.Adam(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.Adam(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="loss_scale_factor"):
        optimizers.Adam(loss_scale_factor=0.0)
    with pytest.warns(UserWarning, match="decay"):
        optimizers.Adam(decay=0.1)


def test_build_twice_same_params_is_noop_different_raises():
    params = _params()
    opt = optimizers.Adam().build(params)
    inner = opt.torch_optimizer
    assert opt.build(iter(params)) is opt and opt.torch_optimizer is inner
    with pytest.raises(ValueError, match="already built"):
        opt.build(_params(3))
    with pytest.raises(ValueError, match="empty"):
        optimizers.Adam().build([])


def test_build_accepts_groups_and_modules():
    model = torch.nn.Linear(3, 2)
    assert len(optimizers.SGD().build(model).param_groups[0]["params"]) == 2
    opt = optimizers.SGD(weight_decay=0.1).build(
        [{"params": [model.weight]}, {"params": [model.bias], "weight_decay": 0.0}]
    )
    assert [g["keras_weight_decay"] for g in opt.param_groups] == [0.1, 0.0]
    assert all(g["weight_decay"] == 0 for g in opt.param_groups)  # torch's L2 stays off


def test_not_built_errors_name_the_fix():
    opt = optimizers.Adam()
    for action in (lambda: opt.step(), lambda: opt.param_groups, lambda: opt.state_dict()):
        with pytest.raises(RuntimeError, match="build"):
            action()


def test_learning_rate_get_set():
    opt = optimizers.SGD(learning_rate=0.1)
    assert opt.learning_rate == 0.1
    opt.learning_rate = 0.2
    opt.build(_params())
    assert opt.param_groups[0]["lr"] == 0.2
    opt.learning_rate = 0.05
    assert [g["lr"] for g in opt.param_groups] == [0.05]
    opt.param_groups[0]["lr"] = 0.3  # e.g. a torch LR scheduler
    assert opt.learning_rate == 0.3


def test_setting_a_float_on_a_schedule_raises_type_error():
    opt = optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 1, 0.5))
    with pytest.raises(TypeError, match="float `learning_rate`"):
        opt.learning_rate = 0.1


def test_schedule_is_evaluated_before_incrementing():
    params = _params(1)
    opt = optimizers.SGD(learning_rate=schedules.PiecewiseConstantDecay([1, 2], [1.0, 0.5, 0.25]))
    opt.build(params)
    seen = []
    opt.register_step_pre_hook(lambda o, a, k: seen.append(o.param_groups[0]["lr"]))
    for _ in range(4):
        _fill_grads(params)
        assert opt.learning_rate == opt._learning_rate(opt.iterations)
        opt.step()
    assert seen == [1.0, 1.0, 0.5, 0.25] and opt.iterations == 4


def test_callable_learning_rate():
    opt = optimizers.SGD(learning_rate=lambda: 0.125).build(_params(1))
    _fill_grads(opt.param_groups[0]["params"])
    opt.step()
    assert opt.param_groups[0]["lr"] == 0.125 == opt.learning_rate


def test_step_with_closure_returns_loss_and_zero_grad():
    params = _params(1)
    opt = optimizers.SGD(learning_rate=0.1).build(params)

    def closure():
        opt.zero_grad()
        loss = (params[0] ** 2).sum()
        loss.backward()
        return loss

    before = params[0].detach().clone()
    loss = opt.step(closure)
    assert loss.item() == pytest.approx(float((before**2).sum()))
    torch.testing.assert_close(params[0].detach(), before * 0.8)
    opt.zero_grad()
    assert params[0].grad is None


def test_state_dict_round_trip_restores_iterations_and_state():
    params = _params()
    opt = optimizers.Adam(learning_rate=schedules.ExponentialDecay(0.1, 2, 0.5)).build(params)
    for _ in range(3):
        _fill_grads(params)
        opt.step()
    sd = copy.deepcopy(opt.state_dict())
    assert sd["iterations"] == 3 and set(sd) == {"state", "param_groups", "iterations"}

    params2 = [torch.nn.Parameter(p.detach().clone()) for p in params]
    opt2 = optimizers.Adam(learning_rate=schedules.ExponentialDecay(0.1, 2, 0.5)).build(params2)
    opt2.load_state_dict(sd)
    assert opt2.iterations == 3
    for p, q in zip(params, params2):
        torch.testing.assert_close(opt.state[p]["exp_avg"], opt2.state[q]["exp_avg"])
    _fill_grads(params, 0.5)
    _fill_grads(params2, 0.5)
    opt.step()
    opt2.step()
    for p, q in zip(params, params2):
        torch.testing.assert_close(p, q)

    # The inner state dict stays loadable by plain torch.
    plain = torch.optim.Adam([torch.nn.Parameter(p.detach().clone()) for p in params])
    plain.load_state_dict(sd)
    assert plain.state_dict()["param_groups"][0]["lr"] == sd["param_groups"][0]["lr"]


def test_torch_lr_scheduler_accepts_the_optimizer():
    params = _params(1)
    opt = optimizers.SGD(learning_rate=1.0).build(params)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    _fill_grads(params)
    opt.step()
    sched.step()
    assert opt.learning_rate == 0.5


def test_pickle_and_deepcopy():
    opt = optimizers.Adam(learning_rate=0.01).build(_params())
    for clone in (pickle.loads(pickle.dumps(opt)), copy.deepcopy(opt)):
        assert clone.learning_rate == 0.01 and clone.built and clone.iterations == 0


@pytest.mark.parametrize(
    "name", ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam"]
)
def test_config_matches_keras_and_round_trips(name):
    import keras

    ours = getattr(optimizers, name)(learning_rate=0.5, clipnorm=1.0)
    theirs = getattr(keras.optimizers, name)(learning_rate=0.5, clipnorm=1.0)
    assert ours.get_config() == theirs.get_config() | {"name": ours.name}
    assert theirs.name == ours.name or theirs.name.startswith(ours.name + "_")  # Keras uniquifies
    again = type(ours).from_config(ours.get_config())
    assert again.get_config() == ours.get_config()


def test_config_with_schedule_round_trips_and_keras_reads_it():
    import keras

    opt = optimizers.SGD(learning_rate=schedules.CosineDecay(0.1, 10))
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    assert isinstance(optimizers.SGD.from_config(config)._learning_rate, schedules.CosineDecay)
    keras_opt = keras.optimizers.SGD.from_config(config)
    assert float(keras_opt.learning_rate) == pytest.approx(0.1)


def test_add_param_group_converts_weight_decay():
    opt = optimizers.SGD(weight_decay=0.1).build(_params(1))
    extra = torch.nn.Parameter(torch.ones(2))
    opt.add_param_group({"params": [extra], "weight_decay": 0.5})
    assert opt.param_groups[1]["keras_weight_decay"] == 0.5
    assert opt.param_groups[1]["weight_decay"] == 0
