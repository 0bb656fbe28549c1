"""torchbridge.ops indexing, sorting, searching and counting (ops/numpy_indexing.py)
against keras.ops on the TensorFlow backend: a table of cases run over the dtypes
Keras accepts for each, plus properties where results are not unique
(argpartition, argsort with ties) and NumPy checks where we follow NumPy rather
than a TensorFlow artefact.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge.ops as ops
from torchbridge.ops import numpy_indexing

ALL = ["bool", "int32", "int64", "float16", "float32", "float64"]
NUMBERS = ALL[1:]
FLOATS = ["float16", "float32", "float64"]
INTS = ["int32", "int64"]


def arr(values: Any) -> Callable[[str], np.ndarray]:
    """A fixed array in the case's dtype."""
    return lambda dtype: np.array(values).astype(dtype)


# (name, args, kwargs, dtypes): "{d}" in a spec, or arr(...), takes each dtype.
CASES: list[tuple[str, list[Any], dict[str, Any], list[str]]] = [
    ("take", ["{d}[2,3]", np.array([0, -1, 2])], {}, ALL),
    ("take", ["{d}[2,3]", np.array([[0, 1], [2, -3]], "int64")], {"axis": 1}, ALL),
    ("take", ["{d}[2,3]", 1], {"axis": 0}, ALL),
    ("take", ["{d}[2,3]", np.zeros(0, "int32")], {"axis": -1}, ALL),
    ("take", ["{d}[]", np.array([0, 0])], {}, ALL),
    ("take_along_axis", ["{d}[2,3]", np.array([[0, 2], [1, -1]])], {"axis": 1}, ALL),
    ("take_along_axis", ["{d}[2,3]", np.array([[1, 0, 1]], "int32")], {"axis": 0}, ALL),
    ("take_along_axis", ["{d}[1,3]", np.array([[0, 2], [1, 1]])], {"axis": 1}, ALL),
    ("take_along_axis", ["{d}[4]", np.array([3, 0, -2])], {}, ALL),
    ("get_item", ["{d}[3,4]", 1], {}, ALL),
    ("get_item", ["{d}[3,4]", (slice(0, 2), -1)], {}, ALL),
    ("get_item", ["{d}[3,4]", (Ellipsis, None, slice(None, None, 2))], {}, ALL),
    ("get_item", ["{d}[3,4]", np.array([2, 0])], {}, ALL),
    ("nonzero", ["{d}[3,4]"], {}, ALL),
    ("nonzero", ["{d}[0]"], {}, ALL),
    ("sort", ["{d}[3,4]"], {}, ALL),
    ("sort", ["{d}[3,4]"], {"axis": 0}, ALL),
    ("sort", ["{d}[3,4]"], {"axis": None}, ALL),
    ("sort", ["{d}[0,2]"], {}, ALL),
    ("argsort", ["{d}[3,4]"], {}, FLOATS[1:]),  # no ties: the order is unique
    ("argsort", ["{d}[3,4]"], {"axis": 0}, FLOATS[1:]),
    ("argsort", ["{d}[3,4]"], {"axis": None}, FLOATS[1:]),
    ("argsort", ["{d}[]"], {}, ALL),
    ("searchsorted", [arr([-2, 0, 0, 3, 5]), "{d}[6]"], {}, NUMBERS),
    ("searchsorted", [arr([-2, 0, 0, 3, 5]), "{d}[7]"], {"side": "right"}, NUMBERS),
    ("searchsorted", [arr([0, 0, 1]), "{d}[4]"], {"side": "right"}, NUMBERS),
    ("isin", ["{d}[3,4]", "{d}[5]"], {}, ALL),
    ("isin", ["{d}[3,4]", "{d}[5]"], {"invert": True}, ALL),
    ("isin", ["{d}[6]", arr([0, 1, 3])], {"assume_unique": True}, ALL),
    ("isin", ["{d}[0]", "{d}[2]"], {}, ALL),
    ("isin", ["{d}[4]", 1], {}, ALL),
    ("isin", [arr([0.1, 0.5]), 0.1], {}, FLOATS),  # 0.1 compared as float32, as in Keras
    ("digitize", ["{d}[10]", [-1.0, 0.0, 2.5]], {}, ALL),
    ("digitize", ["{d}[2,5]", np.array([-3.0, 1.0])], {}, ALL),
    ("digitize", ["{d}[4]", [0.5]], {}, ALL),
    ("unique", [arr([3, 1, 2, 1, 3, 0])], {}, NUMBERS),  # TF cannot sort bool
    ("unique", ["{d}[12]"], {"return_counts": True, "return_inverse": True}, NUMBERS),
    ("unique", [arr([3, 1, 2, 1, 3, 0])], {"return_index": True, "sorted": False}, ALL),
    (
        "unique",
        [arr([[3, 1], [2, 1], [3, 1]])],
        {"return_index": True, "return_inverse": True, "return_counts": True},
        NUMBERS,
    ),
    ("unique", [arr([[1, 0, 0], [0, 1, 0], [1, 0, 0]])], {"axis": 0}, NUMBERS),
    (
        "unique",
        [arr([3, 1, 2, 1])],
        {"size": 6, "fill_value": 7, "return_counts": True, "return_index": True},
        NUMBERS,
    ),
    ("unique", [arr([3, 1, 2, 1])], {"size": 2, "return_inverse": True}, NUMBERS),
    ("unravel_index", [arr([0, 5, 11]), (3, 4)], {}, INTS),
    ("bincount", [arr([0, 1, 1, 3])], {}, [*INTS, "bool"]),
    ("bincount", [arr([0, 1, 1, 3])], {"minlength": 6}, INTS),
    ("bincount", [arr([[0, 1], [2, 2]])], {}, INTS),
    ("bincount", [np.array([0, 1, 1, 3]), "{d}[4]"], {}, ALL),
    ("bincount", [np.array([2, 2]), "{d}[2]"], {"minlength": 4}, ALL),
    ("histogram", ["{d}[20]"], {}, NUMBERS),
    ("histogram", ["{d}[20]"], {"bins": 4}, NUMBERS),
    ("histogram", ["{d}[20]"], {"bins": 5, "range": (-1.0, 2.0)}, FLOATS),
    ("histogram", ["{d}[20]"], {"bins": 3, "range": (-3, 3)}, INTS),
    # Keras raises for these; so must we
    ("searchsorted", ["{d}[2,2]", "{d}[3]"], {}, NUMBERS),
    ("take_along_axis", ["{d}[2,3]", np.array([[0, 1]])], {}, NUMBERS),
    ("histogram", ["{d}[2,3]"], {}, NUMBERS),
    ("histogram", ["{d}[3]"], {"bins": 2.5}, NUMBERS),
    ("histogram", ["{d}[3]"], {"range": (2, 1)}, NUMBERS),
]


def _fill(value: Any, dtype: str) -> Any:
    if isinstance(value, str):
        return value.replace("{d}", dtype)
    return value(dtype) if callable(value) else value


def _case_id(case: tuple[Any, ...]) -> str:
    name, args, kwargs, _ = case
    shown = [a.replace("{d}", "") if isinstance(a, str) else type(a).__name__ for a in args]
    return f"{name}({', '.join(shown)}{', ' if kwargs else ''}{kwargs or ''})"


def each_dtype(check: Callable[[str], None], dtypes: list[str]) -> None:
    """``check(dtype)`` for every dtype, naming the dtype when one fails."""
    for dtype in dtypes:
        try:
            check(dtype)
        except AssertionError as exc:
            exc.add_note(f"dtype: {dtype}")
            raise


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_keras(ops_oracle: Any, case: tuple[str, list[Any], dict[str, Any], list[str]]):
    name, args, kwargs, dtypes = case

    def check(dtype: str) -> None:
        ops_oracle.compare(
            name,
            *[_fill(a, dtype) for a in args],
            **{k: _fill(v, dtype) for k, v in kwargs.items()},
        )

    each_dtype(check, dtypes)


@pytest.mark.parametrize("dtype", NUMBERS)  # bool choices: see the promotion test below
def test_select_matches_keras(ops_oracle: Any, dtype: str) -> None:
    conds = [c > 0 for c in ops_oracle.inputs("float32[3,4]", "float32[4]", seed=5)]
    choices = ops_oracle.inputs(f"{dtype}[3,4]", f"{dtype}[3,4]", seed=6)
    ops_oracle.compare("select", conds, choices)
    ops_oracle.compare("select", conds, choices, default=1)


def test_select_promotes_with_keras_result_type() -> None:
    # Keras-on-TF promotes through tf.experimental.numpy (int32 with float32 -> float64, bool
    # with the default 0 -> int64); Keras's result_type (and its other backends) give these.
    cond = torch.tensor([True, False])
    got = ops.select([cond, ~cond], [torch.tensor([1, 2]), torch.tensor([0.5, 1.5])])
    assert got.dtype == torch.float32 and got.tolist() == [1.0, 1.5]
    assert ops.select([cond], [torch.tensor([True, True])]).dtype == torch.int32
    assert (
        ops.select([cond], [torch.tensor([1.0], dtype=torch.float16)], 2.5).dtype == torch.float16
    )


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize(("shape", "kth", "axis"), [((12,), 4, -1), ((3, 7), 2, 1), ((5, 4), 0, 0)])
def test_argpartition_partitions_like_keras(
    ops_oracle: Any, dtype: str, shape: tuple[int, ...], kth: int, axis: int
) -> None:
    (x,) = ops_oracle.inputs(f"{dtype}[{','.join(map(str, shape))}]", seed=2)
    theirs = keras.ops.convert_to_numpy(keras.ops.argpartition(x, kth, axis=axis))
    got = ops.argpartition(torch.from_numpy(np.asarray(x).copy()), kth, axis=axis)
    assert got.dtype == torch.int32 and tuple(got.shape) == theirs.shape
    part = np.take_along_axis(np.asarray(x), got.numpy().astype("int64"), axis=axis)
    pivot = np.take(part, [kth], axis=axis)
    before = np.take(part, range(kth), axis=axis)
    after = np.take(part, range(kth + 1, shape[axis]), axis=axis)
    assert (before <= pivot).all() and (after >= pivot).all()
    np.testing.assert_array_equal(np.sort(part, axis=axis), np.sort(np.asarray(x), axis=axis))


@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "float16"])
def test_argsort_with_ties_sorts_and_is_stable(dtype: str) -> None:
    x = np.array([[3, 1, 2, 1, 3, 0], [0, 0, 1, 1, 0, 1]]).astype(dtype)
    got = ops.argsort(torch.from_numpy(x))
    assert got.dtype == torch.int32
    np.testing.assert_array_equal(got.numpy(), np.argsort(x, axis=-1, kind="stable"))


def test_digitize_follows_numpy_at_bin_edges_and_for_decreasing_bins() -> None:
    # TF rounds the bins to float32 (0.1 then misses 0.1 in float64) and needs increasing bins.
    x = np.array([0.1, 0.2, 0.5, 1.0, -1.0])
    for bins in ([0.1, 0.5], [1.0, 0.5, 0.1]):
        got = ops.digitize(torch.from_numpy(x), bins)
        assert got.dtype == torch.int32
        np.testing.assert_array_equal(got.numpy(), np.digitize(x, bins))


def test_searchsorted_and_unravel_index_take_nd_values_as_numpy() -> None:
    # Keras documents N-D `values`/`indices`; its TF backend batches or permutes them instead.
    seq = np.array([-2, 0, 0, 3, 5])
    values = np.array([[-3, 0], [4, 9]])
    for side in ("left", "right"):
        got = ops.searchsorted(torch.from_numpy(seq), torch.from_numpy(values), side=side)
        assert got.dtype == torch.int32
        np.testing.assert_array_equal(got.numpy(), np.searchsorted(seq, values, side=side))
    assert ops.searchsorted(torch.from_numpy(seq), 0).item() == 1
    flat = np.array([[0, 5], [23, 7]])
    for ours, theirs in zip(
        ops.unravel_index(torch.from_numpy(flat), (2, 3, 4)), np.unravel_index(flat, (2, 3, 4))
    ):
        assert ours.dtype == torch.int64
        np.testing.assert_array_equal(ours.numpy(), theirs)


def test_unique_of_bool_and_with_axis_as_numpy() -> None:
    x = np.array([True, False, True])
    values, counts = ops.unique(torch.from_numpy(x), return_counts=True)
    assert values.tolist() == [False, True] and counts.tolist() == [1, 2]
    rows = np.array([[1, 0], [0, 1], [1, 0]])
    np.testing.assert_array_equal(
        ops.unique(torch.from_numpy(rows), axis=0).numpy(), np.unique(rows, axis=0)
    )


def test_unique_pads_and_orders_like_numpy_and_keras() -> None:
    values, index, inverse, counts = ops.unique(
        torch.tensor([[5, 2], [2, 7]]), return_index=True, return_inverse=True, return_counts=True
    )
    assert values.tolist() == [2, 5, 7] and index.tolist() == [1, 0, 3]
    assert inverse.tolist() == [[1, 0], [0, 2]] and counts.tolist() == [2, 1, 1]
    assert {t.dtype for t in (index, inverse, counts)} == {torch.int32}
    assert ops.unique(torch.tensor([5, 2, 5, 1]), sorted=False).tolist() == [5, 2, 1]


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: ops.take(torch.ones(3), torch.tensor([3])), ["take", "[-3, 3)"]),
        (lambda: ops.take(torch.ones(3), torch.tensor([0.5])), ["take", "float32", "cast"]),
        (lambda: ops.take(torch.ones(3), [0], axis=1), ["take", "axis=1", "(3,)"]),
        (
            lambda: ops.take_along_axis(torch.ones(2, 3), torch.zeros(2, dtype=torch.long), 1),
            ["same number"],
        ),
        (lambda: ops.searchsorted(torch.ones(2, 2), torch.ones(1)), ["searchsorted", "(2, 2)"]),
        (lambda: ops.searchsorted(torch.ones(2), 1.0, side="up"), ["side", "'up'"]),
        (lambda: ops.select([True], [1, 2]), ["select", "same length"]),
        (lambda: ops.select(torch.ones(2), [1]), ["select", "lists"]),
        (lambda: ops.argpartition(torch.ones(3), 3), ["argpartition", "kth=3", "size 3"]),
        (lambda: ops.bincount(torch.tensor([-1, 2])), ["bincount", "non-negative"]),
        (lambda: ops.bincount(torch.tensor([1.0])), ["bincount", "float32"]),
        (lambda: ops.bincount(torch.tensor([1]), weights=torch.ones(2)), ["weights", "(2,)"]),
        (lambda: ops.histogram(torch.ones(2, 2)), ["histogram", "1-D", "(2, 2)"]),
        (lambda: ops.histogram(torch.ones(2), bins=0), ["histogram", "bins=0", "bins >= 1"]),
        (lambda: ops.sort(torch.ones(2), axis=1), ["sort", "axis=1"]),
        (lambda: ops.unravel_index(torch.tensor([1]), (None, 2)), ["unravel_index", "None"]),
        (lambda: ops.bincount(torch.tensor([1]), sparse=True), ["bincount", "sparse=False"]),
    ],
)
def test_errors_name_op_and_problem(call: Any, words: list[str]) -> None:
    with pytest.raises((ValueError, TypeError, IndexError)) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_python_and_numpy_inputs() -> None:
    assert ops.take([10, 20, 30], [2, 0]).tolist() == [30, 10]
    assert ops.sort(np.array([3.0, 1.0])).tolist() == [1.0, 3.0]
    assert ops.searchsorted([1, 2, 3], 2).item() == 1
    assert ops.isin(np.array([1, 2]), [2]).tolist() == [False, True]
    (coords,) = ops.unravel_index(7, (10,))
    assert coords.item() == 7 and coords.dtype == torch.int32


def test_module_exports_keras_names_only() -> None:
    assert set(numpy_indexing.__all__) <= set(dir(keras.ops.numpy))
    for name in numpy_indexing.__all__:
        assert inspect.unwrap(getattr(ops.numpy, name)) is getattr(numpy_indexing, name)
