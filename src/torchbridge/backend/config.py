"""Process-wide numeric settings: ``floatx``, ``epsilon``, ``image_data_format``.

These are Keras's ``keras.config``/``keras.backend`` globals. They live here,
on the ground floor, so that ops, layers and losses read one source of truth.
``backend()`` names the engine underneath: always ``"torch"``.
"""

from __future__ import annotations

__all__ = [
    "backend",
    "epsilon",
    "floatx",
    "image_data_format",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
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
