"""torchbridge.ops shape manipulation (ops/numpy_shapes.py) against keras.ops on the
TensorFlow backend: one table of cases, each run over every dtype, plus the
list-taking joins over dtype pairs, errors, and the places where we follow NumPy
(and Keras's other backends) rather than TensorFlow's narrower behaviour.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest
import torch

import torchbridge.ops as ops
from torchbridge.ops import numpy_shapes

DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]

# (name, args, kwargs); "{d}" in a spec is replaced by each dtype of DTYPES.
CASES: list[tuple[str, list[Any], dict[str, Any]]] = [
    ("append", ["{d}[2,3]", "{d}[4]"], {}),
    ("append", ["{d}[2,3]", "{d}[1,3]"], {"axis": 0}),
    ("append", ["{d}[0,3]", "{d}[2,3]"], {"axis": -2}),
    ("broadcast_to", ["{d}[3]", (2, 3)], {}),
    ("broadcast_to", ["{d}[]", (2,)], {}),
    ("broadcast_to", ["{d}[2,1]", [2, 0]], {}),
    ("diag", ["{d}[3]"], {"k": 1}),
    ("diag", ["{d}[3,4]"], {"k": -1}),
    ("diag", ["{d}[3,4]"], {}),
    ("diagflat", ["{d}[2,2]"], {"k": -1}),
    ("diagonal", ["{d}[2,3,4]"], {"offset": 1, "axis1": 1, "axis2": 2}),
    ("diagonal", ["{d}[3,3]"], {}),
    ("diagonal", ["{d}[4,3,2]"], {"offset": -1, "axis1": 0, "axis2": -1}),
    ("dsplit", ["{d}[2,2,4]", 2], {}),
    ("hsplit", ["{d}[2,4]", [1, 3]], {}),
    ("hsplit", ["{d}[6]", 3], {}),
    ("vsplit", ["{d}[4,2]", 2], {}),
    ("split", ["{d}[6,2]", 3], {}),
    ("split", ["{d}[2,6]", [1, 4]], {"axis": 1}),
    ("split", ["{d}[0,2]", 2], {}),
    ("array_split", ["{d}[7]", 3], {}),
    ("array_split", ["{d}[2,5]", 2], {"axis": -1}),
    ("expand_dims", ["{d}[2,3]", 1], {}),
    ("expand_dims", ["{d}[2,3]", -1], {}),
    ("expand_dims", ["{d}[]", 0], {}),
    ("expand_dims", ["{d}[2,3]", (0, -1)], {}),
    ("flip", ["{d}[2,3]"], {}),
    ("flip", ["{d}[2,3,4]"], {"axis": (0, 2)}),
    ("flip", ["{d}[2,3]"], {"axis": -1}),
    ("flip", ["{d}[]"], {}),
    ("fliplr", ["{d}[2,3]"], {}),
    ("flipud", ["{d}[3,2]"], {}),
    ("moveaxis", ["{d}[2,3,4]", 0, -1], {}),
    ("moveaxis", ["{d}[2,3,4]", (0, 1), (2, 0)], {}),
    ("ndim", ["{d}[2,3]"], {}),
    ("ndim", ["{d}[]"], {}),
    ("pad", ["{d}[2,3]", ((1, 2), (0, 1))], {}),
    ("pad", ["{d}[3]", 2], {}),
    ("pad", ["{d}[3]", (2, 1)], {}),
    ("pad", ["{d}[2,3]", ((1, 1), (2, 2))], {"mode": "reflect"}),
    ("pad", ["{d}[2,3]", ((2, 1), (3, 0))], {"mode": "symmetric"}),
    ("pad", ["{d}[0,3]", ((1, 0), (0, 1))], {}),
    ("ravel", ["{d}[2,3]"], {}),
    ("ravel", ["{d}[]"], {}),
    ("repeat", ["{d}[2,3]", 2], {}),
    ("repeat", ["{d}[2,3]", 2], {"axis": 1}),
    ("repeat", ["{d}[2,3]", [1, 0, 2]], {"axis": -1}),
    ("reshape", ["{d}[2,3]", (3, -1)], {}),
    ("reshape", ["{d}[6]", (2, 3)], {}),
    ("reshape", ["{d}[2,3]", 6], {}),
    ("reshape", ["{d}[0,3]", (3, 0)], {}),
    ("reshape", ["{d}[]", (1, 1)], {}),
    ("roll", ["{d}[2,3]", 1], {}),
    ("roll", ["{d}[2,3]", -1], {"axis": 1}),
    ("roll", ["{d}[2,3]", (1, 2)], {"axis": (0, 1)}),
    ("rot90", ["{d}[2,3]"], {}),
    ("rot90", ["{d}[2,3,3]", 2], {"axes": (1, 2)}),
    ("rot90", ["{d}[2,3]", -1], {}),
    ("rot90", ["{d}[2,3,4]", 3], {"axes": (2, 0)}),
    ("size", ["{d}[2,3]"], {}),
    ("size", ["{d}[0,3]"], {}),
    ("squeeze", ["{d}[1,3,1]"], {}),
    ("squeeze", ["{d}[1,3,1]"], {"axis": 0}),
    ("squeeze", ["{d}[1,3,1]"], {"axis": (0, -1)}),
    ("swapaxes", ["{d}[2,3,4]", 0, 2], {}),
    ("swapaxes", ["{d}[2,3,4]", -1, 1], {}),
    ("tile", ["{d}[2,3]", 2], {}),
    ("tile", ["{d}[2,3]", (2, 1, 2)], {}),
    ("tile", ["{d}[3]", (2, 2)], {}),
    ("transpose", ["{d}[2,3,4]"], {}),
    ("transpose", ["{d}[2,3,4]"], {"axes": (1, 0, 2)}),
    ("transpose", ["{d}[2,3]"], {"axes": (-1, 0)}),
    ("transpose", ["{d}[]"], {}),
    ("tril", ["{d}[3,4]"], {}),
    ("tril", ["{d}[3,4]"], {"k": -1}),
    ("tril", ["{d}[2,3,3]"], {"k": 1}),
    ("triu", ["{d}[3,4]"], {}),
    ("triu", ["{d}[3,4]"], {"k": 2}),
    ("triu", ["{d}[2,3,3]"], {"k": -1}),
    # Keras raises for these; so must we
    ("squeeze", ["{d}[1,3]"], {"axis": 1}),
    ("diagonal", ["{d}[3,3]"], {"axis1": 1, "axis2": -1}),
    ("reshape", ["{d}[2,3]", (4, -1)], {}),
    ("split", ["{d}[5]", 2], {}),
    ("rot90", ["{d}[3]"], {}),
    ("diag", ["{d}[2,2,2]"], {}),
    ("transpose", ["{d}[2,3]"], {"axes": (0, 0)}),
    ("array_split", ["{d}[3]", 0], {}),
]


def _fill(value: Any, dtype: str) -> Any:
    return value.replace("{d}", dtype) if isinstance(value, str) else value


def _case_id(case: tuple[str, list[Any], dict[str, Any]]) -> str:
    name, args, kwargs = case
    return f"{name}({', '.join(map(str, args))}{', ' if kwargs else ''}{kwargs or ''})"


def _each_dtype(check: Any, dtypes: list[str] = DTYPES) -> None:
    """``check(dtype)`` for every dtype, naming the dtype when one fails."""
    for dtype in dtypes:
        try:
            check(dtype)
        except AssertionError as exc:
            exc.add_note(f"dtype: {dtype}")
            raise


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_keras(ops_oracle: Any, case: tuple[str, list[Any], dict[str, Any]]) -> None:
    name, args, kwargs = case

    def check(dtype: str) -> None:
        result = ops_oracle.compare(
            name,
            *[_fill(a, dtype) for a in args],
            **{k: _fill(v, dtype) for k, v in kwargs.items()},
        )
        if isinstance(result, Exception):  # Keras refused: compare asserted that we raise too
            return
        for leaf in result if isinstance(result, list) else [result]:
            assert isinstance(leaf, (torch.Tensor, int))

    _each_dtype(check)


JOINS = [
    ("concatenate", [["{a}[2,3]", "{b}[1,3]"]], {}),
    ("concatenate", [["{a}[2,3]", "{b}[2,1]"]], {"axis": -1}),
    ("concatenate", [["{a}[0,3]", "{b}[2,3]", "{a}[1,3]"]], {}),
    ("stack", [["{a}[2,3]", "{b}[2,3]"]], {}),
    ("stack", [["{a}[3]", "{b}[3]"]], {"axis": -1}),
    ("stack", [["{a}[]", "{b}[]"]], {}),
    ("hstack", [["{a}[2,3]", "{b}[2,1]"]], {}),
    ("hstack", [["{a}[3]", "{b}[2]"]], {}),
    ("vstack", [["{a}[2,3]", "{b}[1,3]"]], {}),
    ("dstack", [["{a}[2,3,1]", "{b}[2,3,2]"]], {}),
    ("dstack", [["{a}[2,3]", "{b}[2,3]"]], {}),
    ("dstack", [["{a}[3]", "{b}[3]"]], {}),
]


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("case", JOINS, ids=_case_id)
def test_joins_match_keras_and_promote(ops_oracle: Any, case: Any, a: str) -> None:
    name, (specs,), kwargs = case
    # every second operand dtype for concatenate (promotion); the same dtype for the others
    others = DTYPES if name == "concatenate" else [a]

    def check(b: str) -> None:
        arrays = [np.asarray(x) for x in ops_oracle.inputs(*[s.format(a=a, b=b) for s in specs])]
        if name == "stack" and a == b == "int64":
            # Keras-on-TF stacks a list of int64 NumPy arrays as int32 (tf.stack's list
            # packing); Keras's result_type (and its other backends) keep int64.
            got = ops.stack(arrays, **kwargs)
            assert got.dtype == torch.int64
            np.testing.assert_array_equal(got.numpy(), np.stack(arrays, **kwargs))
        else:
            ops_oracle.compare(name, arrays, **kwargs)  # NumPy inputs on our side
        from_numpy = getattr(ops, name)(arrays, **kwargs)
        from_torch = getattr(ops, name)([torch.from_numpy(x.copy()) for x in arrays], **kwargs)
        assert from_torch.dtype == from_numpy.dtype
        assert torch.equal(from_torch, from_numpy)

    _each_dtype(check, others)


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [
        ("reshape", [[1, 2, 3, 4], (2, 2)], {}),
        ("reshape", [[1.5, 2.0], (2, 1)], {}),
        ("expand_dims", [3, 0], {}),
        ("expand_dims", [2.5, -1], {}),
        ("stack", [[1, 2.5, True]], {}),
        ("append", [[1, 2], 3.5], {}),
        ("tile", [[True, False], 2], {}),
        ("flip", [[[1, 2], [3, 4]]], {}),
        ("size", [[[1, 2], [3, 4]]], {}),
        ("ndim", [[[1, 2], [3, 4]]], {}),
        ("transpose", [[[1, 2], [3, 4]]], {}),
        ("pad", [[1, 2], (1, 0)], {"constant_values": 7}),
    ],
)
def test_python_inputs_match_keras(ops_oracle: Any, name: str, args: list[Any], kwargs: Any):
    ops_oracle.compare(name, *args, as_numpy=True, **kwargs)


@pytest.mark.parametrize(
    ("src", "dtype"),
    [
        ("float32[2,4]", "int32"),
        ("float32[2,4]", "int16"),
        ("int16[2,4]", "float32"),
        ("int64[3]", "float64"),
        ("float16[4]", "int16"),
        ("int32[2]", "uint8"),
        ("float32[]", "int32"),
        ("float32[]", "int16"),
        ("int16[3]", "int32"),
    ],
)
def test_view_matches_keras(ops_oracle: Any, src: str, dtype: str) -> None:
    ops_oracle.compare("view", src, dtype)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("pad_width", [1, (2, 1), ((1, 0), (4, 5)), ((0, 0), (7, 2))])
def test_pad_follows_numpy_beyond_tensorflow(mode: str, pad_width: Any) -> None:
    # TF only has constant/reflect/symmetric with per-axis widths no wider than the axis;
    # NumPy (and Keras's JAX/NumPy backends) also broadcast one pair and pad any width.
    x = np.arange(6, dtype="int32").reshape(2, 3)
    got = ops.pad(torch.from_numpy(x), pad_width, mode=mode)
    np.testing.assert_array_equal(got.numpy(), np.pad(x, pad_width, mode=mode))
    assert got.dtype == torch.int32


def test_diagonal_beyond_the_matrix_is_empty_as_in_numpy() -> None:
    # Keras-on-TF raises here (its diag_part check); NumPy, JAX and torch give an empty diagonal.
    x = np.arange(6.0).reshape(2, 3)
    got = ops.diagonal(torch.from_numpy(x), offset=5)
    assert tuple(got.shape) == np.diagonal(x, offset=5).shape == (0,)


@pytest.mark.parametrize("k", [-3, -1, 0, 1, 2, 3, 6])
@pytest.mark.parametrize("axes", [(0, 1), (1, 2), (2, 0), (-1, -2)])
def test_rot90_follows_numpy(k: int, axes: tuple[int, int]) -> None:
    # Keras-on-TF mis-shapes k=2 rotations of non-square planes; NumPy/JAX/torch agree.
    x = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(
        ops.rot90(torch.from_numpy(x), k, axes).numpy(), np.rot90(x, k, axes)
    )


def test_constant_pad_keeps_bool_and_values() -> None:
    got = ops.pad(torch.tensor([[True]]), ((1, 0), (0, 1)), constant_values=True)
    assert got.dtype == torch.bool and bool(got.all())
    got = ops.pad(torch.tensor([1.0, 2.0]), 1, constant_values=-3.0)
    assert got.tolist() == [-3.0, 1.0, 2.0, -3.0]


def test_vstack_hstack_follow_numpy_for_low_ranks() -> None:
    # Keras's TF backend concatenates 1-D vstack inputs into one row; NumPy/JAX/torch stack rows.
    a, b = np.arange(3.0, dtype="float32"), np.ones(3, "float32")
    np.testing.assert_array_equal(ops.vstack([a, b]).numpy(), np.vstack([a, b]))
    np.testing.assert_array_equal(ops.hstack([np.float32(1), b]).numpy(), np.hstack([1.0, b]))
    np.testing.assert_array_equal(ops.dstack([a]).numpy(), np.dstack([a]))


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: ops.expand_dims(torch.ones(2, 3), 3), ["expand_dims", "axis=3"]),
        (lambda: ops.squeeze(torch.ones(1, 3), 1), ["squeeze", "axis=1", "(1, 3)"]),
        (lambda: ops.swapaxes(torch.ones(2, 3), 0, 2), ["swapaxes", "axis2=2", "(2, 3)"]),
        (lambda: ops.moveaxis(torch.ones(2, 3), (0, 1), 0), ["moveaxis", "same number"]),
        (lambda: ops.reshape(torch.ones(2, 3), (4, -1)), ["reshape", "(2, 3)", "(4, -1)"]),
        (lambda: ops.concatenate([torch.ones(2, 3), torch.ones(2, 2)]), ["concatenate", "(2, 2)"]),
        (lambda: ops.stack([torch.ones(2), torch.ones(3)]), ["stack", "(3,)"]),
        (lambda: ops.split(torch.ones(5), 2), ["split", "size 5", "array_split"]),
        (lambda: ops.broadcast_to(torch.ones(3), (2, 2)), ["broadcast_to", "(3,)"]),
        (lambda: ops.pad(torch.ones(2, 2), 1, mode="median"), ["pad", "median"]),
        (lambda: ops.pad(torch.ones(2, 2), ((1, 1),) * 3), ["pad", "pad_width", "(2, 2)"]),
        (lambda: ops.pad(torch.ones(2), 1, mode="edge", constant_values=0), ["constant_values"]),
        (lambda: ops.view(torch.ones(3, dtype=torch.int16), "int32"), ["view", "int32"]),
        (lambda: ops.flip(torch.ones(2), axis=1), ["flip", "axis=1"]),
        (lambda: ops.tril(torch.ones(3)), ["tril", "(3,)"]),
        (lambda: ops.repeat(torch.ones(3), [1, 2]), ["repeat", "(3,)"]),
    ],
)
def test_errors_name_op_and_problem(call: Any, words: list[str]) -> None:
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_split_takes_numpy_and_tensor_counts_and_indices() -> None:
    x = torch.arange(6)
    for sections in (np.int64(3), torch.tensor(3), 3):
        assert [p.tolist() for p in ops.split(x, sections)] == [[0, 1], [2, 3], [4, 5]]
    for indices in (np.array([1, 4]), torch.tensor([1, 4]), (1, 4)):
        assert [p.tolist() for p in ops.split(x, indices)] == [[0], [1, 2, 3], [4, 5]]


def test_results_stay_on_input_device_and_views_where_torch_gives_them() -> None:
    x = torch.arange(6.0).reshape(2, 3)
    assert ops.transpose(x).data_ptr() == x.data_ptr()
    assert ops.expand_dims(x, 0).data_ptr() == x.data_ptr()
    assert ops.reshape(x, (3, 2)).data_ptr() == x.data_ptr()
    joined = ops.concatenate([x, np.ones((1, 3), "float32")])
    assert joined.device == x.device and joined.dtype == torch.float32


def test_module_exports_keras_names_only() -> None:
    import keras

    assert set(numpy_shapes.__all__) <= set(dir(keras.ops.numpy))
    for name in numpy_shapes.__all__:
        assert inspect.unwrap(getattr(ops.numpy, name)) is getattr(numpy_shapes, name)
