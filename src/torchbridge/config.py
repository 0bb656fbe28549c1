"""``keras.config``: the global settings (floatx, epsilon, image layout, dtype policy,
logging and loading switches, epoch/step caps), all 25 of Keras's names.

The state lives in :mod:`torchbridge.backend.config`; this module is the public face.
"""

from __future__ import annotations

from typing import Any

from torchbridge.backend.config import (
    backend,
    disable_flash_attention,
    disable_interactive_logging,
    disable_traceback_filtering,
    enable_flash_attention,
    enable_interactive_logging,
    enable_traceback_filtering,
    enable_unsafe_deserialization,
    epsilon,
    floatx,
    image_data_format,
    is_flash_attention_enabled,
    is_interactive_logging_enabled,
    is_nnx_enabled,
    is_traceback_filtering_enabled,
    max_epochs,
    max_steps_per_epoch,
    set_backend,
    set_epsilon,
    set_floatx,
    set_image_data_format,
    set_max_epochs,
    set_max_steps_per_epoch,
)

__all__ = [
    "backend",
    "disable_flash_attention",
    "disable_interactive_logging",
    "disable_traceback_filtering",
    "dtype_policy",
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
    "set_dtype_policy",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_max_epochs",
    "set_max_steps_per_epoch",
]


def dtype_policy() -> Any:
    """The global dtype policy (``mixed_precision.global_policy()``)."""
    from torchbridge import mixed_precision

    return mixed_precision.global_policy()


def set_dtype_policy(policy: Any) -> None:
    """Set the global dtype policy (a name such as ``"mixed_float16"`` or a DTypePolicy)."""
    from torchbridge import mixed_precision

    mixed_precision.set_global_policy(policy)
