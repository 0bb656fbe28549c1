"""``keras.backend`` on torch: the engine name, numeric settings and dtype rules.

``config`` holds floatx/epsilon/image_data_format; ``dtypes`` holds dtype names
and Keras's promotion lattice; ``session`` uids and clear_session. This package is the ground floor next to
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
from torchbridge.backend.session import clear_session, get_uid, is_keras_tensor

__all__ = [
    "backend",
    "clear_session",
    "get_uid",
    "is_keras_tensor",
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
