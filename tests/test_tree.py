"""torchbridge.tree against keras.tree (optree backend), table-driven."""

from __future__ import annotations

import collections
from typing import Any

import keras
import numpy as np
import pytest

from torchbridge import tree

Point = collections.namedtuple("Point", ["x", "y"])
STRUCTURES: list[Any] = [
    1,
    None,
    [],
    {},
    [1, [2, (3, None)]],
    {"b": 1, "a": [2, 3], "c": {"z": 4, "y": (5,)}},
    collections.OrderedDict([("b", 1), ("a", 2)]),
    collections.defaultdict(list, {"b": 1, "a": 2}),
    Point(1, [2, 3]),
    ({"k": [1, 2]}, (3,)),
    {1: "x", 0: "y"},
    [np.ones(2), {1}, "text"],
]


def _same(a: Any, b: Any) -> None:
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


@pytest.mark.parametrize("s", STRUCTURES, ids=repr)
def test_flatten_paths_and_is_nested(s: Any) -> None:
    ours, theirs = tree.flatten(s), keras.tree.flatten(s)
    _same(ours, theirs)
    assert [p for p, _ in tree.flatten_with_path(s)] == [
        p for p, _ in keras.tree.flatten_with_path(s)
    ]
    assert tree.is_nested(s) == keras.tree.is_nested(s)


@pytest.mark.parametrize("s", STRUCTURES, ids=repr)
def test_map_pack_and_lists_to_tuples(s: Any) -> None:
    def fn(x: Any) -> Any:
        return ("leaf", x if not isinstance(x, np.ndarray) else x.shape)

    _same(tree.map_structure(fn, s), keras.tree.map_structure(fn, s))
    _same(
        tree.map_structure(fn, s, none_is_leaf=False),
        keras.tree.map_structure(fn, s, none_is_leaf=False),
    )
    leaves = list(range(len(keras.tree.flatten(s))))
    _same(tree.pack_sequence_as(s, leaves), keras.tree.pack_sequence_as(s, leaves))
    _same(tree.lists_to_tuples(s), keras.tree.lists_to_tuples(s))
    tree.assert_same_structure(s, s)
    tree.assert_same_paths(s, s)


@pytest.mark.parametrize(
    ("a", "b"),
    [([1, 2], (1, 2)), ([1, 2], [1, 2, 3]), ({"a": 1}, {"b": 1}), ([1, [2]], [1, 2]), (1, [1])],
)
def test_mismatched_structures_raise_like_keras(a: Any, b: Any) -> None:
    with pytest.raises(ValueError):
        keras.tree.assert_same_structure(a, b)
    with pytest.raises(ValueError, match="structures differ"):
        tree.assert_same_structure(a, b)
    with pytest.raises(ValueError):
        tree.map_structure(lambda x, y: x, a, b)


def test_assert_same_paths() -> None:
    tree.assert_same_paths({"a": [1, 2]}, {"a": (3, 4)})
    with pytest.raises(ValueError, match="same paths"):
        tree.assert_same_paths({"a": 1}, {"b": 1})


def test_pack_sequence_as_counts_leaves() -> None:
    with pytest.raises(ValueError, match="3 values"):
        tree.pack_sequence_as([0, 0], [1, 2, 3])
    with pytest.raises(ValueError, match="more leaves"):
        tree.pack_sequence_as([0, [0, 0]], [1])


@pytest.mark.parametrize("top_down", [True, False])
@pytest.mark.parametrize("func_name", ["none", "to_none_at_2", "times_ten_ints", "replace_tuples"])
def test_traverse(top_down: bool, func_name: str) -> None:
    def make(module: Any) -> Any:
        return {
            "none": lambda x: None,
            "to_none_at_2": lambda x: module.MAP_TO_NONE if x == 2 else None,
            "times_ten_ints": lambda x: x * 10 if isinstance(x, int) else None,
            "replace_tuples": lambda x: "T" if isinstance(x, tuple) else None,
        }[func_name]

    s = [1, (2, [3]), {"a": 2}]
    _same(
        tree.traverse(make(tree), s, top_down=top_down),
        keras.tree.traverse(make(keras.tree), s, top_down=top_down),
    )


def test_map_structure_up_to_and_map_shape_structure() -> None:
    def fn(x: Any) -> Any:
        return len(x) if isinstance(x, (list, tuple)) else x

    for shallow, deep in [([0, 0], [[1, 2], (3,)]), ({"a": 0, "b": 0}, {"a": [1], "b": 2})]:
        _same(
            tree.map_structure_up_to(shallow, fn, deep),
            keras.tree.map_structure_up_to(shallow, fn, deep),
        )
    shapes = {"a": (None, 3), "b": [(2,), (1, None)], "c": [4, 5]}
    _same(tree.map_shape_structure(list, shapes), keras.tree.map_shape_structure(list, shapes))
