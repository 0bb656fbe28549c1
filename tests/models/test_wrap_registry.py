"""``Model.wrap`` through the wrapper registry: registered wrappers, lazy entries, transformers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import torchbridge as tb
from torchbridge.errors import InputError
from torchbridge.models import wrap_registry
from torchbridge.models.wrap_registry import (
    find_wrapper,
    register_lazy_wrapper,
    register_wrapper,
    registered_wrappers,
    unregister_wrapper,
)
from torchbridge.models.wrapped import WrappedModel


@pytest.fixture(autouse=True)
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees a copy of the registry: what it registers goes away after it."""
    monkeypatch.setattr(wrap_registry, "_wrappers", dict(wrap_registry._wrappers))
    monkeypatch.setattr(wrap_registry, "_lazy", dict(wrap_registry._lazy))


class Tagged(WrappedModel):
    """A wrapper that says which registration built it."""

    def __init__(self, module: nn.Module, name: str | None = None, tag: str = "") -> None:
        super().__init__(module, name=name)
        self.tag = tag


class Sine(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


def _factory(tag: str) -> Any:
    return lambda module, name=None: Tagged(module, name=name, tag=tag)


def test_a_registered_wrapper_is_what_model_wrap_returns() -> None:
    register_wrapper("sine", lambda m: isinstance(m, Sine), _factory("sine"))
    wrapped = tb.Model.wrap(Sine(), name="s")
    assert isinstance(wrapped, Tagged) and wrapped.tag == "sine" and wrapped.name == "s"
    torch.testing.assert_close(wrapped(torch.zeros(2)), torch.zeros(2))
    plain = tb.Model.wrap(nn.Linear(2, 2))  # not accepted: the default wrapper
    assert type(plain) is WrappedModel
    assert tb.Model.wrap(wrapped) is wrapped  # a Model is returned as it is


def test_wrappers_are_tried_in_order_and_a_name_registered_again_replaces_it() -> None:
    register_wrapper("first", lambda m: True, _factory("first"))
    register_wrapper("second", lambda m: True, _factory("second"))
    assert registered_wrappers()[-2:] == ["first", "second"]
    assert tb.Model.wrap(Sine()).tag == "first"
    register_wrapper("first", lambda m: False, _factory("never"))
    assert registered_wrappers()[-2:] == ["second", "first"]
    assert tb.Model.wrap(Sine()).tag == "second"
    unregister_wrapper("second")
    unregister_wrapper("first")
    unregister_wrapper("absent")  # nothing to remove: no error
    assert type(tb.Model.wrap(Sine())) is WrappedModel


@pytest.mark.parametrize(
    "args", [("", lambda m: True, Tagged), ("t", None, Tagged), ("t", bool, "not callable")]
)
def test_a_bad_registration_names_what_is_expected(args: tuple) -> None:
    with pytest.raises(InputError, match=r"register_wrapper\(name, accepts, factory\)"):
        register_wrapper(*args)


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package ``netpkg`` with a module class, and ``netpkg_bridge`` registering a wrapper."""
    (tmp_path / "netpkg.py").write_text(
        textwrap.dedent(
            """
            import torch

            class Net(torch.nn.Module):
                def forward(self, x):
                    return 2 * x
            """
        )
    )
    (tmp_path / "netpkg_bridge.py").write_text(
        textwrap.dedent(
            """
            import netpkg
            from torchbridge.models.wrap_registry import register_wrapper
            from torchbridge.models.wrapped import WrappedModel

            class NetModel(WrappedModel):
                pass

            register_wrapper("netpkg", lambda m: isinstance(m, netpkg.Net), NetModel)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("netpkg", "netpkg_bridge"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    yield tmp_path
    for name in ("netpkg", "netpkg_bridge"):
        sys.modules.pop(name, None)


def test_a_lazy_entry_imports_the_registering_module_on_first_wrap(third_party: Path) -> None:
    import netpkg  # type: ignore[import-not-found]

    class Subclassed(netpkg.Net):  # defined here: its MRO still reaches netpkg
        pass

    assert find_wrapper(netpkg.Net()) is None  # no lazy entry yet: nothing imported
    register_lazy_wrapper("netpkg", "netpkg_bridge")
    assert type(tb.Model.wrap(nn.Linear(1, 1))) is WrappedModel
    assert "netpkg_bridge" not in sys.modules  # a plain torch module imports nothing
    wrapped = tb.Model.wrap(Subclassed())
    assert "netpkg_bridge" in sys.modules
    assert type(wrapped).__name__ == "NetModel" and type(wrapped).__module__ == "netpkg_bridge"
    torch.testing.assert_close(wrapped(torch.ones(2)), torch.full((2,), 2.0))


def test_a_lazy_registrar_that_fails_to_import_names_it(third_party: Path) -> None:
    import netpkg

    register_lazy_wrapper("netpkg", "netpkg_missing_bridge")
    with pytest.raises(InputError, match=r"netpkg\.Net needs netpkg_missing_bridge.*pip install"):
        tb.Model.wrap(netpkg.Net())


def test_model_wrap_routes_transformers_without_importing_torchbridge_hf() -> None:
    """In a fresh interpreter: only the lazy entry for ``transformers`` brings hf.model in."""
    pytest.importorskip("transformers")
    code = textwrap.dedent(
        """
        import sys
        import torch, transformers
        import torchbridge as tb

        plain = tb.Model.wrap(torch.nn.Linear(2, 2))
        assert type(plain) is tb.models.WrappedModel
        assert "torchbridge.hf" not in sys.modules
        config = transformers.BertConfig(
            vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
            intermediate_size=16, num_labels=2,
        )
        bert = transformers.BertForSequenceClassification(config)
        wrapped = tb.Model.wrap(bert, name="clf")
        from torchbridge.hf import HFModel

        assert type(wrapped) is HFModel, type(wrapped)
        assert wrapped.module is bert and wrapped.name == "clf" and wrapped.task is not None
        assert "torchbridge.hf.model" in sys.modules
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
