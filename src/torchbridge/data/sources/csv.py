"""``CsvDataset`` and the CSV reading it shares with ``make_csv_dataset``.

Who does what:

* :class:`ColumnSpec` / :func:`column_spec` — one column's type and default,
  from a ``record_defaults`` entry (a dtype: required column; a value: its
  default), as ``tf.data.experimental.CsvDataset`` takes them.
* :class:`CsvFileReader`, :class:`SequentialRows`, :class:`InterleavedRows`
  (in ``csv_read.py``, re-exported here) — blocks of records from one or many
  files, one file after the other or in tf.data's interleave order.
* :func:`convert_block` — a block of records to one NumPy column per selected
  field, in bulk; only when that fails are the rows checked one by one, to
  name the file, line and column of the bad value (or to drop the bad rows).

Semantics follow TF's CSV kernel: records end at ``\\n``, ``\\r\\n`` or ``\\r``;
an empty line is a record with one empty field; an empty (or quoted empty)
field or one equal to ``na_value`` takes the column's default, and is an error
if the column has none; numbers may carry surrounding spaces; a float too
large for its type becomes ``inf``; an int out of range is an error. Numbers
are parsed with Python's ``int``/``float`` rules (so ``"1_000"`` is accepted,
TF rejects it), and a quote inside an unquoted field is kept as a character
(TF rejects the record). Elements are tuples of scalar tensors and ``str``
(TF gives ``bytes``), decoded as UTF-8.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import UNKNOWN, Dataset
from torchbridge.data.sources.csv_read import (
    Block,
    CsvFileReader,
    CsvFormat,
    InterleavedRows,
    SequentialRows,
)
from torchbridge.data.sources.files import filename_iterator
from torchbridge.errors import InputError

__all__ = [
    "CsvDataset",
    "ColumnSpec",
    "column_spec",
    "CsvFormat",
    "CsvFileReader",
    "SequentialRows",
    "InterleavedRows",
    "convert_block",
]

NUMPY_DTYPES: dict[str, Any] = {
    "int32": np.int32,
    "int64": np.int64,
    "float32": np.float32,
    "float64": np.float64,
    "string": object,
}
_TORCH_TO_NAME = {
    torch.int32: "int32",
    torch.int64: "int64",
    torch.float32: "float32",
    torch.float64: "float64",
}
_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


@dataclass(frozen=True)
class ColumnSpec:
    """One output column: its dtype name, default (``None``: required), name and field index."""

    dtype: str
    default: Any
    name: str
    index: int

    @property
    def default_text(self) -> str:
        return self.default if self.dtype == "string" else repr(self.default)


def _dtype_name(x: Any) -> str | None:
    if isinstance(x, torch.dtype):
        return _TORCH_TO_NAME.get(x)
    if x is str or x is bytes:
        return "string"
    if x is int:
        return "int32"
    if x is float:
        return "float32"
    if hasattr(x, "as_numpy_dtype") and hasattr(x, "name"):  # a tf.DType
        return "string" if x.name == "string" else x.name if x.name in NUMPY_DTYPES else None
    if isinstance(x, np.dtype) or (isinstance(x, type) and issubclass(x, np.generic)):
        dt = np.dtype(x)
        if dt.kind in "OSU":
            return "string"
        return dt.name if dt.name in NUMPY_DTYPES else None
    return None


def column_spec(value: Any, index: int, name: str, what: str = "record_defaults") -> ColumnSpec:
    """A :class:`ColumnSpec` from a ``record_defaults`` entry: a dtype or a default value."""
    dtype = _dtype_name(value) if not isinstance(value, (str, bytes)) else None
    if dtype is not None:
        return ColumnSpec(dtype, None, name, index)
    if hasattr(value, "numpy") and not isinstance(value, torch.Tensor):  # a tf.Tensor
        value = np.asarray(value.numpy())
    if isinstance(value, torch.Tensor):
        dtype = _TORCH_TO_NAME.get(value.dtype)
        if dtype is None or value.numel() > 1:
            raise InputError(
                f"{what}[{index}] ({name}) is a {value.dtype} tensor of shape "
                f"{tuple(value.shape)}; use a scalar (or empty) int32/int64/float32/float64 tensor."
            )
        return ColumnSpec(
            dtype, None if value.numel() == 0 else value.reshape(-1)[0].item(), name, index
        )
    if isinstance(value, np.ndarray):
        dtype = _dtype_name(value.dtype)
        if dtype is None or value.size > 1:
            raise InputError(f"{what}[{index}] ({name}): unsupported array {value!r}.")
        if value.size == 0:
            return ColumnSpec(dtype, None, name, index)
        item: Any = value.reshape(-1)[0]
        if dtype == "string":
            text = item.decode("utf-8") if isinstance(item, bytes) else str(item)
            return ColumnSpec(dtype, text, name, index)
        return ColumnSpec(dtype, item.item(), name, index)
    if isinstance(value, np.generic):
        dtype = _dtype_name(value.dtype)
        if dtype is None:
            raise InputError(f"{what}[{index}] ({name}): unsupported value {value!r}.")
        return ColumnSpec(dtype, value.item(), name, index)
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return column_spec(value[0], index, name, what)
    if isinstance(value, bytes):
        return ColumnSpec("string", value.decode("utf-8"), name, index)
    if isinstance(value, str):
        return ColumnSpec("string", value, name, index)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(
            f"{what}[{index}] ({name}) is {value!r}; each entry must be a dtype (int32, int64, "
            "float32, float64, string: a required column) or a default value (int, float, str)."
        )
    if isinstance(value, int):
        lo, hi = _INT_RANGE["int32"]
        return ColumnSpec("int32" if lo <= value <= hi else "int64", value, name, index)
    return ColumnSpec("float32", float(value), name, index)


# --- reading records: csv_read.py ------------------------------------------------------------


# --- converting records -------------------------------------------------------------------


class _Slow(Exception):
    """The bulk conversion cannot handle this block; check the rows one by one."""


@dataclass(frozen=True)
class RowLayout:
    """Which fields a record must have: exactly ``nfields``, or at least ``min_fields``."""

    specs: tuple[ColumnSpec, ...]
    nfields: int | None
    min_fields: int
    na_value: str

    def describe(self) -> str:
        if self.nfields is not None:
            return f"{self.nfields} fields"
        return f"at least {self.min_fields} fields"


def _convert_column(col: Sequence[str], spec: ColumnSpec, na: str) -> np.ndarray:
    if "" in col or (na and na in col):
        if spec.default is None:
            raise _Slow
        d = spec.default_text
        col = [d if (v == "" or v == na) else v for v in col]
    if spec.dtype == "string":
        out = np.empty(len(col), dtype=object)
        out[:] = col
        return out
    try:
        if spec.dtype in _INT_RANGE:
            arr = np.array(col, dtype=np.int64)
            if spec.dtype == "int32" and len(arr):
                lo, hi = _INT_RANGE["int32"]
                if arr.min() < lo or arr.max() > hi:
                    raise _Slow
                return arr.astype(np.int32)
            return arr
        arr = np.array(list(map(float, col)), dtype=np.float64)
    except (ValueError, OverflowError, TypeError):
        raise _Slow from None
    if spec.dtype == "float32":
        with np.errstate(over="ignore"):
            return arr.astype(np.float32)
    return arr


def _convert_fast(rows: list[list[str]], layout: RowLayout) -> list[np.ndarray]:
    if not rows:
        return [np.empty(0, dtype=NUMPY_DTYPES[s.dtype]) for s in layout.specs]
    lens = set(map(len, rows))
    if 0 in lens:  # an empty line is one empty field
        rows = [r if r else [""] for r in rows]
        lens = set(map(len, rows))
    if layout.nfields is not None:
        if lens != {layout.nfields}:
            raise _Slow
    elif min(lens) < layout.min_fields:
        raise _Slow
    cols = list(zip(*rows)) if lens == {len(rows[0])} else None
    out = []
    for spec in layout.specs:
        col = cols[spec.index] if cols is not None else [r[spec.index] for r in rows]
        out.append(_convert_column(col, spec, layout.na_value))
    return out


def _check_value(value: str, spec: ColumnSpec, na: str) -> None:
    if value == "" or (na and value == na):
        if spec.default is None:
            raise InputError(
                f"column {spec.name!r} (field {spec.index}) is {'empty' if value == '' else f'NA ({value!r})'} and "
                "has no default. Give the column a default value (not a dtype) in "
                "record_defaults/column_defaults, or fix the row."
            )
        return
    if spec.dtype == "string":
        return
    try:
        if spec.dtype in _INT_RANGE:
            v = int(value)
            lo, hi = _INT_RANGE[spec.dtype]
            if not lo <= v <= hi:
                raise ValueError
        else:
            float(value)
    except ValueError:
        raise InputError(
            f"column {spec.name!r} (field {spec.index}): {value!r} is not a valid {spec.dtype}. Fix the value or "
            "declare the column as a string."
        ) from None


def _check_row(row: list[str], layout: RowLayout) -> None:
    if not row:
        row = [""]
    if (layout.nfields is not None and len(row) != layout.nfields) or len(row) < layout.min_fields:
        raise InputError(
            f"the record has {len(row)} field(s) but {layout.describe()} were expected "
            f"(columns {', '.join(s.name for s in layout.specs)}). Check field_delim "
            f"and quoting."
        )
    for spec in layout.specs:
        _check_value(row[spec.index], spec, layout.na_value)


def convert_block(block: Block, layout: RowLayout, ignore_errors: bool = False) -> list[np.ndarray]:
    """One NumPy column per spec for the block's records (bad records raise or are dropped)."""
    rows, paths, lines = block
    try:
        return _convert_fast(rows, layout)
    except _Slow:
        pass
    good = []
    for i, row in enumerate(rows):
        try:
            _check_row(row, layout)
        except InputError as e:
            if ignore_errors:
                continue
            raise InputError(f"{paths[i]!r}, line {lines[i]}: {e}") from None
        good.append(row)
    return _convert_fast(good, layout)


def _first_bad(block: Block, layout: RowLayout) -> int:
    """Index of the first record of ``block`` that does not convert."""
    for i, row in enumerate(block[0]):
        try:
            _check_row(row, layout)
        except InputError:
            return i
    return len(block[0])  # pragma: no cover - convert_block raised, so one is bad


def make_layout(specs: Sequence[ColumnSpec], nfields: int | None, na_value: str) -> RowLayout:
    return RowLayout(tuple(specs), nfields, max((s.index for s in specs), default=-1) + 1, na_value)


# --- CsvDataset ---------------------------------------------------------------------------

_BLOCK_ROWS = 1024


class _CsvIterator:
    def __init__(self, source: SequentialRows, layout: RowLayout) -> None:
        self._source = source
        self._layout = layout
        self._cols: list[Any] = []
        self._n = 0
        self._pos = 0
        self._rest: Block | None = None  # records read after a bad one
        self._error: InputError | None = None  # the bad record's error, still to raise

    def __iter__(self) -> _CsvIterator:
        return self

    def _set_block(self, cols: list[np.ndarray]) -> None:
        self._cols = [c if c.dtype == object else torch.from_numpy(c) for c in cols]
        self._n = len(cols[0]) if cols else 0
        self._pos = 0

    def __next__(self) -> tuple[Any, ...]:
        while self._pos >= self._n:
            if self._error is not None:  # a bad record, raised at its place in the order
                error, self._error = self._error, None
                raise error
            block, self._rest = self._rest or self._source.read_block(_BLOCK_ROWS), None
            if not block[0]:
                raise StopIteration
            try:
                cols = convert_block(block, self._layout)
            except InputError as e:
                # The records before the bad one come first; those after it stay for
                # later (as tf.data, whose ignore_errors() drops just the bad record).
                bad = _first_bad(block, self._layout)
                rows, paths, lines = block
                self._rest = (rows[bad + 1 :], paths[bad + 1 :], lines[bad + 1 :])
                self._error = e
                cols = convert_block((rows[:bad], paths[:bad], lines[:bad]), self._layout)
            self._set_block(cols)
        i = self._pos
        self._pos = i + 1
        return tuple(c[i] for c in self._cols)

    def get_state(self) -> dict[str, Any]:
        pending = [
            (
                c[self._pos : self._n].numpy() if isinstance(c, torch.Tensor) else c[self._pos :]
            ).copy()
            for c in self._cols
        ]
        rest = [list(part) for part in self._rest] if self._rest else None
        return {"source": self._source.get_state(), "pending": pending, "rest": rest}

    def set_state(self, state: dict[str, Any]) -> None:
        self._source.set_state(state["source"])
        rest = state.get("rest")
        self._rest = (rest[0], rest[1], rest[2]) if rest else None
        self._error = None
        pending = state["pending"]
        if pending:
            self._set_block([np.asarray(c) for c in pending])
        else:
            self._cols, self._n, self._pos = [], 0, 0

    def close(self) -> None:
        self._source.close()


class CsvDataset(Dataset):
    """``tf.data.experimental.CsvDataset``: one tuple of scalars per CSV record.

    ``record_defaults`` has one entry per output column: a dtype (``torch.int32``,
    ``np.float64``, ``str``, ``tf.int64`` ...: the column is required) or a
    default value (``0`` → int32, ``0.0`` → float32, ``""`` → string, or a
    scalar tensor/array of the wanted dtype). ``select_cols`` / ``exclude_cols``
    pick fields by (increasing) index. Numeric fields become 0-d tensors, text
    fields ``str``.
    """

    def __init__(
        self,
        filenames: Any,
        record_defaults: Sequence[Any],
        compression_type: str | None = None,
        buffer_size: int | None = None,
        header: bool = False,
        field_delim: str = ",",
        use_quote_delim: bool = True,
        na_value: str = "",
        select_cols: Sequence[int] | None = None,
        exclude_cols: Sequence[int] | None = None,
        name: str | None = None,
    ) -> None:
        self._names = filename_iterator(filenames)
        self._fmt = CsvFormat(
            compression_type or None, "utf-8", bool(header), field_delim, bool(use_quote_delim)
        )
        defaults = list(record_defaults)
        if not defaults:
            raise InputError("record_defaults is empty; give one dtype or default per column.")
        if select_cols is not None and exclude_cols is not None:
            raise InputError("Pass at most one of select_cols and exclude_cols.")
        if select_cols is not None:
            indices = [int(i) for i in select_cols]
            _check_increasing(indices, "select_cols")
            if len(indices) != len(defaults):
                raise InputError(
                    f"select_cols has {len(indices)} indices but record_defaults has "
                    f"{len(defaults)} entries; they must match."
                )
            nfields: int | None = None
        elif exclude_cols is not None:
            excluded = [int(i) for i in exclude_cols]
            _check_increasing(excluded, "exclude_cols")
            nfields = len(defaults) + len(excluded)
            indices = [i for i in range(nfields) if i not in set(excluded)]
        else:
            indices = list(range(len(defaults)))
            nfields = len(defaults)
        specs = [
            column_spec(v, j, f"{i}", "record_defaults")
            for j, (i, v) in enumerate(zip(indices, defaults))
        ]
        specs = [ColumnSpec(s.dtype, s.default, s.name, i) for s, i in zip(specs, indices)]
        self._layout = make_layout(specs, nfields, na_value)
        self.dtypes = tuple(s.dtype for s in specs)

    def _iterator(self) -> _CsvIterator:
        return _CsvIterator(SequentialRows(self._names(), self._fmt), self._layout)

    def _cardinality(self) -> int:
        return UNKNOWN


def _check_increasing(indices: list[int], what: str) -> None:
    if any(i < 0 for i in indices) or any(b <= a for a, b in itertools.pairwise(indices)):
        raise InputError(f"{what} must be strictly increasing non-negative indices, got {indices}.")
