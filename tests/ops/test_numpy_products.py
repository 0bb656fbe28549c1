"""torchbridge.ops products, differences and integrals (ops/numpy_products.py) and
``vectorize`` (ops/numpy_vectorize.py) against keras.ops on the TensorFlow
backend: a table of cases over the dtypes Keras accepts, operand dtype pairs for
promotion, and NumPy checks where Keras's TF backend has artefacts.
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
from torchbridge.ops import numpy_products, numpy_vectorize

ALL = ["bool", "int32", "int64", "float16", "float32", "float64"]
NUMBERS = ALL[1:]
FLOATS = ["float16", "float32", "float64"]
HALF_TOLERANCE = {"rtol": 1e-2, "atol": 1e-2}  # float16 sums: TF and torch accumulate differently


class arr:  # reads as a function in the table
    """An array of ``values`` in each tested dtype; its repr keeps test ids stable
    (pytest-xdist workers must collect the same ids)."""

    def __init__(self, values: Any) -> None:
        self.values = values

    def __call__(self, dtype: str) -> np.ndarray:
        return np.array(self.values).astype(dtype)

    def __repr__(self) -> str:
        return f"arr({self.values!r})"


# (name, args, kwargs, dtypes): "{d}" in a spec, or arr(...), takes each dtype.
CASES: list[tuple[str, list[Any], dict[str, Any], list[str]]] = [
    ("dot", ["{d}[3]", "{d}[3]"], {}, ALL),
    ("dot", ["{d}[2,3]", "{d}[3]"], {}, ALL),
    ("dot", ["{d}[2,3]", "{d}[3,4]"], {}, ALL),
    ("dot", ["{d}[2,2,3]", "{d}[4,3,5]"], {}, ALL),
    ("dot", ["{d}[]", "{d}[2,3]"], {}, ALL),
    ("dot", ["{d}[3]", "{d}[3,2]"], {}, ALL),
    ("dot", ["{d}[0]", "{d}[0]"], {}, NUMBERS),
    ("matmul", ["{d}[2,3]", "{d}[3,4]"], {}, ALL),
    ("matmul", ["{d}[5,2,3]", "{d}[3,4]"], {}, ALL),
    ("matmul", ["{d}[3]", "{d}[3,4]"], {}, ALL),
    ("matmul", ["{d}[2,3]", "{d}[3]"], {}, ALL),
    ("matmul", ["{d}[2,1,2,3]", "{d}[4,3,2]"], {}, ALL),
    ("matmul", ["{d}[2,0]", "{d}[0,3]"], {}, NUMBERS),
    ("matmul", ["int8[2,3]", "int8[3,2]"], {}, ["-"]),
    ("matmul", ["uint8[2,3]", "int8[3,2]"], {}, ["-"]),
    ("tensordot", ["{d}[2,3,4]", "{d}[3,4,5]"], {}, ALL),
    ("tensordot", ["{d}[2,3]", "{d}[3,4]"], {"axes": 1}, ALL),
    ("tensordot", ["{d}[2,3]", "{d}[3,2]"], {"axes": ([1, 0], [0, 1])}, ALL),
    ("tensordot", ["{d}[2,3]", "{d}[4,3]"], {"axes": (1, 1)}, ALL),
    ("tensordot", ["{d}[2]", "{d}[3]"], {"axes": 0}, ALL),
    ("inner", ["{d}[3]", "{d}[3]"], {}, ALL),
    ("inner", ["{d}[2,3]", "{d}[4,3]"], {}, ALL),
    ("inner", ["{d}[]", "{d}[2,3]"], {}, ALL),
    ("outer", ["{d}[3]", "{d}[2,2]"], {}, ALL),
    ("outer", ["{d}[0]", "{d}[2]"], {}, ALL),
    ("vdot", ["{d}[2,3]", "{d}[6]"], {}, ALL),
    ("kron", ["{d}[2,2]", "{d}[2,3]"], {}, NUMBERS),  # TF has no bool kron
    ("kron", ["{d}[3]", "{d}[2,2]"], {}, NUMBERS),
    ("einsum", ["ij,jk->ik", "{d}[2,3]", "{d}[3,4]"], {}, NUMBERS),  # TF has no bool einsum
    ("einsum", ["i,i->", "{d}[3]", "{d}[3]"], {}, NUMBERS),
    ("einsum", ["bij,bjk->bik", "{d}[2,2,3]", "{d}[2,3,2]"], {}, NUMBERS),
    ("einsum", ["abcd,abed->abce", "{d}[1,2,3,4]", "{d}[1,2,5,4]"], {}, NUMBERS),
    ("einsum", ["ii->i", "{d}[3,3]"], {}, NUMBERS),
    ("einsum", ["ij->ji", "{d}[2,3]"], {}, NUMBERS),
    ("einsum", ["...j,j->...", "{d}[2,2,3]", "{d}[3]"], {}, NUMBERS),
    ("einsum", ["ij,jk->ik", "int8[2,3]", "int8[3,4]"], {}, ["-"]),
    ("cross", ["{d}[3]", "{d}[3]"], {}, NUMBERS),  # TF has no bool cross
    ("cross", ["{d}[2,3]", "{d}[2,3]"], {}, NUMBERS),
    ("cross", ["{d}[4,2]", "{d}[4,3]"], {}, NUMBERS),
    ("cross", ["{d}[2]", "{d}[2]"], {}, NUMBERS),
    ("cross", ["{d}[3,2]", "{d}[3,2]"], {"axisa": 0, "axisb": 0}, NUMBERS),
    ("cross", ["{d}[3,4]", "{d}[3,4]"], {"axis": 0}, NUMBERS),
    ("cross", ["{d}[4,3]", "{d}[4,3]"], {"axisc": 0}, NUMBERS),
    ("trace", ["{d}[3,3]"], {}, ALL),
    ("trace", ["{d}[2,3,4]"], {"offset": 1, "axis1": 1, "axis2": 2}, ALL),
    ("trace", ["{d}[3,4,2]"], {"offset": -1, "axis1": 0, "axis2": 2}, ALL),
    ("trace", ["int8[3,3]"], {}, ["-"]),
    ("trace", ["uint8[3,3]"], {}, ["-"]),
    ("slogdet", ["{d}[3,3]"], {}, ["float32", "float64"]),
    ("slogdet", ["{d}[2,3,3]"], {}, ["float32", "float64"]),
    ("correlate", ["{d}[5]", "{d}[3]"], {}, ALL),
    ("correlate", ["{d}[5]", "{d}[3]"], {"mode": "same"}, ALL),
    ("correlate", ["{d}[5]", "{d}[2]"], {"mode": "same"}, ALL),
    ("correlate", ["{d}[4]", "{d}[3]"], {"mode": "full"}, ALL),
    ("correlate", ["{d}[3]", "{d}[3]"], {"mode": "valid"}, ALL),
    ("corrcoef", ["{d}[3,5]"], {}, ["bool", "int32", *FLOATS]),  # int64: see below
    ("corrcoef", ["{d}[]"], {}, ALL),
    ("vander", ["{d}[4]"], {}, ALL),
    ("vander", ["{d}[4]"], {"N": 3, "increasing": True}, ALL),
    ("vander", ["{d}[3]"], {"N": 0}, ALL),
    ("diff", ["{d}[5]"], {}, ALL),
    ("diff", ["{d}[3,4]"], {"n": 2, "axis": 0}, ALL),
    ("diff", ["{d}[3,4]"], {"n": 0}, ALL),
    ("diff", ["{d}[3]"], {"n": 5}, ALL),
    ("trapezoid", ["{d}[5]"], {}, ALL),
    ("trapezoid", ["{d}[3,4]"], {"axis": 0}, ALL),
    ("trapezoid", ["{d}[5]"], {"dx": 0.5}, ALL),
    ("trapezoid", ["{d}[5]"], {"x": arr([0.0, 0.5, 1.5, 2.0, 4.0])}, ALL),
    ("trapezoid", ["{d}[2,3]"], {"x": "{d}[2,3]", "axis": 1}, NUMBERS),
    # Python scalars are converted before promotion (2.5 is float32, 3 is int32), as in Keras
    ("outer", ["{d}[2]", 2.5], {}, ALL),
    ("outer", ["{d}[2]", 3], {}, ALL),
    ("dot", ["{d}[2]", 2.5], {}, ALL),
    ("inner", [3, "{d}[3]"], {}, ALL),
    ("kron", ["{d}[2]", 2.5], {}, NUMBERS),
    ("tensordot", ["{d}[2]", 2.5], {"axes": 0}, ALL),
    ("vdot", ["{d}[1]", 3], {}, ALL),
    ("correlate", ["{d}[3]", [1.5, -1.0]], {}, ALL),
    # Keras raises for these; so must we
    ("matmul", ["{d}[2,3]", "{d}[2,3]"], {}, ["float32"]),
    ("cross", ["{d}[4]", "{d}[3]"], {}, ["float32"]),
    ("correlate", ["{d}[5]", "{d}[3]"], {"mode": "middle"}, ["float32"]),
    ("diff", ["{d}[3]"], {"n": -1}, ["float32"]),
    ("vander", ["{d}[2,2]"], {}, ["float32"]),
    ("vander", ["{d}[2]"], {"N": -1}, ["float32"]),
    ("vander", ["{d}[2]"], {"increasing": 1}, ["float32"]),
    ("trace", ["{d}[3]"], {}, ["float32"]),
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
        tolerance = HALF_TOLERANCE if dtype == "float16" else {}
        ops_oracle.compare(
            name,
            *[_fill(a, dtype) for a in args],
            **{k: _fill(v, dtype) for k, v in kwargs.items()},
            **tolerance,
        )

    each_dtype(check, dtypes)


PAIRS = [
    ("bool", "int32"),
    ("int32", "bool"),
    ("int32", "int64"),
    ("int32", "float16"),
    ("int64", "float32"),
    ("float16", "float32"),
    ("float32", "float64"),
    ("bool", "float64"),
]


@pytest.mark.parametrize(
    ("name", "shapes"),
    [
        ("dot", ("[2,3]", "[3,2]")),
        ("matmul", ("[2,3]", "[3]")),
        ("tensordot", ("[2,3]", "[3,2]")),
        ("inner", ("[3]", "[2,3]")),
        ("outer", ("[2]", "[3]")),
        ("vdot", ("[4]", "[4]")),
        ("einsum", ("[2,3]", "[3,2]")),
    ],
)
def test_mixed_dtypes_promote_like_keras(ops_oracle: Any, name: str, shapes: tuple[str, str]):
    def check(pair: str) -> None:
        a, b = pair.split("/")
        args = [f"{a}{shapes[0]}", f"{b}{shapes[1]}"]
        if name == "einsum":
            args = ["ij,jk->ik", *args]
        kwargs = {"axes": 1} if name == "tensordot" else {}
        kwargs.update(HALF_TOLERANCE if "float16" in pair else {})
        ops_oracle.compare(name, *args, **kwargs)

    each_dtype(check, [f"{a}/{b}" for a, b in PAIRS])


def test_python_and_numpy_inputs(ops_oracle: Any) -> None:
    ops_oracle.compare("dot", [1, 2], [3, 4], as_numpy=True)
    ops_oracle.compare("matmul", [[1.0, 2.0]], [[3.0], [4.0]], as_numpy=True)
    ops_oracle.compare("outer", [1, 2], 2.5, as_numpy=True)
    ops_oracle.compare("trapezoid", [1, 2, 4], as_numpy=True)
    ops_oracle.compare("diff", [1, 4, 9], as_numpy=True)
    ops_oracle.compare("trace", np.eye(3, dtype="int64"), as_numpy=True)


def test_corrcoef_of_int64_follows_numpy() -> None:
    # Keras-on-TF averages int64 rows with integer division (giving -0.8 here); the
    # coefficient is -0.9286 (NumPy, JAX), returned as float64 as in Keras.
    x = np.array([[1, 2, 4], [3, 1, 0]], "int64")
    got = ops.corrcoef(torch.from_numpy(x))
    assert got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), np.corrcoef(x))
    np.testing.assert_allclose(ops.corrcoef(torch.tensor([1.0, 2.0, 4.0])).item(), 1.0)


@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize(("n", "m"), [(5, 3), (3, 5), (4, 4), (6, 1), (1, 4)])
def test_correlate_follows_numpy_for_any_lengths(mode: str, n: int, m: int) -> None:
    # TF cannot correlate with a filter longer than the input; NumPy swaps and reverses.
    rng = np.random.default_rng(n * 10 + m)
    a, v = rng.standard_normal(n), rng.standard_normal(m)
    got = ops.correlate(torch.from_numpy(a), torch.from_numpy(v), mode=mode)
    np.testing.assert_allclose(got.numpy(), np.correlate(a, v, mode=mode), rtol=1e-10)


def test_vdot_conjugates_complex_first_argument_as_documented() -> None:
    a = np.array([1 + 2j, 3 - 1j], "complex64")
    b = np.array([2 - 1j, 1j], "complex64")
    got = ops.vdot(torch.from_numpy(a), torch.from_numpy(b))
    np.testing.assert_allclose(got.numpy(), np.vdot(a, b), rtol=1e-6, atol=1e-7)


def test_integer_products_are_exact() -> None:
    big = torch.tensor([[2**20 + 1, 3]], dtype=torch.int64)
    assert ops.matmul(big, big.T).item() == (2**20 + 1) ** 2 + 9
    assert ops.dot(torch.tensor([True, False]), torch.tensor([True, True])).item() is True


def test_slogdet_of_half_and_int_inputs() -> None:
    sign, logdet = ops.slogdet(torch.eye(2, dtype=torch.float16) * 2)
    assert sign.dtype == logdet.dtype == torch.float16 and abs(float(logdet) - np.log(4)) < 1e-3
    sign, logdet = ops.slogdet(torch.eye(2, dtype=torch.int32) * 3)
    assert logdet.dtype == torch.float32 and abs(float(logdet) - np.log(9)) < 1e-5


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: ops.matmul(torch.ones(2, 3), torch.ones(2, 3)), ["matmul", "(2, 3)"]),
        (lambda: ops.matmul(torch.ones(()), torch.ones(2)), ["matmul", "multiply"]),
        (lambda: ops.dot(torch.ones(2), torch.ones(3)), ["dot", "(2,)", "(3,)"]),
        (lambda: ops.tensordot(torch.ones(2), torch.ones(3), axes=1), ["tensordot", "axes=1"]),
        (lambda: ops.einsum("ij->k", torch.ones(2, 2)), ["einsum", "ij->k", "(2, 2)"]),
        (lambda: ops.einsum("ij", torch.ones(2, 2), out=None), ["einsum", "out"]),
        (lambda: ops.cross(torch.ones(4), torch.ones(3)), ["cross", "2 or 3", "4"]),
        (lambda: ops.trace(torch.ones(3, 3), axis1=1, axis2=-1), ["trace", "same"]),
        (lambda: ops.slogdet(torch.ones(2, 3)), ["slogdet", "(2, 3)"]),
        (lambda: ops.correlate(torch.ones(2, 2), torch.ones(2)), ["correlate", "1-D"]),
        (lambda: ops.diff(torch.ones(3), axis=2), ["diff", "axis=2"]),
        (lambda: ops.vdot(torch.ones(2), torch.ones(3)), ["vdot", "2", "3"]),
    ],
)
def test_errors_name_op_and_problem(call: Any, words: list[str]) -> None:
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# --- vectorize ---------------------------------------------------------------------------
def test_vectorize_where_keras_on_tensorflow_refuses(ops_oracle: Any) -> None:
    # Keras's TF backend rejects every vectorize call (its vmap takes in_axes=0 only, and the
    # shared implementation passes a tuple); we follow NumPy's vectorize, as JAX and torch do.
    (x,) = ops_oracle.inputs("float32[3,4]")
    with pytest.raises(ValueError, match="Not supported"):
        keras.ops.vectorize(lambda a: a * 2 + 1)(x)
    got = ops.vectorize(lambda a: a * 2 + 1)(torch.from_numpy(x))
    np.testing.assert_allclose(got.numpy(), x * 2 + 1, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    ("signature", "shapes", "fn"),
    [
        (None, [(3, 1), (4,)], lambda a, b: a - b),
        ("(n),(n)->()", [(2, 3), (3,)], lambda a, b: (a * b).sum()),
        ("(n)->(n)", [(2, 5, 4)], lambda a: a - a.mean()),
        ("(m,n),(n)->(m)", [(3, 2, 4), (1, 4)], lambda m, v: m @ v),
        ("()->(),()", [(2, 3)], lambda a: (a + 1, a * 2)),
    ],
)
def test_vectorize_follows_numpy_signatures_and_broadcasting(signature, shapes, fn) -> None:
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s) for s in shapes]
    got = ops.vectorize(fn, signature=signature)(*[torch.from_numpy(a) for a in args])
    expected = np.vectorize(fn, signature=signature)(*args)
    for ours, theirs in zip(
        got if isinstance(got, tuple) else [got],
        expected if isinstance(expected, tuple) else [expected],
    ):
        assert tuple(ours.shape) == np.shape(theirs)
        np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-10)


def test_vectorize_falls_back_to_a_loop_for_value_dependent_python() -> None:
    def clip_positive(a: Any) -> Any:
        return a if float(a) > 0 else a * 0  # float() cannot run under torch.vmap

    got = ops.vectorize(clip_positive)(torch.tensor([[-1.0, 2.0], [3.0, -4.0]]))
    assert got.tolist() == [[0.0, 2.0], [3.0, 0.0]]


def test_vectorize_passes_excluded_and_keyword_arguments_through() -> None:
    def scale(a: Any, factor: Any, *, shift: float = 0.0) -> Any:
        return a * factor[0] + shift

    got = ops.vectorize(scale, excluded={1})(torch.tensor([1.0, 2.0]), [3.0], shift=1.0)
    assert got.tolist() == [4.0, 7.0]
    with pytest.raises(ValueError, match="callable"):
        ops.vectorize(3)
    with pytest.raises(ValueError, match="signature"):
        ops.vectorize(scale, signature="(n)->")


def test_modules_export_keras_names_only() -> None:
    for module in (numpy_products, numpy_vectorize):
        assert set(module.__all__) <= set(dir(keras.ops.numpy))
        for name in module.__all__:
            assert inspect.unwrap(getattr(ops.numpy, name)) is getattr(module, name)
