"""MultiOptimizer and OptimizerMap against Keras 3: routing by name, updates, config."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from torchbridge import optimizers


def _keras_multi():
    mapping = keras.optimizers.OptimizerMap(
        keras.optimizers.SGD(0.1, momentum=0.9), {"bias": keras.optimizers.Adam(0.01)}
    )
    return keras.optimizers.MultiOptimizer(mapping)


def _ours_multi():
    mapping = optimizers.OptimizerMap(
        optimizers.SGD(0.1, momentum=0.9), {"bias": optimizers.Adam(0.01)}
    )
    return optimizers.MultiOptimizer(mapping)


def test_updates_match_keras(problem, assert_close):
    weights, grads = problem(steps=5)
    names = ["kernel", "bias"]
    k_vars = [keras.Variable(w.copy(), name=n) for w, n in zip(weights, names)]
    theirs = _keras_multi()
    params = [torch.nn.Parameter(torch.tensor(w.copy())) for w in weights]
    ours = _ours_multi().build(list(zip(names, params)))
    k_traj, t_traj = [], []
    for step in grads:
        theirs.apply([keras.ops.convert_to_tensor(g) for g in step], k_vars)
        for p, g in zip(params, step):
            p.grad = torch.tensor(g)
        ours.step()
        k_traj.append([np.array(v.numpy()) for v in k_vars])
        t_traj.append([p.detach().numpy().copy() for p in params])
    assert_close(k_traj, t_traj, weights)
    assert ours.iterations == 5
    assert [type(o).__name__ for o in ours.optimizers] == ["Adam", "SGD"]
    assert [o.iterations for o in ours.optimizers] == [5, 5]


def test_optimizer_map_lookup_like_keras():
    for module in (keras.optimizers, optimizers):
        adam, sgd, rms = module.Adam(), module.SGD(), module.RMSprop()
        mapping = module.OptimizerMap(default_optimizer=rms)
        mapping["encoder/layer_0/dense"] = adam
        mapping["encoder/.*"] = sgd
        mapping["decoder"] = adam
        assert mapping["decoder"] is adam
        assert mapping["encoder/layer_0/dense"] is adam
        assert mapping["encoder/layer_0/attention/query"] is sgd
        assert mapping["decoder/layer_0/dense"] is rms
        with pytest.raises(ValueError, match="already exists"):
            mapping["decoder"] = sgd
        mapping["enc.*"] = sgd
        with pytest.raises(ValueError, match="Multiple optimizers"):
            mapping["encoder/x"]
        with pytest.raises(ValueError, match="LossScaleOptimizer"):
            mapping["other"] = module.LossScaleOptimizer(module.SGD())


def test_learning_rate_is_per_inner_optimizer_and_apply_works():
    ours = _ours_multi()
    with pytest.raises(AttributeError, match="sub-optimizers"):
        ours.learning_rate  # noqa: B018
    kernel = torch.nn.Parameter(torch.ones(2, 2))
    ours.apply([torch.ones(2, 2)], [kernel])  # unnamed: everything goes to the default
    assert torch.allclose(kernel, torch.full((2, 2), 0.9))
    state = ours.state_dict()
    assert state["iterations"] == 1 and len(state["optimizers"]) == 1


def test_config_round_trip_matches_keras_layout():
    ours, theirs = _ours_multi(), _keras_multi()
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert set(ours_config) == set(theirs_config)
    assert ours_config["optimizer_map"]["class_name"] == "OptimizerMap"
    back = optimizers.MultiOptimizer.from_config(ours_config)
    assert [type(o).__name__ for o in back.optimizers] == ["Adam", "SGD"]
    assert back.optimizers[1].momentum == 0.9


def test_fit_routes_torchbridge_weights_by_keras_path():
    import torchbridge

    model = torchbridge.Sequential(
        [
            torchbridge.Input((4,)),
            torchbridge.layers.Dense(3, name="body"),
            torchbridge.layers.Dense(1, name="head"),
        ]
    )
    adam, sgd = optimizers.Adam(0.01), optimizers.SGD(0.01)
    model.compile(
        optimizer=optimizers.MultiOptimizer(optimizers.OptimizerMap(sgd, {"head/.*": adam})),
        loss="mse",
    )
    x = np.random.default_rng(0).random((16, 4)).astype("float32")
    model.fit(x, x.sum(1, keepdims=True), epochs=1, batch_size=8, verbose=0)
    routed = {
        p.path: name
        for name, o in [("adam", adam), ("sgd", sgd)]
        for g in o.param_groups
        for p in g["params"]
    }
    assert routed == {
        "body/kernel": "sgd",
        "body/bias": "sgd",
        "head/kernel": "adam",
        "head/bias": "adam",
    }
    assert adam.iterations == sgd.iterations == 2
