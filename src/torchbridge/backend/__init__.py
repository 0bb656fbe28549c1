"""``keras.backend`` on torch: the engine name, numeric settings and dtype rules.

``config`` holds floatx/epsilon/image_data_format; ``dtypes`` holds dtype names
and Keras's promotion lattice. This package is the ground floor next to
``utils``: it imports nothing else from torchbridge.
"""

from torchbridge.backend.config import (
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from torchbridge.backend.dtypes import (
    is_float_dtype,
    is_int_dtype,
    result_type,
    standardize_dtype,
)

__all__ = [
    "backend",
    "epsilon",
    "floatx",
    "image_data_format",
    "is_float_dtype",
    "is_int_dtype",
    "result_type",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "standardize_dtype",
]
