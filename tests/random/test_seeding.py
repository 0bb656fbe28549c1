"""keras.random's API and seeding on torch: every public name of Keras's keras.random exists
with Keras's signature; int seeds repeat, SeedGenerators advance, set_random_seed fixes
``seed=None`` draws, and torch's global RNG is never touched."""

from __future__ import annotations

import copy
import inspect
import pickle
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge
import torchbridge.random as tbr
from torchbridge.errors import InputError

KERAS_NAMES = sorted(n for n in dir(keras.random) if not n.startswith("_"))

# One small call per draw, given the seed.
DRAWS: dict[str, Callable[[Any], Any]] = {
    "normal": lambda s: tbr.normal((64,), seed=s),
    "uniform": lambda s: tbr.uniform((64,), seed=s),
    "truncated_normal": lambda s: tbr.truncated_normal((64,), seed=s),
    "randint": lambda s: tbr.randint((64,), 0, 1000, seed=s),
    "categorical": lambda s: tbr.categorical(np.zeros((2, 50)), 32, seed=s),
    "dropout": lambda s: tbr.dropout(torch.ones(64), 0.5, seed=s),
    "shuffle": lambda s: tbr.shuffle(torch.arange(64), seed=s),
    "gamma": lambda s: tbr.gamma((64,), 2.0, seed=s),
    "beta": lambda s: tbr.beta((64,), 2.0, 2.0, seed=s),
    "binomial": lambda s: tbr.binomial((64,), 100, 0.5, seed=s),
}


def test_every_public_name_of_keras_random_exists() -> None:
    missing = [n for n in KERAS_NAMES if not hasattr(tbr, n)]
    assert not missing, f"torchbridge.random lacks {missing}"
    assert sorted(tbr.__all__) == KERAS_NAMES
    assert sorted(DRAWS) == [n for n in KERAS_NAMES if n != "SeedGenerator"]
    assert torchbridge.random is tbr


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_signature_equals_keras(name: str) -> None:
    ours, theirs = getattr(tbr, name), getattr(keras.random, name)
    ours_sig, theirs_sig = inspect.signature(ours), inspect.signature(theirs)
    strip = [p.replace(annotation=inspect.Parameter.empty) for p in ours_sig.parameters.values()]
    assert (
        ours_sig.replace(parameters=strip, return_annotation=inspect.Signature.empty) == theirs_sig
    )


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_int_seed_gives_the_same_values_on_every_call(name: str) -> None:
    first, second, other = DRAWS[name](1337), DRAWS[name](1337), DRAWS[name](1338)
    assert torch.equal(first, second)
    assert not torch.equal(first, other)


def test_keras_int_seed_and_seed_generator_behave_the_same_way() -> None:
    # The oracle: Keras repeats an int seed and advances a SeedGenerator.
    a, b = keras.random.normal((4,), seed=1337), keras.random.normal((4,), seed=1337)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    gen = keras.random.SeedGenerator(3)
    a, b = keras.random.normal((4,), seed=gen), keras.random.normal((4,), seed=gen)
    assert not np.array_equal(np.asarray(a), np.asarray(b))
    assert np.asarray(gen.state).tolist() == [3, 2]
    ours = tbr.SeedGenerator(3)
    tbr.normal((4,), seed=ours), tbr.normal((4,), seed=ours)
    assert ours.state.tolist() == [3, 2]


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_seed_generator_advances_and_replays_from_its_seed(name: str) -> None:
    gen = tbr.SeedGenerator(42)
    first, second = DRAWS[name](gen), DRAWS[name](gen)
    assert not torch.equal(first, second)
    replay = tbr.SeedGenerator(42)
    assert torch.equal(DRAWS[name](replay), first)
    assert torch.equal(DRAWS[name](replay), second)


def test_seed_generator_state_config_and_names() -> None:
    gen = tbr.SeedGenerator(7, name="noise")
    assert gen.state.dtype == torch.int64 and gen.state.tolist() == [7, 0]
    taken = gen.next()
    assert taken.tolist() == [7, 0] and gen.state.tolist() == [7, 1]
    assert gen.get_config() == {"seed": 7, "name": "noise"}
    clone = tbr.SeedGenerator.from_config(gen.get_config())
    assert clone.name == "noise" and clone.state.tolist() == [7, 0]
    unseeded = tbr.SeedGenerator()
    assert unseeded.get_config()["seed"] is None and unseeded.name.startswith("seed_generator")
    assert tbr.SeedGenerator().name != unseeded.name
    assert tbr.SeedGenerator(np.int64(5)).state.tolist() == [5, 0]  # type: ignore[arg-type]


@pytest.mark.parametrize("copier", [copy.deepcopy, lambda g: pickle.loads(pickle.dumps(g))])
def test_copied_seed_generator_keeps_its_own_advancing_state(copier: Callable[[Any], Any]) -> None:
    gen = tbr.SeedGenerator(11)
    tbr.normal((2,), seed=gen)
    twin = copier(gen)
    assert twin.state.tolist() == [11, 1] and twin.name == gen.name
    assert torch.equal(tbr.normal((4,), seed=twin), tbr.normal((4,), seed=gen))
    assert twin.state.tolist() == gen.state.tolist() == [11, 2]
    gen.state.copy_(torch.tensor([11, 0]))  # in-place edits (a weight load) are seen by draws
    assert torch.equal(tbr.normal((2,), seed=gen), tbr.normal((2,), seed=tbr.SeedGenerator(11)))


def test_seed_generator_state_is_on_cpu_under_a_device_context() -> None:
    with torch.device("meta"):
        gen = tbr.SeedGenerator(1)
        assert tbr.normal((2,), seed=gen).device.type == "meta"
    assert gen.state.device.type == "cpu" and gen.state.tolist() == [1, 1]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: tbr.SeedGenerator("a"), "must be an integer"),  # type: ignore[arg-type]
        (lambda: tbr.SeedGenerator(1.5), "must be an integer"),  # type: ignore[arg-type]
        (lambda: tbr.SeedGenerator(1, foo=2), "unexpected keyword arguments"),
        (lambda: tbr.normal((2,), seed=[1, 2]), "SeedGenerator"),
    ],
)
def test_bad_seeds_are_refused_with_the_fix(make: Callable[[], Any], match: str) -> None:
    with pytest.raises(InputError, match=match):
        make()
    assert issubclass(InputError, ValueError)  # as Keras's ValueError


def test_set_random_seed_fixes_unseeded_draws() -> None:
    torchbridge.utils.set_random_seed(123)
    first = [DRAWS[name](None) for name in sorted(DRAWS)]
    torchbridge.utils.set_random_seed(123)
    again = [DRAWS[name](None) for name in sorted(DRAWS)]
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not torch.equal(tbr.normal((64,)), tbr.normal((64,)))  # successive draws differ
    torchbridge.utils.set_random_seed(124)
    assert not torch.equal(DRAWS["normal"](None), first[sorted(DRAWS).index("normal")])


def test_unseeded_generators_are_fixed_by_set_random_seed() -> None:
    torchbridge.utils.set_random_seed(5)
    a = tbr.normal((8,), seed=tbr.SeedGenerator())
    torchbridge.utils.set_random_seed(5)
    assert torch.equal(tbr.normal((8,), seed=tbr.SeedGenerator()), a)


def test_global_draws_do_not_repeat_an_int_seed_of_the_same_value() -> None:
    torchbridge.utils.set_random_seed(99)
    assert not torch.equal(tbr.normal((16,)), tbr.normal((16,), seed=99))


def test_draws_leave_torch_global_rng_alone() -> None:
    before = torch.get_rng_state()
    for name in sorted(DRAWS):
        DRAWS[name](None)
        DRAWS[name](3)
        DRAWS[name](tbr.SeedGenerator(3))
    assert torch.equal(torch.get_rng_state(), before)


def test_floatx_is_the_default_float_dtype() -> None:
    from torchbridge.backend import config

    config.set_floatx("float64")
    try:
        assert tbr.normal((2,)).dtype == torch.float64
        assert tbr.dropout([1.0, 2.0], 0.5, seed=1).dtype == torch.float64  # Python floats → floatx
        assert tbr.binomial((2,), 3, 0.5).dtype == torch.float64
    finally:
        config.set_floatx("float32")
    assert tbr.gamma((2,), 1.0).dtype == torch.float32
