"""The data-adapter registry: third-party input types, and Hugging Face ``datasets`` routed
through it — also when the user never imported ``torchbridge.hf``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import torchbridge as tb
from torchbridge.errors import InputError
from torchbridge.training import adapter_registry
from torchbridge.training.adapter_registry import (
    AdapterOptions,
    find_data_adapter,
    register_data_adapter,
    register_lazy_data_adapter,
    registered_data_adapters,
    unregister_data_adapter,
)
from torchbridge.training.data_adapter import (
    ArrayAdapter,
    IterableAdapter,
    make_adapter,
    split_validation,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(12, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-1.0], [2.0]], "float32")).astype("float32")


class Table:
    """A third party's in-memory table: features and target in named columns."""

    def __init__(self, features: np.ndarray, target: np.ndarray) -> None:
        self.columns = {"features": features, "target": target}

    def __iter__(self) -> Iterator[Any]:  # iterable: without its adapter, read as batches
        return iter(self.columns.items())


def _table_adapter(x: Table, y: Any, sample_weight: Any, options: AdapterOptions) -> Any:
    if y is not None:
        raise InputError("A Table carries its target: do not pass y.")
    seen.append(options)
    return ArrayAdapter(
        torch.from_numpy(x.columns["features"]),
        torch.from_numpy(x.columns["target"]),
        batch_size=options.batch_size,
        shuffle=options.shuffle,
    )


def _split_table(x: Table, y: Any, sw: Any, fraction: float) -> Any:
    n = int(len(x.columns["target"]) * (1 - fraction))
    head, tail = (Table(*(c[s] for c in x.columns.values())) for s in (slice(n), slice(n, None)))
    return (head, None, None), (tail, None, None)


seen: list[AdapterOptions] = []


@pytest.fixture
def table_adapter() -> Iterator[str]:
    seen.clear()
    register_data_adapter("table", lambda x: isinstance(x, Table), _table_adapter)
    yield "table"
    unregister_data_adapter("table")


def _model() -> tb.Model:
    torch.manual_seed(0)
    model = tb.Sequential([tb.Input((3,)), tb.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", device="cpu")
    return model


def test_a_registered_adapter_reads_its_type_in_fit_evaluate_predict(table_adapter: str) -> None:
    assert find_data_adapter(Table(X, Y)).name == table_adapter  # type: ignore[union-attr]
    assert table_adapter in registered_data_adapters()
    model, reference = _model(), _model()
    history = model.fit(Table(X, Y), batch_size=4, epochs=2, shuffle=False, verbose=0)
    want = reference.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert history.history["loss"] == want.history["loss"]
    assert model.evaluate(Table(X, Y), verbose=0) == reference.evaluate(X, Y, verbose=0)
    assert seen[0] == AdapterOptions(batch_size=4, shuffle=False, for_what="fit")
    assert [o.for_what for o in seen[1:]] == ["evaluate"]
    with pytest.raises(InputError, match="carries its target"):
        model.fit(Table(X, Y), Y, verbose=0)


def test_registered_adapters_come_before_the_built_in_ones(table_adapter: str) -> None:
    assert isinstance(make_adapter(Table(X, Y), batch_size=5), ArrayAdapter)
    unregister_data_adapter(table_adapter)
    assert isinstance(make_adapter(Table(X, Y)), IterableAdapter)  # a plain iterable again


def test_validation_split_is_the_adapters_own(table_adapter: str) -> None:
    with pytest.raises(InputError, match="validation_split is only supported"):
        split_validation(Table(X, Y), None, None, 0.25)
    register_data_adapter(
        table_adapter, lambda x: isinstance(x, Table), _table_adapter, split=_split_table
    )
    fit = {"validation_split": 0.25, "batch_size": 3, "shuffle": False, "verbose": 0}
    history = _model().fit(Table(X, Y), **fit)
    assert "val_loss" in history.history
    want = _model().fit(X, Y, **fit)
    assert history.history == want.history


def test_registering_the_same_name_replaces_it(table_adapter: str) -> None:
    before = registered_data_adapters().count(table_adapter)
    register_data_adapter(table_adapter, lambda x: False, _table_adapter)
    assert registered_data_adapters().count(table_adapter) == before == 1
    assert find_data_adapter(Table(X, Y)) is None


@pytest.mark.parametrize(
    "args", [("", lambda x: True, _table_adapter), ("t", None, _table_adapter), ("t", len, 3)]
)
def test_bad_registrations_name_the_signature(args: tuple[Any, ...]) -> None:
    with pytest.raises(InputError, match=r"accepts\(x\) -> bool"):
        register_data_adapter(*args)


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package ``tablepkg`` (the data type) and ``tablepkg_bridge`` (registers its adapter)."""
    (tmp_path / "tablepkg").mkdir()
    (tmp_path / "tablepkg" / "__init__.py").write_text(
        "class Frame:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n"
    )
    (tmp_path / "tablepkg_bridge.py").write_text(
        textwrap.dedent(
            """
            from torchbridge.training.adapter_registry import register_data_adapter
            from torchbridge.training.data_adapter import ArrayAdapter

            def make(x, y, sw, options):
                return ArrayAdapter(x.x, x.y, batch_size=options.batch_size)

            register_data_adapter(
                "tablepkg", lambda x: type(x).__module__ == "tablepkg", make
            )
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("tablepkg", "tablepkg_bridge"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(adapter_registry, "_lazy", dict(adapter_registry._lazy))
    yield tmp_path
    unregister_data_adapter("tablepkg")


def test_a_lazy_entry_imports_the_registering_module_on_first_use(third_party: Path) -> None:
    import tablepkg  # type: ignore[import-not-found]

    frame = tablepkg.Frame(X, Y)
    assert find_data_adapter(frame) is None  # nothing registered, no lazy entry
    register_lazy_data_adapter("tablepkg", "tablepkg_bridge")
    assert "tablepkg_bridge" not in sys.modules
    history = _model().fit(frame, batch_size=4, epochs=1, verbose=0)
    assert "tablepkg_bridge" in sys.modules
    want = _model().fit(X, Y, batch_size=4, shuffle=False, verbose=0)
    assert history.history == want.history


def test_a_lazy_registrar_that_cannot_be_imported_says_what_to_install(third_party: Path) -> None:
    import tablepkg

    register_lazy_data_adapter("tablepkg", "tablepkg_missing_bridge")
    with pytest.raises(InputError, match=r"tablepkg_missing_bridge.*pip install"):
        _model().fit(tablepkg.Frame(X, Y), verbose=0)


# --- Hugging Face datasets, through the registry -----------------------------------------------
datasets = pytest.importorskip("datasets")


def _numeric_dataset() -> Any:
    return datasets.Dataset.from_dict({"input_ids": X.tolist(), "label": Y[:, 0].tolist()})


def test_a_datasets_dataset_goes_to_the_hf_adapter() -> None:
    from torchbridge.hf.dataset_adapter import NAME

    ds = _numeric_dataset()
    assert find_data_adapter(ds).name == NAME  # type: ignore[union-attr]
    assert find_data_adapter(ds.to_iterable_dataset()).name == NAME  # type: ignore[union-attr]
    adapter = make_adapter(ds, batch_size=5)
    assert isinstance(adapter, IterableAdapter) and adapter.num_batches == 3
    x, y = next(iter(adapter.iter_epoch(0)))
    np.testing.assert_allclose(x["input_ids"].numpy(), X[:5])
    np.testing.assert_allclose(y.numpy(), Y[:5, 0])
    (train, _, _), (val, _, _) = split_validation(ds, None, None, 0.25)
    assert (len(train), len(val)) == (9, 3)
    with pytest.raises(InputError, match="stream cannot be split"):
        split_validation(ds.to_iterable_dataset(), None, None, 0.25)


def test_fit_reads_a_datasets_dataset_without_importing_torchbridge_hf() -> None:
    """In a fresh interpreter: only the registry's lazy entry brings torchbridge.hf in."""
    code = textwrap.dedent(
        """
        import sys
        import datasets, numpy as np, torch
        import torchbridge as tb

        assert "torchbridge.hf" not in sys.modules
        x = np.arange(24, dtype="float32").reshape(8, 3) / 24
        ds = datasets.Dataset.from_dict({"input_ids": x.tolist(), "label": x.sum(1).tolist()})

        class Net(tb.Model):
            def __init__(self):
                super().__init__()
                self.dense = torch.nn.Linear(3, 1)

            def forward(self, inputs):
                return self.dense(inputs["input_ids"].float()).squeeze(-1)

        model = Net()
        model.compile(optimizer="sgd", loss="mse", device="cpu")
        assert "torchbridge.hf" not in sys.modules
        history = model.fit(ds, batch_size=4, epochs=2, validation_split=0.25, verbose=0)
        assert len(history.history["val_loss"]) == 2, history.history
        assert "torchbridge.hf.dataset_adapter" in sys.modules
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
