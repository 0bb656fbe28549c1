"""TorchModuleWrapper (any torch.nn.Module as a layer) and the backend-bound layers
(JaxLayer, FlaxLayer, TFSMLayer), which are refused with the alternative."""

from __future__ import annotations

import pytest
import torch

import torchbridge
from torchbridge import layers
from torchbridge.errors import InputError, TorchbridgeError


def _net() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(8, 2)
    )


def test_parameters_are_the_layers_weights():
    module = _net()
    layer = layers.TorchModuleWrapper(module, name="net")
    assert layer.module is module and layer.built
    assert [tuple(w.shape) for w in layer.get_weights()] == [
        tuple(p.shape) for p in module.parameters()
    ]
    assert len(layer.trainable_weights) == 4 and layer.count_params() == 4 * 8 + 8 + 8 * 2 + 2
    assert list(layer.state_dict()) == [f"module.{k}" for k in module.state_dict()]
    new = [w + 1 for w in layer.get_weights()]
    layer.set_weights(new)
    assert torch.equal(module[0].weight.detach(), torch.from_numpy(new[0]))


def test_training_flag_sets_the_modules_mode():
    layer = layers.TorchModuleWrapper(_net())
    x = torch.ones(16, 4)
    assert torch.equal(layer(x, training=False), layer(x, training=False))
    assert not layer.module.training
    layer(x, training=True)
    assert layer.module.training


def test_trains_in_a_functional_model():
    inputs = torchbridge.Input(shape=(4,))
    outputs = layers.Dense(1)(layers.TorchModuleWrapper(_net(), output_shape=(None, 2))(inputs))
    model = torchbridge.Model(inputs, outputs)
    assert len(model.trainable_weights) == 6
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    model.fit(torch.randn(32, 4), torch.randn(32, 1), epochs=1, batch_size=8, verbose=0)
    assert all((a != b).any() for a, b in zip(before, model.get_weights()))


def test_config_round_trip_needs_unsafe_mode():
    layer = layers.TorchModuleWrapper(_net(), output_shape=(None, 2))
    config = layer.get_config()
    assert isinstance(config["module"], str) and config["output_shape"] == (None, 2)
    with pytest.raises(InputError, match="safe_mode=False"):
        layers.TorchModuleWrapper.from_config(config)
    clone = layers.TorchModuleWrapper.from_config(config, safe_mode=False)
    x = torch.randn(3, 4)
    assert torch.equal(clone(x), layer(x))
    assert clone.compute_output_shape((None, 4)) == (None, 2)


def test_lazy_modules_must_be_initialized():
    with pytest.raises(InputError, match="initialized"):
        layers.TorchModuleWrapper(torch.nn.LazyLinear(3))
    with pytest.raises(InputError, match=r"torch\.nn\.Module"):
        layers.TorchModuleWrapper(lambda x: x)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: layers.JaxLayer(lambda params, x: x), "TorchModuleWrapper"),
        (lambda: layers.FlaxLayer(object()), "TorchModuleWrapper"),
        (lambda: layers.TFSMLayer("saved_model_dir"), "load_weights"),
    ],
    ids=["JaxLayer", "FlaxLayer", "TFSMLayer"],
)
def test_backend_bound_layers_name_the_alternative(make, match):
    with pytest.raises(TorchbridgeError, match=match) as info:
        make()
    assert isinstance(info.value, NotImplementedError)
