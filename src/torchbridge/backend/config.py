"""Process-wide numeric settings: ``floatx``, ``epsilon``, ``image_data_format``.

These are Keras's ``keras.config``/``keras.backend`` globals. They live here,
on the ground floor, so that ops, layers and losses read one source of truth.
``backend()`` names the engine underneath: always ``"torch"``.
"""

from __future__ import annotations

import os

__all__ = [
    "backend",
    "disable_flash_attention",
    "disable_interactive_logging",
    "disable_traceback_filtering",
    "enable_flash_attention",
    "enable_interactive_logging",
    "enable_traceback_filtering",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "is_flash_attention_enabled",
    "is_interactive_logging_enabled",
    "is_nnx_enabled",
    "is_traceback_filtering_enabled",
    "max_epochs",
    "max_steps_per_epoch",
    "set_backend",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_max_epochs",
    "set_max_steps_per_epoch",
    "unsafe_deserialization_enabled",
]

_FLOAT_DTYPES = ("bfloat16", "float16", "float32", "float64")
_DATA_FORMATS = ("channels_first", "channels_last")

_floatx = "float32"
_epsilon = 1e-7
_image_data_format = "channels_last"


def backend() -> str:
    """The name of the tensor engine: ``"torch"``."""
    return "torch"


def floatx() -> str:
    """The default float dtype name (``"float32"`` unless changed)."""
    return _floatx


def set_floatx(value: str) -> None:
    """Set the default float dtype: one of bfloat16, float16, float32, float64."""
    global _floatx
    if value not in _FLOAT_DTYPES:
        raise ValueError(f"Unknown `floatx` value: {value!r}. Pass one of {list(_FLOAT_DTYPES)}.")
    _floatx = str(value)


def epsilon() -> float:
    """The fuzz factor added in numeric expressions to avoid division by zero."""
    return _epsilon


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by :func:`epsilon`."""
    global _epsilon
    _epsilon = value


def image_data_format() -> str:
    """The default image layout: ``"channels_last"`` or ``"channels_first"``."""
    return _image_data_format


def set_image_data_format(data_format: str) -> None:
    """Set the default image layout (``"channels_last"`` or ``"channels_first"``)."""
    global _image_data_format
    value = str(data_format).lower()
    if value not in _DATA_FORMATS:
        raise ValueError(
            "The `data_format` argument must be one of "
            f"{list(_DATA_FORMATS)}. Received: data_format={data_format!r}"
        )
    _image_data_format = value


# --- keras.config switches ---------------------------------------------------
# Plain module state, read by the code each one governs (the training loop reads
# max_epochs/max_steps_per_epoch; loading reads unsafe deserialization).
_flags: dict[str, object] = {
    "flash_attention": None,  # None: let torch choose (as Keras's default)
    "interactive_logging": True,
    "traceback_filtering": True,
    "unsafe_deserialization": False,
    "max_epochs": None,
    "max_steps_per_epoch": None,
}
# Keras reads these two caps from the environment at import, for debugging runs.
for _flag, _env in (
    ("max_epochs", "KERAS_MAX_EPOCHS"),
    ("max_steps_per_epoch", "KERAS_MAX_STEPS_PER_EPOCH"),
):
    if _env in os.environ:
        _flags[_flag] = int(os.environ[_env])


def enable_flash_attention() -> None:
    """Ask attention layers to use a fused (flash) attention kernel."""
    _flags["flash_attention"] = True


def disable_flash_attention() -> None:
    """Ask attention layers not to use a fused (flash) attention kernel."""
    _flags["flash_attention"] = False


def is_flash_attention_enabled() -> bool | None:
    """True/False when set explicitly, ``None`` (the default) when left to the backend."""
    return _flags["flash_attention"]  # type: ignore[return-value]


def enable_interactive_logging() -> None:
    """Progress bars and logs go to stdout (the default)."""
    _flags["interactive_logging"] = True


def disable_interactive_logging() -> None:
    """Progress output goes through the ``logging`` module instead of stdout."""
    _flags["interactive_logging"] = False


def is_interactive_logging_enabled() -> bool:
    """Whether progress output goes to stdout."""
    return bool(_flags["interactive_logging"])


def enable_traceback_filtering() -> None:
    """Record that tracebacks may be shortened (torchbridge never filters them)."""
    _flags["traceback_filtering"] = True


def disable_traceback_filtering() -> None:
    """Record that tracebacks must be shown in full (torchbridge never filters them)."""
    _flags["traceback_filtering"] = False


def is_traceback_filtering_enabled() -> bool:
    """The traceback-filtering switch (kept for Keras programs that read it)."""
    return bool(_flags["traceback_filtering"])


def enable_unsafe_deserialization() -> None:
    """Allow loading to run code stored in a file (Lambda layers, saved functions)."""
    _flags["unsafe_deserialization"] = True


def unsafe_deserialization_enabled() -> bool:
    """Whether :func:`enable_unsafe_deserialization` was called (not part of Keras's API)."""
    return bool(_flags["unsafe_deserialization"])


def max_epochs() -> int | None:
    """The cap on epochs per ``fit`` call (``None``: no cap)."""
    return _flags["max_epochs"]  # type: ignore[return-value]


def set_max_epochs(max_epochs: int | None) -> None:
    """Cap the number of epochs any ``fit`` call runs (``None`` removes the cap)."""
    _flags["max_epochs"] = max_epochs


def max_steps_per_epoch() -> int | None:
    """The cap on steps per epoch (``None``: no cap)."""
    return _flags["max_steps_per_epoch"]  # type: ignore[return-value]


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Cap the number of steps per epoch (``None`` removes the cap)."""
    _flags["max_steps_per_epoch"] = max_steps_per_epoch


def is_nnx_enabled() -> bool:
    """Flax NNX integration is a JAX-backend feature: always False here."""
    return False


def set_backend(backend: str) -> None:
    """Only ``"torch"`` is available; any other backend name is refused."""
    if backend != "torch":
        raise ValueError(
            f"torchbridge runs Keras programs on torch only; set_backend({backend!r}) "
            "cannot switch engines. Use real Keras for other backends."
        )
