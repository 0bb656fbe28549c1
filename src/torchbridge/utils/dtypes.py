"""Former home of the dtype helpers; they live in :mod:`torchbridge.backend.dtypes`.

Kept as a re-export so that existing imports keep working; new code imports
from ``torchbridge.backend.dtypes``.
"""

from torchbridge.backend.dtypes import keras_dtype_name, to_torch_dtype

__all__ = ["keras_dtype_name", "to_torch_dtype"]
