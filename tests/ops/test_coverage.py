"""Coverage of keras.ops: every public name exists in torchbridge.ops with Keras's
signature, or is listed in ``NOT_YET`` below — so coverage cannot silently
regress, and an entry must leave ``NOT_YET`` when its op lands.

Families follow the Keras module each op comes from (keras/src/ops/<family>.py);
``image`` names live only in the ``keras.ops.image`` namespace, as in Keras.
"""

from __future__ import annotations

import inspect
from typing import Any

import keras
import pytest

import torchbridge.ops as tb_ops

NAMESPACES = ("numpy", "nn", "linalg", "image")
OUR_EXTRA_MODULES = {"core", "math"}  # our family modules that keras.ops does not have


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Names not implemented yet, by family. Shrinks as work lands (a test fails on stale entries).
NOT_YET: dict[str, frozenset[str]] = {
    # activations, convolutions, pools, losses, normalization (ops/nn.py; keras.ops.nn)
    "nn": frozenset(),  # every keras.ops.nn name is implemented (ops/nn_*.py)
    # fft/stft, segment reductions, top_k, logsumexp, erf... (ops/math.py)
    "math": _names(""),
    # decompositions and solvers (ops/linalg.py; keras.ops.linalg)
    "linalg": _names(""),
    # keras.ops.image only, not at the top level of keras.ops (ops/image.py)
    "image": frozenset(),  # every keras.ops.image name is implemented (ops/image_*.py)
    # einops-style rearrange (keras/src/ops/einops.py)
    "einops": _names(""),
    # the submodule attributes keras.ops.numpy/nn/linalg/image
    "namespaces": _names(""),
}


def _public(module: Any) -> list[str]:
    return sorted(n for n in dir(module) if not n.startswith("_"))


def _family(name: str) -> str:
    fn = getattr(keras.ops, name)
    if not callable(fn):
        return "namespaces"
    return str(fn.__module__).rsplit(".", 1)[-1]


def _keras_entries() -> list[tuple[str, str]]:
    """``(family, qualified name)`` for every public keras.ops name, namespaces included."""
    entries = [(_family(n), n) for n in _public(keras.ops)]
    for ns in NAMESPACES:
        entries += [(ns, f"{ns}.{n}") for n in _public(getattr(keras.ops, ns))]
    return entries


def _ours(qualified: str) -> Any:
    target: Any = tb_ops
    for part in qualified.split("."):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


def _signature(fn: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def test_not_yet_families_are_known() -> None:
    assert set(NOT_YET) <= {f for f, _ in _keras_entries()}


@pytest.mark.parametrize("family", sorted({f for f, _ in _keras_entries()}))
def test_every_keras_ops_name_exists_or_is_listed_not_yet(family: str) -> None:
    missing = [
        q
        for f, q in _keras_entries()
        if f == family and _ours(q) is None and q.rsplit(".", 1)[-1] not in NOT_YET.get(f, ())
    ]
    assert missing == [], (
        f"keras.ops names with no torchbridge.ops implementation and no NOT_YET entry: {missing}"
    )


@pytest.mark.parametrize("family", sorted(NOT_YET))
def test_not_yet_lists_only_missing_keras_names(family: str) -> None:
    qualified = {q.rsplit(".", 1)[-1]: q for f, q in _keras_entries() if f == family}
    unknown = sorted(NOT_YET[family] - set(qualified))
    assert unknown == [], f"NOT_YET[{family!r}] lists names keras.ops does not have: {unknown}"
    landed = sorted(
        q
        for f, q in _keras_entries()
        if f == family and q.rsplit(".", 1)[-1] in NOT_YET[family] and _ours(q) is not None
    )
    assert landed == [], f"implemented now — remove from NOT_YET[{family!r}]: {landed}"


def test_implemented_ops_have_keras_signatures() -> None:
    mismatched = []
    for _, q in _keras_entries():
        theirs, ours = _resolve_keras(q), _ours(q)
        if ours is None or not callable(theirs) or inspect.ismodule(theirs):
            continue
        if _signature(ours) != _signature(theirs):
            mismatched.append(f"{q}: ours {inspect.signature(ours)} != {inspect.signature(theirs)}")
    assert mismatched == []


def _resolve_keras(qualified: str) -> Any:
    target: Any = keras.ops
    for part in qualified.split("."):
        target = getattr(target, part)
    return target


def test_torchbridge_ops_exports_only_keras_names() -> None:
    extra = set(tb_ops.__all__) - set(_public(keras.ops)) - OUR_EXTRA_MODULES
    assert extra == set()
    assert all(hasattr(tb_ops, n) for n in tb_ops.__all__)
