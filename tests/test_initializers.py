"""torchbridge.initializers against keras.initializers (Keras 3.15, TensorFlow backend).

Per initializer: shape and dtype of the values equal Keras's; the statistics of large
draws (mean, stddev, bounds) match the formula Keras uses — checked on Keras's draws
too, so the formula is Keras's; fans equal Keras's ``compute_fans``; seeds reproduce
(torchbridge's own values, not TensorFlow's bit stream); configs equal Keras's and
round-trip; Orthogonal is orthogonal; Identity, Constant, Zeros, Ones and STFT equal
Keras's values. A coverage test requires every public name of keras.initializers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import keras
import numpy as np
import pytest
import torch
from keras.src.initializers import ALL_OBJECTS_DICT
from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans

import torchbridge as tb
from torchbridge.errors import UnknownNameError

KERAS_NAMES = sorted(n for n in dir(keras.initializers) if not n.startswith("_"))
TRUNCATED_STDDEV = 0.87962566103423978  # stddev of a standard normal cut at ±2

Factory = Callable[[ModuleType], Any]

# name → (factory given the library, a weight shape it takes)
INITIALIZERS: dict[str, tuple[Factory, tuple[int, ...]]] = {
    "Zeros": (lambda k: k.initializers.Zeros(), (3, 4)),
    "Ones": (lambda k: k.initializers.Ones(), (3, 4)),
    "Constant": (lambda k: k.initializers.Constant(2.5), (3, 4)),
    "Identity": (lambda k: k.initializers.Identity(gain=2.0), (3, 5)),
    "STFT": (lambda k: k.initializers.STFT(), (8, 1, 5)),
    "RandomNormal": (lambda k: k.initializers.RandomNormal(1.0, 2.0, seed=1), (3, 4)),
    "RandomUniform": (lambda k: k.initializers.RandomUniform(-1.0, 3.0, seed=1), (3, 4)),
    "TruncatedNormal": (lambda k: k.initializers.TruncatedNormal(0.5, 2.0, seed=1), (3, 4)),
    "VarianceScaling": (lambda k: k.initializers.VarianceScaling(seed=1), (3, 3, 2, 4)),
    "GlorotNormal": (lambda k: k.initializers.GlorotNormal(seed=1), (3, 4)),
    "GlorotUniform": (lambda k: k.initializers.GlorotUniform(seed=1), (3, 4)),
    "HeNormal": (lambda k: k.initializers.HeNormal(seed=1), (3, 4)),
    "HeUniform": (lambda k: k.initializers.HeUniform(seed=1), (3, 4)),
    "LecunNormal": (lambda k: k.initializers.LecunNormal(seed=1), (3, 4)),
    "LecunUniform": (lambda k: k.initializers.LecunUniform(seed=1), (3, 4)),
    "Orthogonal": (lambda k: k.initializers.Orthogonal(gain=1.5, seed=1), (4, 3)),
}


def _numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(keras.ops.convert_to_numpy(value))


def _dtype_name(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return str(value.dtype).removeprefix("torch.")
    return keras.backend.standardize_dtype(value.dtype)


# --- coverage ---------------------------------------------------------------------------------
def test_every_public_name_exists() -> None:
    ours = set(dir(tb.initializers))
    assert [n for n in KERAS_NAMES if n not in ours] == []
    assert set(KERAS_NAMES) <= set(tb.initializers.__all__)


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_names_are_what_keras_names_are(name: str) -> None:
    theirs, ours = getattr(keras.initializers, name), getattr(tb.initializers, name)
    assert isinstance(ours, type) == isinstance(theirs, type)
    assert ours.__name__ == theirs.__name__  # aliases are the classes (glorot_uniform ...)


def test_every_initializer_is_in_the_table() -> None:
    classes = {c.__name__ for c in ALL_OBJECTS_DICT.values()} - {"Initializer"}
    assert sorted(classes) == sorted(INITIALIZERS)


# --- values: shape, dtype, statistics ---------------------------------------------------------
@pytest.mark.parametrize("dtype", [None, "float16", "float32", "float64"])
@pytest.mark.parametrize("name", INITIALIZERS)
def test_shape_and_dtype_as_keras(name: str, dtype: str | None) -> None:
    factory, shape = INITIALIZERS[name]
    theirs = factory(keras)(shape, dtype=dtype)
    ours = factory(tb)(shape, dtype=dtype)
    assert isinstance(ours, torch.Tensor)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert _dtype_name(ours) == _dtype_name(theirs)
    assert torch.isfinite(ours).all()


@pytest.mark.parametrize("name", ["Zeros", "Ones", "Constant", "Identity", "STFT"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_deterministic_values_equal_keras(name: str, dtype: str) -> None:
    factory, shape = INITIALIZERS[name]
    np.testing.assert_allclose(
        _numpy(factory(tb)(shape, dtype=dtype)),
        _numpy(factory(keras)(shape, dtype=dtype)),
        rtol=1e-6,
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"side": "imag"},
        {"window": "hamming", "periodic": True},
        {"scaling": "spectrum"},
        {"scaling": None},
        {"window": None},
        {"window": "blackman", "side": "imag"},
    ],
)
def test_stft_options_equal_keras(kwargs: dict[str, Any]) -> None:
    ours = tb.initializers.STFT(**kwargs)((16, 2, 9))
    theirs = keras.initializers.STFT(**kwargs)((16, 2, 9))
    # Keras evaluates cos/sin of large arguments in float32: ~1e-6 of rounding
    np.testing.assert_allclose(ours.numpy(), _numpy(theirs), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("value", "dtype"), [(3, "int32"), (1, "bool"), ([1.0, -2.0], "float32"), (0.5, "float16")]
)
def test_constant_values_and_dtypes(value: Any, dtype: str) -> None:
    ours = tb.initializers.Constant(value)((3, 2), dtype=dtype)
    theirs = keras.initializers.Constant(value)((3, 2), dtype=dtype)
    assert _dtype_name(ours) == _dtype_name(theirs)
    np.testing.assert_array_equal(ours.numpy(), _numpy(theirs))


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
@pytest.mark.parametrize("name", ["Zeros", "Ones"])
def test_zeros_ones_take_any_dtype(name: str, dtype: str) -> None:
    ours = getattr(tb.initializers, name)()((2, 3), dtype=dtype)
    theirs = getattr(keras.initializers, name)()((2, 3), dtype=dtype)
    assert _dtype_name(ours) == _dtype_name(theirs)
    np.testing.assert_array_equal(ours.numpy(), _numpy(theirs))


STAT_SHAPE = (3, 3, 64, 128)  # a Conv2D kernel: fan_in 576, fan_out 1152; 73,728 values


def _stats_cases() -> dict[str, tuple[Factory, float, float, float | None]]:
    """name → (factory, expected mean, expected stddev, bound (|x - mean| <=) or None)."""
    fan_in, fan_out = 3 * 3 * 64, 3 * 3 * 128
    cases: dict[str, tuple[Factory, float, float, float | None]] = {
        "RandomNormal": (lambda k: k.initializers.RandomNormal(1.0, 2.0), 1.0, 2.0, None),
        "RandomUniform": (
            lambda k: k.initializers.RandomUniform(-1.0, 3.0),
            1.0,
            4.0 / math.sqrt(12.0),
            2.0,
        ),
        "TruncatedNormal": (
            lambda k: k.initializers.TruncatedNormal(0.5, 2.0),
            0.5,
            2.0 * TRUNCATED_STDDEV,
            4.0,
        ),
    }
    fans = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}
    for mode, n in fans.items():
        for distribution in ("truncated_normal", "untruncated_normal", "uniform", "normal"):
            std = math.sqrt(2.0 / n)
            bound = {"uniform": math.sqrt(3.0) * std, "untruncated_normal": None}.get(
                distribution, 2.0 * std / TRUNCATED_STDDEV
            )

            def factory(k: ModuleType, mode: str = mode, distribution: str = distribution) -> Any:
                return k.initializers.VarianceScaling(2.0, mode, distribution)

            cases[f"VarianceScaling-{mode}-{distribution}"] = (factory, 0.0, std, bound)
    named = {
        "GlorotNormal": (fans["fan_avg"], 1.0, False),
        "GlorotUniform": (fans["fan_avg"], 1.0, True),
        "HeNormal": (fan_in, 2.0, False),
        "HeUniform": (fan_in, 2.0, True),
        "LecunNormal": (fan_in, 1.0, False),
        "LecunUniform": (fan_in, 1.0, True),
    }
    for name, (n, scale, uniform) in named.items():
        std = math.sqrt(scale / n)
        bound = math.sqrt(3.0) * std if uniform else 2.0 * std / TRUNCATED_STDDEV

        def named_factory(k: ModuleType, name: str = name) -> Any:
            return getattr(k.initializers, name)()

        cases[name] = (named_factory, 0.0, std, bound)
    return cases


STATS = _stats_cases()


@pytest.mark.parametrize("library", ["torchbridge", "keras"])
@pytest.mark.parametrize("name", STATS)
def test_statistics_match_keras_formula(name: str, library: str) -> None:
    factory, mean, std, bound = STATS[name]
    values = _numpy(factory(tb if library == "torchbridge" else keras)(STAT_SHAPE)).astype("f8")
    n = values.size
    assert abs(values.mean() - mean) < 5 * std / math.sqrt(n)
    assert values.std() == pytest.approx(std, rel=0.02)
    if bound is not None:
        assert np.abs(values - mean).max() <= bound * (1 + 1e-6)
        assert np.abs(values - mean).max() > 0.95 * bound  # the whole range is used


# --- fans ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("shape", "axes"),
    [
        ((), None),
        ((7,), None),
        ((3, 5), None),
        ((3, 3, 4, 8), None),
        ((2, 3, 4, 5, 6), None),
        ((4, 2, 8), ((0,), (1, 2))),
        ((4, 2, 8), ((0, 1), (2,))),
    ],
)
def test_fans_equal_keras(shape: tuple[int, ...], axes: Any) -> None:
    kwargs = {} if axes is None else {"input_axes": axes[0], "output_axes": axes[1]}
    assert tb.initializers.compute_fans(shape, **kwargs) == keras_compute_fans(shape, **kwargs)


def test_fan_axes_change_the_scale() -> None:
    # (heads, head_dim, out) with fan_in over axes (0, 1): limit sqrt(3 / 16)
    init = tb.initializers.VarianceScaling(1.0, "fan_in", "uniform", 0, [0, 1], [2])
    values = init((4, 4, 64))
    assert values.abs().max() <= math.sqrt(3.0 / 16)
    assert values.abs().max() > 0.9 * math.sqrt(3.0 / 16)


# --- seeds -------------------------------------------------------------------------------------
SEEDED = [n for n in INITIALIZERS if n not in ("Zeros", "Ones", "Constant", "Identity", "STFT")]


@pytest.mark.parametrize("name", SEEDED)
def test_seeded_draws_reproduce(name: str) -> None:
    factory, shape = INITIALIZERS[name]
    first = factory(tb)
    again = first(shape)
    assert torch.equal(first(shape), again)  # an int seed repeats on every call
    assert torch.equal(factory(tb)(shape), again)  # and in every instance
    config = first.get_config()
    assert not torch.equal(type(first).from_config({**config, "seed": 2})(shape), again)


def test_unseeded_draws_are_fresh_and_follow_torch_manual_seed() -> None:
    # Keras fixes an unseeded instance's values; torchbridge draws anew (layers share one
    # instance across same-shaped weights, e.g. attention's query/key/value kernels)
    init = tb.initializers.GlorotUniform()
    assert not torch.equal(init((4, 5)), init((4, 5)))
    torch.manual_seed(7)
    a = tb.initializers.HeNormal()((6, 3))
    torch.manual_seed(7)
    b = tb.initializers.HeNormal()((6, 3))
    assert torch.equal(a, b)


def test_attention_sublayers_sharing_an_initializer_differ() -> None:
    layer = tb.layers.MultiHeadAttention(2, 4, kernel_initializer=tb.initializers.GlorotUniform())
    x = torch.randn(1, 3, 8)
    layer(x, x)
    kernels = [p for n, p in layer.named_parameters() if n.endswith("kernel")]
    assert len(kernels) == 4 and not torch.equal(kernels[0], kernels[1])


def test_a_seed_generator_gives_new_values_each_call_reproducibly() -> None:
    a = tb.initializers.RandomNormal(seed=tb.random.SeedGenerator(3))
    b = tb.initializers.RandomNormal(seed=tb.random.SeedGenerator(3))
    first = a((3, 3))
    assert not torch.equal(first, a((3, 3)))
    assert torch.equal(first, b((3, 3)))


def test_a_bad_seed_is_refused() -> None:
    with pytest.raises(ValueError, match="seed"):
        tb.initializers.RandomNormal(seed="1")


def test_random_initializers_refuse_integer_dtypes() -> None:
    with pytest.raises(ValueError, match="dtype"):
        tb.initializers.RandomNormal()((2, 2), dtype="int32")


# --- Orthogonal, Identity -------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6), (2, 3, 4), (3, 3, 2, 5)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_orthogonal_is_orthogonal(shape: tuple[int, ...], dtype: str) -> None:
    gain = 1.5
    values = tb.initializers.Orthogonal(gain=gain, seed=3)(shape, dtype=dtype)
    assert str(values.dtype) == f"torch.{dtype}"
    q = values.double().reshape(-1, shape[-1])
    gram = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
    tol = 1e-2 if dtype == "float16" else 1e-5
    torch.testing.assert_close(gram, gain**2 * torch.eye(gram.shape[0], dtype=gram.dtype), rtol=tol, atol=tol)  # fmt: skip


def test_orthogonal_needs_two_dimensions() -> None:
    with pytest.raises(ValueError, match="at least two-dimensional"):
        tb.initializers.Orthogonal()((5,))


def test_identity_refuses_other_ranks() -> None:
    with pytest.raises(ValueError, match="2D matrices"):
        tb.initializers.Identity()((2, 2, 2))


# --- configs ---------------------------------------------------------------------------------------
CONFIG_CASES: dict[str, Factory] = {
    **{name: factory for name, (factory, _) in INITIALIZERS.items()},
    "Constant-array": lambda k: k.initializers.Constant(np.array([1.0, 2.0])),
    "STFT-options": lambda k: k.initializers.STFT("imag", "hamming", None, True),
    "VarianceScaling-all": lambda k: k.initializers.VarianceScaling(
        0.5, "fan_avg", "normal", 4, [0], [1]
    ),
    "GlorotUniform-axes": lambda k: k.initializers.GlorotUniform(None, [0, 1], [2]),
    "RandomNormal-unseeded": lambda k: k.initializers.RandomNormal(),
    "HeUniform-seed-generator": lambda k: k.initializers.HeUniform(
        k.random.SeedGenerator(3, name="seeds")
    ),
}


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("name", CONFIG_CASES)
def test_config_equals_keras_and_round_trips(name: str) -> None:
    factory = CONFIG_CASES[name]
    ours, theirs = factory(tb), factory(keras)
    written = _json(tb.initializers.serialize(ours))
    assert written == _json(keras.initializers.serialize(theirs))
    again = tb.initializers.deserialize(written)
    assert type(again) is type(ours)
    if hasattr(ours, "seed"):  # an int stays an int, a SeedGenerator a SeedGenerator
        assert type(again.seed) is type(ours.seed)
    assert _json(again.get_config()) == written["config"]
    assert _json(tb.initializers.get(written).get_config()) == written["config"]
    assert _json(ours.clone().get_config()) == written["config"]


@pytest.mark.parametrize("name", sorted(ALL_OBJECTS_DICT))
def test_get_by_every_keras_name(name: str) -> None:
    # (Keras's own get("constant") fails: its Constant.from_config needs "value")
    assert type(tb.initializers.get(name)).__name__ == ALL_OBJECTS_DICT[name].__name__


def test_get_other_identifiers() -> None:
    assert tb.initializers.get(None) is None
    assert isinstance(tb.initializers.get(tb.initializers.Ones), tb.initializers.Ones)
    init = tb.initializers.HeNormal()
    assert tb.initializers.get(init) is init
    value = np.arange(6.0).reshape(2, 3)
    from_value = tb.initializers.get(value)
    np.testing.assert_array_equal(from_value((2, 3), dtype="float64").numpy(), value)
    with pytest.raises(ValueError, match=r"Expected `shape` to be \(2, 3\)"):
        from_value((3, 2))
    with pytest.raises(UnknownNameError, match="glorot_uniform"):
        tb.initializers.get("glorot_unifrom")


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: tb.initializers.VarianceScaling(scale=0.0), "scale"),
        (lambda: tb.initializers.VarianceScaling(mode="fan"), "mode"),
        (lambda: tb.initializers.VarianceScaling(distribution="gamma"), "distribution"),
        (lambda: tb.initializers.STFT(side="both"), "side"),
        (lambda: tb.initializers.STFT(scaling="power"), "Scaling"),
    ],
)
def test_bad_arguments_are_refused_as_keras(make: Callable[[], Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        make()


def test_layers_keep_builtin_configs_and_take_initializer_objects() -> None:
    config = keras.initializers.serialize(keras.initializers.HeNormal(seed=5))
    assert tb.initializers.deserialize_custom(config) is config
    layer = tb.layers.Dense(3, kernel_initializer=tb.initializers.HeNormal(seed=5))
    assert _json(layer.get_config()["kernel_initializer"]) == _json(config)
    layer.build_from_shape((None, 4))
    assert layer.kernel is not None
    assert torch.equal(layer.kernel.detach(), tb.initializers.HeNormal(seed=5)((4, 3)))
