"""Hostile inputs outside the model archive: crafted safetensors headers, float64 weights into
float32 parameters, and configs nested without bound. Each case asserts the torchbridge error
class and that the message names the file (or weight) and the problem."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch import nn

import torchbridge as tb
from torchbridge.errors import InputError, SavedFormatError
from torchbridge.saving.serialization import (
    MAX_CONFIG_DEPTH,
    deserialize_keras_object,
    load_config_json,
)

_A = {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
_B = {"dtype": "F32", "shape": [4], "data_offsets": [24, 40]}
_DATA = bytes(40)


def _raw(path, header: bytes, data: bytes = _DATA, header_len: int | None = None) -> str:
    size = len(header) if header_len is None else header_len
    path.write_bytes(struct.pack("<Q", size) + header + data)
    return str(path)


def _with(**tensors) -> bytes:
    return json.dumps({"a": _A, "b": _B, **tensors}).encode()


HEADERS = {
    "header_length_huge": (dict(header=_with(), header_len=1 << 62), "header declares"),
    "header_length_past_end": (dict(header=_with(), header_len=10_000), "header declares"),
    "truncated_length_field": (None, "shorter than the 8-byte header length"),
    "bad_json": (dict(header=b'{"a": {"dtype": '), "not valid JSON"),
    "not_utf8": (dict(header=b'{"\xff\xfe": 1}'), "not valid JSON"),
    "not_an_object": (dict(header=b"[1, 2, 3]"), "not an object"),
    "offsets_outside": (
        dict(header=_with(b={"dtype": "F32", "shape": [4], "data_offsets": [24, 4024]})),
        "outside the data section",
    ),
    "offsets_reversed": (
        dict(header=_with(b={"dtype": "F32", "shape": [0], "data_offsets": [30, 24]})),
        "outside the data section",
    ),
    "overlapping": (
        dict(header=_with(b={"dtype": "F32", "shape": [4], "data_offsets": [16, 32]})),
        "overlap",
    ),
    "size_mismatch": (
        dict(header=_with(b={"dtype": "F32", "shape": [3], "data_offsets": [24, 40]})),
        "needs 12 bytes",
    ),
    "unknown_dtype": (
        dict(header=_with(b={"dtype": "X99", "shape": [4], "data_offsets": [24, 40]})),
        "unsupported dtype",
    ),
    "negative_shape": (
        dict(header=_with(b={"dtype": "F32", "shape": [-4], "data_offsets": [24, 40]})),
        "malformed shape",
    ),
    "missing_offsets": (dict(header=_with(b={"dtype": "F32", "shape": [4]})), "exactly dtype"),
    "metadata_not_strings": (dict(header=_with(__metadata__={"format": 1})), "__metadata__"),
}


@pytest.mark.parametrize("case", sorted(HEADERS))
def test_malformed_safetensors_header_is_a_saved_format_error(tmp_path, case) -> None:
    spec, problem = HEADERS[case]
    path = tmp_path / "w.safetensors"
    if spec is None:
        path.write_bytes(b"\x01\x02\x03")
        filename = str(path)
    else:
        filename = _raw(path, **spec)
    model = tb.Model.wrap(nn.Linear(3, 2))
    with pytest.raises(SavedFormatError) as info:
        model.load_weights(filename)
    message = str(info.value)
    assert filename in message and problem in message
    assert "not a valid safetensors file" in message


def test_a_valid_crafted_file_still_loads(tmp_path) -> None:
    """The checks refuse only what is wrong: the reference header above is accepted."""
    header = json.dumps(
        {
            "weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
            "bias": {"dtype": "F32", "shape": [2], "data_offsets": [24, 32]},
        }
    ).encode()
    data = np.arange(8, dtype="<f4").tobytes()
    path = _raw(tmp_path / "w.safetensors", header, data)
    module = nn.Linear(3, 2)
    tb.Model.wrap(module).load_weights(path)
    np.testing.assert_array_equal(module.weight.detach().numpy().ravel(), np.arange(6))
    np.testing.assert_array_equal(module.bias.detach().numpy(), [6, 7])


def _float64_file(tmp_path, scale: float = 1.0) -> str:
    path = str(tmp_path / "w64.safetensors")
    weight = torch.full((2, 3), 1e300 * scale, dtype=torch.float64)
    save_file({"weight": weight, "bias": torch.ones(2, dtype=torch.float64)}, path)
    return path


def test_float64_into_float32_is_refused_naming_the_weights(tmp_path) -> None:
    """Keras casts silently on assign (1e300 becomes inf in float32); torchbridge refuses."""
    path = _float64_file(tmp_path)
    module = nn.Linear(3, 2)
    before = module.weight.detach().clone()
    with pytest.raises(InputError) as info:
        tb.Model.wrap(module).load_weights(path)
    message = str(info.value)
    assert path in message and "weight is torch.float64 in the file, torch.float32" in message
    assert "allow_dtype_narrowing=True" in message
    torch.testing.assert_close(module.weight.detach(), before)  # nothing was loaded


def test_dtype_narrowing_opt_in_and_widening(tmp_path) -> None:
    path = _float64_file(tmp_path, scale=1e-300)  # 1.0: representable in float32
    module = nn.Linear(3, 2)
    tb.Model.wrap(module).load_weights(path, allow_dtype_narrowing=True)
    assert module.weight.dtype == torch.float32
    torch.testing.assert_close(module.weight.detach(), torch.ones(2, 3))
    wide = nn.Linear(3, 2).double()  # float32 file into float64 parameters: no loss, no error
    small = str(tmp_path / "w32.safetensors")
    save_file({"weight": torch.full((2, 3), 0.5), "bias": torch.zeros(2)}, small)
    tb.Model.wrap(wide).load_weights(small)
    torch.testing.assert_close(wide.weight.detach(), torch.full((2, 3), 0.5, dtype=torch.float64))


def _nested(depth: int) -> dict:
    config: dict = {"leaf": 1}
    for _ in range(depth):
        config = {"x": [config]}
    return config


@pytest.mark.parametrize("depth", [MAX_CONFIG_DEPTH, 5_000])
def test_config_nesting_is_bounded(depth) -> None:
    config = {"class_name": "Dense", "config": {"units": 2, "kernel_initializer": _nested(depth)}}
    with pytest.raises(SavedFormatError, match=f"nests deeper than {MAX_CONFIG_DEPTH} levels"):
        deserialize_keras_object(config)


def test_ordinary_nested_configs_still_deserialize() -> None:
    inner = tb.Sequential([tb.layers.Input((3,)), tb.layers.Dense(2)])
    outer = tb.Sequential([tb.layers.Input((3,)), inner, tb.layers.Dense(1)])
    rebuilt = deserialize_keras_object(tb.saving.serialize_keras_object(outer))
    assert [type(layer).__name__ for layer in rebuilt.layers] == ["Sequential", "Dense"]


@pytest.mark.parametrize(
    "text, problem",
    [
        ('{"x":' * 100_000 + "1" + "}" * 100_000, "nests deeper than Python's JSON parser"),
        ("[" * (MAX_CONFIG_DEPTH + 1) + "]" * (MAX_CONFIG_DEPTH + 1), "nests deeper than 200"),
        ('{"class_name": ', "is not valid JSON"),
    ],
    ids=["parser_limit", "depth_limit", "bad_json"],
)
def test_load_config_json_never_raises_recursion_error(text, problem) -> None:
    with pytest.raises(SavedFormatError, match=problem) as info:
        load_config_json(text, "m.keras/config.json")
    assert "m.keras/config.json" in str(info.value)
