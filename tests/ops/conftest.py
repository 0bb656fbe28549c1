"""The differential harness for keras.ops: same seeded inputs through real Keras
(TensorFlow backend) and torchbridge.ops, compared leaf by leaf.

Tests get it as the ``ops_oracle`` fixture. Inputs in a table are written as
*specs* so that rows stay plain data: ``"float32[2,3]"`` is a seeded array of
that dtype and shape (``"int32[]"`` a 0-d array, ``"bool[4]"`` random
booleans, ``"float32[0,3]"`` empty); anything else (Python scalars, lists,
arrays) is passed unchanged. ``compare`` then checks, for every output leaf,
that torchbridge returned a torch tensor (or the same Python/NumPy kind Keras
returned) with Keras's shape, dtype name and values (NaN-aware, with
per-dtype tolerances); when Keras raises, torchbridge must raise too.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge.ops as tb_ops
from torchbridge.backend.dtypes import standardize_dtype
from torchbridge.utils import nest

_SPEC = re.compile(
    r"^(bool|u?int(?:8|16|32|64)|b?float(?:16|32|64)|complex(?:64|128))\[([\d,\s]*)\]$"
)
TOLERANCES = {  # dtype name -> (rtol, atol)
    "float16": (1e-3, 1e-3),
    "bfloat16": (1e-2, 1e-2),
    "float32": (1e-5, 1e-6),
    "float64": (1e-7, 1e-9),
    "complex64": (1e-5, 1e-6),
    "complex128": (1e-7, 1e-9),
}
DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]


def make_input(spec: Any, rng: np.random.Generator) -> Any:
    """A seeded NumPy array for a spec string; other values unchanged."""
    if not isinstance(spec, str):
        return spec
    m = _SPEC.match(spec)
    if m is None:
        return spec  # a plain string argument (e.g. a mode name)
    dtype, dims = m.group(1), m.group(2)
    shape = tuple(int(d) for d in dims.split(",") if d.strip())
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if "int" in dtype:
        low = 0 if dtype.startswith("u") else -5
        return rng.integers(low, 6, size=shape).astype(dtype)
    values = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        values = values + 1j * rng.standard_normal(shape)
    if dtype == "bfloat16":
        import ml_dtypes

        return values.astype(ml_dtypes.bfloat16)
    return values.astype(dtype)


def _to_torch(x: Any) -> Any:
    if isinstance(x, np.ndarray) and x.dtype.name != "bfloat16":
        return torch.from_numpy(x.copy())
    return x


def _keras_leaf(x: Any) -> Any:
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    return keras.ops.convert_to_numpy(x)


def _dtype_name(x: Any) -> str:
    return standardize_dtype(x.dtype)


def assert_leaf_equal(
    name: str, ours: Any, theirs: Any, rtol: float | None, atol: float | None
) -> None:
    if theirs is None or isinstance(theirs, (bool, int, float, str)):
        got = ours.item() if isinstance(ours, torch.Tensor) and ours.ndim == 0 else ours
        assert got == theirs or (got != got and theirs != theirs), (name, ours, theirs)
        return
    expected = np.asarray(theirs)
    if isinstance(ours, torch.Tensor):
        got = tb_ops.convert_to_numpy(ours)
    else:
        got = np.asarray(ours)
    assert got.shape == expected.shape, f"{name}: shape {got.shape} != Keras {expected.shape}"
    ours_dtype = _dtype_name(ours) if hasattr(ours, "dtype") else _dtype_name(got)
    assert ours_dtype == _dtype_name(expected), (
        f"{name}: dtype {ours_dtype} != Keras {_dtype_name(expected)}"
    )
    if expected.dtype.kind in "fc" or expected.dtype.name == "bfloat16":
        default_rtol, default_atol = TOLERANCES.get(_dtype_name(expected), (1e-5, 1e-6))
        np.testing.assert_allclose(
            got.astype(np.complex128 if expected.dtype.kind == "c" else np.float64),
            expected.astype(np.complex128 if expected.dtype.kind == "c" else np.float64),
            rtol=default_rtol if rtol is None else rtol,
            atol=default_atol if atol is None else atol,
            equal_nan=True,
            err_msg=name,
        )
    else:
        np.testing.assert_array_equal(got, expected, err_msg=name)


class OpsOracle:
    """The comparison machinery, handed to tests as the ``ops_oracle`` fixture."""

    dtypes = DTYPES
    make_input = staticmethod(make_input)

    def inputs(self, *specs: Any, seed: int = 0) -> list[Any]:
        rng = np.random.default_rng(seed)
        return [make_input(s, rng) for s in specs]

    def resolve(self, name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
        """``(keras.ops.<name>, torchbridge.ops.<name>)``; dotted names reach submodules."""
        theirs: Any = keras.ops
        ours: Any = tb_ops
        for part in name.split("."):
            theirs, ours = getattr(theirs, part), getattr(ours, part)
        return theirs, ours

    def compare(
        self,
        name: str,
        *args: Any,
        seed: int = 0,
        rtol: float | None = None,
        atol: float | None = None,
        as_numpy: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Run ``name`` under both on the inputs ``args`` (specs), compare; return ours."""
        theirs_fn, ours_fn = self.resolve(name)
        values = self.inputs(*args, seed=seed)
        kw_rng = np.random.default_rng(seed + 1)
        kw_values = {k: make_input(v, kw_rng) for k, v in kwargs.items()}
        try:
            expected = theirs_fn(*values, **kw_values)
        except Exception as keras_error:  # Keras refuses: so must we
            with pytest.raises(Exception):  # noqa: B017
                ours_fn(
                    *(v if as_numpy else _to_torch(v) for v in values),
                    **{k: (v if as_numpy else _to_torch(v)) for k, v in kw_values.items()},
                )
            return keras_error
        got = ours_fn(
            *(v if as_numpy else _to_torch(v) for v in values),
            **{k: (v if as_numpy else _to_torch(v)) for k, v in kw_values.items()},
        )
        theirs_leaves = [_keras_leaf(x) for x in nest.flatten(expected)]
        ours_leaves = nest.flatten(got)
        assert len(ours_leaves) == len(theirs_leaves), (name, got, expected)
        for o, t in zip(ours_leaves, theirs_leaves):
            if isinstance(t, np.ndarray):
                assert isinstance(o, (torch.Tensor, np.ndarray, np.generic)), (
                    f"{name}: returned {type(o).__name__}, expected a tensor"
                )
            assert_leaf_equal(name, o, t, rtol, atol)
        return got

    @staticmethod
    def signature_of(fn: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
        """Parameter names, kinds and defaults (annotations ignored)."""
        return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]

    def assert_same_signature(self, name: str) -> None:
        theirs, ours = self.resolve(name)
        assert self.signature_of(ours) == self.signature_of(theirs), name


@pytest.fixture
def ops_oracle() -> OpsOracle:
    return OpsOracle()
