"""One registry decides every kind of x: a third party's kind plugs into fit/evaluate/predict,
and overlaps resolve by priority, then order of registration (as adapter_registry documents)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import torchbridge as tb
from torchbridge.training.adapter_registry import (
    PRIORITY_ARRAYS,
    PRIORITY_DATASETS,
    PRIORITY_PACKAGES,
    PRIORITY_PY_DATASET,
    AdapterOptions,
    adapter_for,
    register_data_adapter,
    registered_data_adapters,
    unregister_data_adapter,
)
from torchbridge.training.data_adapter import ArrayAdapter, make_adapter

X = np.linspace(-1, 1, 30, dtype="float32").reshape(10, 3)
Y = X.sum(1, keepdims=True)


class Columns:
    """A third party's column store: iterable over its column names (not batches)."""

    def __init__(self, **columns: np.ndarray) -> None:
        self.columns = columns

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)


def _columns_adapter(x: Columns, y: Any, sw: Any, options: AdapterOptions) -> ArrayAdapter:
    made.append(options.for_what)
    target = x.columns.get("target")
    return ArrayAdapter(
        torch.from_numpy(x.columns["features"]),
        None if target is None else torch.from_numpy(target),
        batch_size=options.batch_size,
        shuffle=options.shuffle,
    )


made: list[str] = []


@pytest.fixture
def names() -> Iterator[list[str]]:
    registered: list[str] = []
    made.clear()
    yield registered
    for name in registered:
        unregister_data_adapter(name)


def _register(names: list[str], name: str, accepts: Any, factory: Any, **kw: Any) -> None:
    register_data_adapter(name, accepts, factory, **kw)
    names.append(name)


def _model() -> tb.Model:
    torch.manual_seed(0)
    model = tb.Sequential([tb.Input((3,)), tb.layers.Dense(1)])
    model.compile(optimizer=tb.optimizers.SGD(learning_rate=0.1), loss="mse", device="cpu")
    return model


def test_a_third_party_kind_runs_fit_evaluate_predict(names: list[str]) -> None:
    _register(names, "columns", lambda x: isinstance(x, Columns), _columns_adapter)
    table = Columns(features=X, target=Y)
    ours, reference = _model(), _model()
    ours.fit(table, batch_size=4, epochs=2, shuffle=False, verbose=0)
    reference.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for got, want in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert ours.evaluate(table, verbose=0) == reference.evaluate(X, Y, verbose=0)
    np.testing.assert_array_equal(
        ours.predict(Columns(features=X), verbose=0), reference.predict(X, verbose=0)
    )
    assert made == ["fit", "evaluate", "predict"]


def test_the_documented_order_of_the_built_in_kinds() -> None:
    order = registered_data_adapters()
    built_in = [
        "py_dataset",
        "torchbridge_dataset",
        "tf_data",
        "grain",
        "torch_dataloader",
        "torch_dataset",
        "generator",
        "iterable",
        "arrays",
    ]
    assert [name for name in order if name in built_in] == built_in
    assert order[-1] == "arrays"
    assert PRIORITY_PY_DATASET < PRIORITY_PACKAGES < PRIORITY_DATASETS < PRIORITY_ARRAYS


def test_overlaps_resolve_by_priority_then_registration(names: list[str]) -> None:
    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)), batch_size=5)
    assert adapter_for(loader).name == "torch_dataloader"  # type: ignore[union-attr]
    # A package's adapter (default priority) comes before every built-in streaming kind.
    _register(names, "first", lambda x: isinstance(x, DataLoader), _columns_adapter)
    _register(names, "second", lambda x: isinstance(x, DataLoader), _columns_adapter)
    assert adapter_for(loader).name == "first"  # type: ignore[union-attr]
    # Equal priorities: order of registration; registering a name again moves it last.
    register_data_adapter("first", lambda x: isinstance(x, DataLoader), _columns_adapter)
    assert adapter_for(loader).name == "second"  # type: ignore[union-attr]
    # A lower priority number wins whatever the order of registration.
    _register(names, "urgent", lambda x: isinstance(x, DataLoader), _columns_adapter, priority=50)
    assert adapter_for(loader).name == "urgent"  # type: ignore[union-attr]
    # Below the built-ins' band, an adapter only sees what no built-in kind takes.
    _register(names, "late", lambda x: True, _columns_adapter, priority=PRIORITY_ARRAYS - 1)
    for name in ("first", "second", "urgent"):
        unregister_data_adapter(name)
    assert adapter_for(loader).name == "torch_dataloader"  # type: ignore[union-attr]
    assert adapter_for(X).name == "late"  # type: ignore[union-attr]


def test_py_dataset_comes_before_a_packages_default_priority(names: list[str]) -> None:
    class Batches(tb.utils.PyDataset):
        def __len__(self) -> int:
            return 2

        def __getitem__(self, index: int) -> Any:
            return X[index * 5 : index * 5 + 5], Y[index * 5 : index * 5 + 5]

    _register(names, "everything", lambda x: True, _columns_adapter)
    assert adapter_for(Batches()).name == "py_dataset"  # type: ignore[union-attr]
    _register(names, "before", lambda x: isinstance(x, Batches), _columns_adapter, priority=5)
    assert adapter_for(Batches()).name == "before"  # type: ignore[union-attr]


def test_without_the_arrays_entry_nothing_reads_an_unknown_object() -> None:
    from torchbridge.errors import InputError
    from torchbridge.training.adapters import array

    unregister_data_adapter(array.NAME)
    try:
        with pytest.raises(InputError, match="register_data_adapter"):
            make_adapter(object())
    finally:
        register_data_adapter(
            array.NAME,
            array.can_handle,
            array.make_array_adapter,
            split=array.split_arrays,
            priority=PRIORITY_ARRAYS,
            builtin=True,
        )
    assert isinstance(make_adapter(X, Y), ArrayAdapter)
