"""Differential tests of keras.ops.nn statistics, normalization and encodings
(ops/nn_normalization.py, ops/nn_encoding.py) against Keras 3.15 on TensorFlow: values,
shapes and dtype names over dtypes, axes, scalars and empty inputs, and errors."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import torchbridge.ops as tb_ops

FLOATS = ["float16", "float32", "float64"]
NUMBERS = ["int32", "int64", *FLOATS]

#: (name, args, kwargs, dtypes): args are harness specs with ``{}`` for the dtype.
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], list[str]]] = [
    ("moments", ("{}[4,5,3]", [0]), {}, NUMBERS),
    ("moments", ("{}[4,5,3]", (0, 2)), {"keepdims": True}, NUMBERS),
    ("moments", ("{}[4,5]", 1), {}, FLOATS),
    ("moments", ("{}[0,3]", [1]), {}, FLOATS),
    ("moments", ("{}[6]", [0]), {"synchronized": True}, FLOATS),
    ("normalize", ("{}[3,4]",), {}, FLOATS),
    ("normalize", ("{}[3,4]",), {"axis": 0, "order": 1}, NUMBERS),
    ("normalize", ("{}[2,3,4]",), {"axis": (1, 2)}, FLOATS),
    ("normalize", ("{}[2,3,4]",), {"axis": (1, 2), "order": 1}, FLOATS),
    ("normalize", ("{}[3,4]",), {"order": 3, "epsilon": 0.5}, FLOATS),
    ("normalize", ("{}[]",), {}, FLOATS),
    ("normalize", ("{}[0,4]",), {}, FLOATS),
    ("layer_normalization", ("{}[3,4]",), {}, NUMBERS),
    ("layer_normalization", ("{}[3,4]", "{}[4]", "{}[4]"), {}, FLOATS),
    ("layer_normalization", ("{}[2,3,4]", "{}[3,4]"), {"axis": (1, 2)}, FLOATS),
    ("layer_normalization", ("{}[2,3,4]", "{}[3]", "{}[3]"), {"axis": 1}, FLOATS),
    ("layer_normalization", ("{}[2,3,4]", None, "{}[2,4]"), {"axis": (0, 2)}, FLOATS),
    ("layer_normalization", ("{}[3,4]",), {"epsilon": 0.1}, FLOATS),
    ("rms_normalization", ("{}[3,4]",), {}, NUMBERS),
    ("rms_normalization", ("{}[3,4]", "{}[4]"), {}, FLOATS),
    ("rms_normalization", ("{}[2,3,4]", "{}[3]"), {"axis": 1, "epsilon": 0.01}, FLOATS),
    ("rms_normalization", ("{}[2,3,4]", "{}[3,4]"), {"axis": (1, 2)}, FLOATS),
    ("rms_normalization", ("{}[]",), {}, FLOATS),
    ("batch_normalization", ("{}[4,3]", "{}[3]", "float64[3]"), {"axis": -1}, FLOATS),
    (
        "batch_normalization",
        ("{}[2,3,4]", "{}[3]", "{}[3]", 1),
        {"offset": "{}[3]", "scale": "{}[3]"},
        FLOATS,
    ),
    ("batch_normalization", ("{}[4,3]", "{}[3]", "{}[3]", -1), {"epsilon": 0.5}, FLOATS),
    ("one_hot", ("{}[4]", 5), {}, NUMBERS),
    ("one_hot", ("{}[2,3]", 4), {"axis": 0}, ["int32", "int64"]),
    ("one_hot", ("{}[2,3]", 4), {"axis": 1, "dtype": "int32"}, ["int32"]),
    ("one_hot", ("{}[2,3]", 4), {"dtype": "bool"}, ["int64"]),
    ("one_hot", ("{}[0]", 3), {}, ["int32"]),
    ("one_hot", ("{}[]", 3), {}, ["int32"]),
    ("multi_hot", ("{}[4]", 6), {}, NUMBERS),
    ("multi_hot", ("{}[2,5]", 6), {}, ["int32", "int64"]),
    ("multi_hot", ("{}[2,5]", 6), {"dtype": "bool"}, ["int32"]),
    ("multi_hot", ("{}[2,5]", 6), {"dtype": "int64", "axis": 1}, ["int32"]),
    ("multi_hot", ("{}[2,3,4]", 6), {}, ["int32"]),
    ("polar", ("{}[3,4]", "{}[3,4]"), {}, ["float32", "float64"]),
    ("polar", ("{}[3,4]", "{}[4]"), {}, ["float32"]),
]


def _fill(spec: Any, dtype: str) -> Any:
    return spec.format(dtype) if isinstance(spec, str) else spec


def _id(case: Any) -> str:
    name, args, kwargs, _ = case
    return f"{name}-{len(args)}args-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_matches_keras(ops_oracle: Any, case: Any) -> None:
    name, args, kwargs, dtypes = case
    for seed, dtype in enumerate(dtypes):
        filled = [_fill(a, dtype) for a in args]
        kw = {k: _fill(v, dtype) for k, v in kwargs.items()}
        if name == "batch_normalization":  # variances must be positive
            values = ops_oracle.inputs(*filled, seed=seed)
            values[2] = np.abs(values[2]).astype(values[1].dtype)
            ops_oracle.compare(name, *values, seed=seed, **kw)
            continue
        rtol = 5e-3 if dtype == "float16" and name in ("layer_normalization", "moments") else None
        ops_oracle.compare(f"nn.{name}", *filled, seed=seed, rtol=rtol, atol=rtol, **kw)


def test_one_hot_of_out_of_range_negative_and_float_indices_matches_keras(ops_oracle: Any) -> None:
    ops_oracle.compare("one_hot", np.array([-1, 0, 5, 2, 4]), 5)
    ops_oracle.compare("one_hot", np.array([1.7, -0.5, 2.2], "float32"), 3)
    ops_oracle.compare("one_hot", [0, 2], 3)
    ops_oracle.compare("multi_hot", np.array([[1, 1, 3], [-1, 7, 0]]), 5)
    ops_oracle.compare("multi_hot", np.array([1, 1, 3]), num_tokens=5)


def test_python_inputs_match_keras(ops_oracle: Any) -> None:
    ops_oracle.compare("polar", 1.0, 0.5)
    ops_oracle.compare("normalize", [[3.0, 4.0]])
    # Keras's moments refuses Python lists (it reads x.dtype); ours converts them
    mean, variance = tb_ops.moments([[1.0, 2.0], [3.0, 5.0]], [0])
    assert mean.tolist() == [2.0, 3.5] and variance.tolist() == [1.0, 2.25]


@pytest.mark.parametrize("dtype", ["bool", "int32", "int64"])
def test_normalize_computes_integer_inputs_in_floatx(dtype: str) -> None:
    """Keras's TF backend refuses integer inputs for the L2 case (rsqrt); we compute in
    floatx, as for its L1 case: compare with Keras on the cast input."""
    import keras

    x = np.random.default_rng(0).integers(-3, 4, size=(3, 4)).astype(dtype)
    expected = keras.ops.convert_to_numpy(keras.ops.normalize(x.astype("float32")))
    got = tb_ops.normalize(torch.from_numpy(x))
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_sparse_one_hot_holds_the_dense_values() -> None:
    x = torch.tensor([[0, 2], [1, -1]])
    sparse = tb_ops.one_hot(x, 3, sparse=True)
    assert sparse.is_sparse
    torch.testing.assert_close(sparse.to_dense(), tb_ops.one_hot(x, 3))
    multi = tb_ops.multi_hot(x, 3, sparse=True)
    torch.testing.assert_close(multi.to_dense(), tb_ops.multi_hot(x, 3))


def test_layer_normalization_rms_scaling_warns_like_keras(ops_oracle: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ops_oracle.compare("layer_normalization", "float32[3,4]", "float32[4]", rms_scaling=True)
    with pytest.warns(UserWarning, match="deprecated"):
        tb_ops.layer_normalization(torch.ones(2, 3), rms_scaling=True)


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "error", "match"),
    [
        ("moments", ("float32[3,4]", [2]), {}, ValueError, "moments: axis 2 is out of range"),
        ("moments", ("bool[3,4]", [0]), {}, TypeError, "moments: a bool input"),
        ("normalize", ("float32[3]",), {"order": 0}, ValueError, "order` must be an int >= 1"),
        ("normalize", ("float32[3,4]",), {"axis": 3}, ValueError, "normalize: axis 3 is out"),
        ("layer_normalization", ("float32[3]",), {"axis": 1}, ValueError, "axis 1 is out"),
        ("rms_normalization", ("float32[3]",), {"axis": -2}, ValueError, "axis -2 is out"),
        ("one_hot", ("int32[3]", 4), {"axis": 2}, ValueError, "one_hot: axis 2 is out of range"),
        ("multi_hot", ("int32[3]",), {}, ValueError, "`num_classes` must be specified"),
    ],
)
def test_errors_name_the_op_and_argument(
    ops_oracle: Any, name: str, args: Any, kwargs: Any, error: Any, match: str
) -> None:
    assert isinstance(ops_oracle.compare(name, *args, **kwargs), Exception)  # Keras refuses too
    values = [
        torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in ops_oracle.inputs(*args)
    ]
    with pytest.raises(error, match=match):
        getattr(tb_ops, name)(*values, **kwargs)
