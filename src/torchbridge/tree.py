"""``keras.tree``: nested structures (lists, tuples, namedtuples, dicts) of leaves.

Same rules as Keras 3 (its optree backend): a plain ``dict`` is walked in
sorted-key order and rebuilt with its own key order, an ``OrderedDict`` (and
any other mapping type) in insertion order; ``None`` is a leaf unless
``none_is_leaf=False``; everything that is not a list, tuple or mapping
(tensors, arrays, sets, strings) is a leaf. Functions that take several
structures require them to have the same structure, types included.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = [
    "MAP_TO_NONE",
    "assert_same_paths",
    "assert_same_structure",
    "flatten",
    "flatten_with_path",
    "is_nested",
    "lists_to_tuples",
    "map_shape_structure",
    "map_structure",
    "map_structure_up_to",
    "pack_sequence_as",
    "traverse",
]


class MAP_TO_NONE:
    """Returned by a ``traverse`` function to put ``None`` in place of a substructure."""


def is_nested(structure: Any) -> bool:
    """Whether ``structure`` is a list, tuple (namedtuples too) or mapping."""
    return isinstance(structure, (list, tuple, Mapping))


def _keys(mapping: Mapping[Any, Any]) -> list[Any]:
    if type(mapping) in (dict, defaultdict):
        try:
            return sorted(mapping)
        except TypeError:  # unorderable keys: insertion order
            return list(mapping)
    return list(mapping)


def _children(structure: Any) -> list[tuple[Any, Any]]:
    """``(path entry, child)`` pairs of a nested structure, in flattening order."""
    if isinstance(structure, Mapping):
        return [(k, structure[k]) for k in _keys(structure)]
    return list(enumerate(structure))


def _rebuild(structure: Any, children: list[Any]) -> Any:
    """A structure of ``structure``'s type holding ``children`` (in flattening order)."""
    if isinstance(structure, Mapping):
        by_key = dict(zip(_keys(structure), children))
        items = [(k, by_key[k]) for k in structure]
        if isinstance(structure, defaultdict):
            out: Any = defaultdict(structure.default_factory)
            out.update(items)
            return out
        return type(structure)(items) if type(structure) is not dict else dict(items)  # type: ignore[call-arg]
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*children)
    return type(structure)(children)


def _is_leaf(x: Any, none_is_leaf: bool = True) -> bool:
    return not is_nested(x) and (none_is_leaf or x is not None)


def _walk(structure: Any, path: tuple[Any, ...], none_is_leaf: bool) -> Iterator[tuple[Any, Any]]:
    if not is_nested(structure):
        if none_is_leaf or structure is not None:
            yield path, structure
        return
    for key, child in _children(structure):
        yield from _walk(child, (*path, key), none_is_leaf)


def flatten(structure: Any) -> list[Any]:
    """The leaves of ``structure`` in a stable order (``None`` is a leaf)."""
    return [leaf for _, leaf in _walk(structure, (), True)]


def flatten_with_path(structure: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """``(path, leaf)`` pairs, a path being the tuple of keys/indices to the leaf."""
    return list(_walk(structure, (), True))


def _check_same(a: Any, b: Any, path: tuple[Any, ...] = ()) -> None:
    if not is_nested(a):
        return
    where = f" at path {path}" if path else ""
    if type(a) is not type(b) and not (isinstance(a, Mapping) and isinstance(b, Mapping)):
        raise ValueError(
            f"The structures differ{where}: expected an instance of {type(a).__name__}, "
            f"got {b!r}. Pass structures with the same nesting and container types."
        )
    if isinstance(a, Mapping):
        if set(a) != set(b):
            raise ValueError(
                f"The structures differ{where}: dict keys {sorted(map(str, a))} vs "
                f"{sorted(map(str, b))}."
            )
    elif len(a) != len(b):
        raise ValueError(
            f"The structures differ{where}: {type(a).__name__} of length {len(a)} vs "
            f"{len(b)} ({b!r})."
        )
    for (key, child_a), (_, child_b) in zip(_children(a), _children(b)):
        _check_same(child_a, child_b, (*path, key))


def assert_same_structure(a: Any, b: Any, check_types: Any = None) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` nest the same way (types included)."""
    if is_nested(a) != is_nested(b):
        raise ValueError(
            f"The structures differ: {a!r} and {b!r} (one is nested, the other a leaf)."
        )
    _check_same(a, b)


def assert_same_paths(a: Any, b: Any) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same set of leaf paths."""
    paths_a = {p for p, _ in flatten_with_path(a)}
    paths_b = {p for p, _ in flatten_with_path(b)}
    if paths_a != paths_b:
        raise ValueError(
            "`a` and `b` don't have the same paths.\n"
            f"Paths in `a` missing in `b`:\n{paths_a - paths_b}\n"
            f"Paths in `b` missing in `a`:\n{paths_b - paths_a}"
        )


def map_structure(func: Callable[..., Any], *structures: Any, none_is_leaf: bool = True) -> Any:
    """``func`` applied leaf-wise to structures of the same structure.

    With ``none_is_leaf=False``, ``None`` entries are kept as ``None``.
    """
    if not structures:
        raise ValueError("map_structure needs at least one structure.")
    first = structures[0]
    for other in structures[1:]:
        assert_same_structure(first, other)

    def build(*nodes: Any) -> Any:
        head = nodes[0]
        if not is_nested(head):
            if head is None and not none_is_leaf:
                return None
            return func(*nodes)
        columns = [[child for _, child in _children(n)] for n in nodes]
        return _rebuild(head, [build(*items) for items in zip(*columns)])

    return build(*structures)


def map_structure_up_to(shallow_structure: Any, func: Callable[..., Any], *structures: Any) -> Any:
    """``func`` applied to the sub-structures of ``structures`` at ``shallow_structure``'s leaves."""

    def build(shallow: Any, nodes: tuple[Any, ...]) -> Any:
        if not is_nested(shallow):
            return func(*nodes)
        for node in nodes:
            if not is_nested(node):
                raise ValueError(
                    f"The structure {node!r} is shallower than the shallow structure "
                    f"{shallow!r}; pass structures at least as deep."
                )
            if len(node) != len(shallow):
                raise ValueError(
                    f"The structure {node!r} does not match the shallow structure {shallow!r}."
                )
        keys = [k for k, _ in _children(shallow)]
        children = []
        for key in keys:
            children.append(build(shallow[key], tuple(n[key] for n in nodes)))
        return _rebuild(shallow, children)

    return build(shallow_structure, structures)


def pack_sequence_as(structure: Any, flat_sequence: Any) -> Any:
    """Inverse of :func:`flatten`: ``flat_sequence``'s leaves in ``structure``'s shape."""
    flat = list(flat_sequence)
    position = 0

    def build(s: Any) -> Any:
        nonlocal position
        if not is_nested(s):
            if position >= len(flat):
                raise ValueError(
                    f"pack_sequence_as: the structure has more leaves than the "
                    f"{len(flat)} given; pass one value per leaf of {structure!r}."
                )
            position += 1
            return flat[position - 1]
        return _rebuild(s, [build(child) for _, child in _children(s)])

    packed = build(structure)
    if position != len(flat):
        raise ValueError(
            f"pack_sequence_as: {len(flat)} values given for a structure with {position} "
            f"leaves ({structure!r})."
        )
    return packed


def lists_to_tuples(structure: Any) -> Any:
    """The structure with every list turned into a tuple (recursively)."""
    if not is_nested(structure):
        return structure
    children = [lists_to_tuples(child) for _, child in _children(structure)]
    if isinstance(structure, list):
        return tuple(children)
    return _rebuild(structure, children)


def _is_shape(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and all(d is None or isinstance(d, int) for d in x)


def map_shape_structure(func: Callable[[Any], Any], structure: Any) -> Any:
    """``func`` applied to every shape (tuple/list of ints and ``None``) in ``structure``."""
    if _is_shape(structure) or not is_nested(structure):
        return func(structure)
    children = [map_shape_structure(func, child) for _, child in _children(structure)]
    return _rebuild(structure, children)


def traverse(func: Callable[[Any], Any], structure: Any, top_down: bool = True) -> Any:
    """Apply ``func`` to every sub-structure and leaf.

    Top-down, a non-``None`` result replaces that sub-structure (and stops the
    descent); bottom-up, ``func`` sees the already-rebuilt sub-structure and a
    non-``None`` result replaces it. ``MAP_TO_NONE`` means "replace with None".
    """

    def resolve(result: Any, default: Any) -> Any:
        if result is MAP_TO_NONE or isinstance(result, MAP_TO_NONE):
            return None
        return default if result is None else result

    def visit(node: Any) -> Any:
        if top_down:
            result = func(node)
            if result is not None:
                return resolve(result, node)
            if not is_nested(node):
                return node
            return _rebuild(node, [visit(child) for _, child in _children(node)])
        if is_nested(node):
            node = _rebuild(node, [visit(child) for _, child in _children(node)])
        return resolve(func(node), node)

    return visit(structure)
