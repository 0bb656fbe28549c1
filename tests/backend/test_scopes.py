"""``keras.name_scope`` and ``keras.device``, against real Keras where both can run."""

from __future__ import annotations

import threading
from typing import Any

import keras
import pytest
import torch

import torchbridge
from torchbridge.backend.scopes import current_path
from torchbridge.errors import InputError


def _dense_paths(lib: Any, scopes: list[str]) -> list[str]:
    layer = lib.layers.Dense(2, name="d")

    def build(depth: int) -> None:
        if depth == len(scopes):
            layer.build((None, 3))
            return
        with lib.name_scope(scopes[depth]):
            build(depth + 1)

    build(0)
    return [w.path for w in layer.weights]


@pytest.mark.parametrize("scopes", [[], ["enc"], ["enc", "block1"]])
def test_layer_weight_paths_match_keras(scopes: list[str]) -> None:
    assert _dense_paths(torchbridge, scopes) == _dense_paths(keras, scopes)


def test_scopes_nest_and_unwind() -> None:
    assert current_path() == ""
    with torchbridge.name_scope("a"), torchbridge.name_scope("b"):
        assert current_path() == "a/b"
        with torchbridge.name_scope("c", override_parent="x/y"):
            assert current_path() == "x/y/c"
        assert current_path() == "a/b"
    assert current_path() == ""


def test_same_caller_is_not_entered_twice() -> None:
    owner = object()
    with torchbridge.name_scope("a", caller=owner), torchbridge.name_scope("a", caller=owner):
        assert current_path() == "a"
    outer = torchbridge.name_scope("a", caller=owner)
    with outer, torchbridge.name_scope("a", caller=owner, deduplicate=False):
        assert current_path() == "a/a"


def test_scopes_are_per_thread() -> None:
    seen: list[str] = []
    with torchbridge.name_scope("main"):
        thread = threading.Thread(target=lambda: seen.append(current_path()))
        thread.start()
        thread.join()
    assert seen == [""]


@pytest.mark.parametrize("name", [1, "a/b", None])
def test_bad_scope_names_raise_like_keras(name: Any) -> None:
    with pytest.raises(ValueError) as theirs:
        keras.name_scope(name)
    with pytest.raises(InputError) as ours:
        torchbridge.name_scope(name)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    ("name", "expected"), [("cpu", "cpu"), ("CPU:0", "cpu:0"), ("cpu:0", "cpu:0")]
)
def test_device_places_new_tensors(name: str, expected: str) -> None:
    with keras.device(name):  # Keras accepts the same spelling
        pass
    with torchbridge.device(name) as dev:
        assert str(dev) == expected
        assert torch.zeros(1).device.type == dev.type == "cpu"
        layer = torchbridge.layers.Dense(2)
        layer.build((None, 3))
    assert layer.weights[0].device.type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_scope_places_tensors_and_weights_on_cuda() -> None:
    with torchbridge.device("gpu"):
        layer = torchbridge.layers.Dense(2)
        layer.build((None, 3))
        assert torch.zeros(1).device.type == "cuda"
    assert layer.weights[0].device.type == "cuda"
    assert torch.zeros(1).device.type == "cpu"


def test_gpu_spellings_map_to_cuda() -> None:
    from torchbridge.backend.scopes import _torch_device

    assert _torch_device("gpu") == torch.device("cuda")
    assert _torch_device("GPU:1") == torch.device("cuda", 1)
    assert _torch_device("cuda:0") == torch.device("cuda", 0)


def test_bad_device_names_say_what_to_pass() -> None:
    with pytest.raises(InputError, match="Expected a string like 'gpu:0'"):
        torchbridge.device(0).__enter__()  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown device 'tpu:0'"):
        torchbridge.device("tpu:0").__enter__()


def test_standalone_variable_paths_match_keras() -> None:
    with torchbridge.name_scope("outer"), torchbridge.name_scope("inner"):
        ours = torchbridge.Variable(1.0, name="x")
    with keras.name_scope("outer"), keras.name_scope("inner"):
        theirs = keras.Variable(1.0, name="x")
    assert ours.path == theirs.path == "outer/inner/x"
    assert torchbridge.Variable(1.0, name="y").path == "y"
