"""backend.config against Keras 3: defaults, setters and their refusals."""

from __future__ import annotations

import keras
import pytest

from torchbridge.backend import config


def test_defaults_match_keras() -> None:
    assert config.floatx() == keras.config.floatx() == "float32"
    assert config.epsilon() == keras.config.epsilon() == 1e-7
    assert config.image_data_format() == keras.config.image_data_format()
    assert config.backend() == "torch"


@pytest.mark.parametrize("value", ["float16", "bfloat16", "float64", "float32"])
def test_set_floatx(value: str) -> None:
    try:
        config.set_floatx(value)
        assert config.floatx() == value
    finally:
        config.set_floatx("float32")


@pytest.mark.parametrize("value", ["int32", "float", None])
def test_set_floatx_refuses_non_float(value: object) -> None:
    with pytest.raises(ValueError):
        keras.config.set_floatx(value)
    with pytest.raises(ValueError, match="float32"):
        config.set_floatx(value)  # type: ignore[arg-type]


def test_set_epsilon() -> None:
    try:
        config.set_epsilon(1e-5)
        assert config.epsilon() == 1e-5
    finally:
        config.set_epsilon(1e-7)


def test_set_image_data_format_lowercases_and_refuses_unknown() -> None:
    try:
        config.set_image_data_format("Channels_First")
        assert config.image_data_format() == "channels_first"
        with pytest.raises(ValueError, match="channels_last"):
            config.set_image_data_format("nchw")
        assert config.image_data_format() == "channels_first"
    finally:
        config.set_image_data_format("channels_last")
