"""backend.session and the keras.config switches, against Keras where it has an answer."""

from __future__ import annotations

import keras
import pytest

import torchbridge
from torchbridge import backend, config


def test_get_uid_counts_per_prefix_and_clear_session_resets() -> None:
    backend.clear_session()
    keras.backend.clear_session()
    ours = [backend.get_uid("x"), backend.get_uid("x"), backend.get_uid()]
    theirs = [keras.backend.get_uid("x"), keras.backend.get_uid("x"), keras.backend.get_uid()]
    assert ours == theirs == [1, 2, 1]
    backend.clear_session()
    assert backend.get_uid("x") == 1


def test_clear_session_restarts_layer_names() -> None:
    backend.clear_session(free_memory=False)
    first = torchbridge.layers.Dense(2).name
    torchbridge.layers.Dense(2)
    backend.clear_session()
    assert torchbridge.layers.Dense(2).name == first == "dense"


def test_is_keras_tensor() -> None:
    import torch

    assert backend.is_keras_tensor(torchbridge.Input((3,)))
    assert not backend.is_keras_tensor(torch.ones(3))


def test_config_defaults_match_keras() -> None:
    for name in (
        "is_flash_attention_enabled",
        "is_interactive_logging_enabled",
        "is_traceback_filtering_enabled",
        "max_epochs",
        "max_steps_per_epoch",
        "is_nnx_enabled",
    ):
        assert getattr(config, name)() == getattr(keras.config, name)(), name
    assert config.dtype_policy().name == keras.config.dtype_policy().name


@pytest.mark.parametrize(
    ("setter", "value", "getter"),
    [
        ("set_max_epochs", 3, "max_epochs"),
        ("set_max_steps_per_epoch", 7, "max_steps_per_epoch"),
    ],
)
def test_config_setters(setter: str, value: int, getter: str) -> None:
    try:
        getattr(config, setter)(value)
        assert getattr(config, getter)() == value
    finally:
        getattr(config, setter)(None)


def test_config_switches() -> None:
    config.disable_interactive_logging()
    assert not config.is_interactive_logging_enabled()
    config.enable_interactive_logging()
    config.enable_flash_attention()
    assert config.is_flash_attention_enabled() is True
    config.disable_flash_attention()
    assert config.is_flash_attention_enabled() is False
    config.disable_traceback_filtering()
    assert not config.is_traceback_filtering_enabled()
    config.enable_traceback_filtering()
    from torchbridge.backend.config import _flags, unsafe_deserialization_enabled

    _flags["flash_attention"] = None
    assert not unsafe_deserialization_enabled()
    config.enable_unsafe_deserialization()
    assert unsafe_deserialization_enabled()
    _flags["unsafe_deserialization"] = False


def test_set_dtype_policy_round_trips() -> None:
    try:
        config.set_dtype_policy("mixed_bfloat16")
        assert config.dtype_policy().name == "mixed_bfloat16"
    finally:
        config.set_dtype_policy("float32")


def test_set_backend_refuses_other_engines() -> None:
    config.set_backend("torch")
    with pytest.raises(ValueError, match="torch only"):
        config.set_backend("jax")


def test_version_is_the_keras_api_followed() -> None:
    import keras

    assert torchbridge.version().split(".")[:2] == keras.version().split(".")[:2]
    assert torchbridge.__version__ != torchbridge.version()  # torchbridge's own release
