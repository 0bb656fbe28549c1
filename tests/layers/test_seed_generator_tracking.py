"""A layer's ``SeedGenerator`` attributes: their states are non-trainable ``variables``
(after the layer's own weights, before its sublayers'), never ``weights`` — as in Keras."""

from __future__ import annotations

from typing import Any

import keras
import pytest
import torch

import torchbridge


def _classes(lib: Any) -> tuple[type, type]:
    class Inner(lib.layers.Layer):
        def __init__(self) -> None:
            super().__init__()
            self.sg = lib.random.SeedGenerator(1)

        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(shape=(2,), name="w")
            self.b = self.add_weight(shape=(2,), name="b", trainable=False)

        def call(self, x: Any) -> Any:
            return x

    class Outer(lib.layers.Layer):
        def __init__(self) -> None:
            super().__init__()
            self.inner = Inner()
            self.gens = [lib.random.SeedGenerator(2), lib.random.SeedGenerator(3)]

        def build(self, input_shape: Any) -> None:
            self.inner.build(input_shape)
            self.v = self.add_weight(shape=(1,), name="v")

        def call(self, x: Any) -> Any:
            return x

    return Inner, Outer


def _kinds(lib: Any, layer: Any, attr: str) -> list[str]:
    """Each variable as 'seed' or its variable name (the seed states' names differ)."""
    out = []
    for v in getattr(layer, attr):
        is_seed = (v.dtype == torch.int64) if lib is torchbridge else "seed_generator" in v.path
        out.append("seed" if is_seed else v.path.split("/")[-1])
    return out


ATTRS = [
    "weights",
    "variables",
    "trainable_variables",
    "non_trainable_variables",
    "trainable_weights",
    "non_trainable_weights",
]


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("attr", ATTRS)
@pytest.mark.parametrize("trainable", [True, False])
def test_lists_match_keras(which: int, attr: str, trainable: bool) -> None:
    ours = _classes(torchbridge)[which]()
    theirs = _classes(keras)[which]()
    for layer in (ours, theirs):
        layer.build((1, 2))
        layer.trainable = trainable
    assert _kinds(torchbridge, ours, attr) == _kinds(keras, theirs, attr)


def test_states_are_the_generators_own() -> None:
    outer_cls = _classes(torchbridge)[1]
    layer = outer_cls()
    layer.build((1, 2))
    states = [v for v in layer.variables if v.dtype == torch.int64]
    expected = [g.state for g in layer.gens] + [layer.inner.sg.state]
    assert len(states) == 3 and all(a is b for a, b in zip(states, expected))
    assert layer.count_params() == 5  # seed states are not weights
    assert len(layer.get_weights()) == 3


def test_layer_without_generators_keeps_variables_equal_to_weights() -> None:
    dense = torchbridge.layers.Dense(3)
    dense.build((None, 2))
    assert [id(v) for v in dense.variables] == [id(w) for w in dense.weights]
    assert dense.non_trainable_variables == []
