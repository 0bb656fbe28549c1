"""``keras.ops.numpy`` on torch: the NumPy-style API, re-exported from the
``numpy_*.py`` family modules so that ``torchbridge.ops.numpy`` holds exactly
Keras's ``keras.ops.numpy`` names (each part adds its module to the imports
and its ``__all__`` below; ``+=`` lets type checkers see the names)."""

from torchbridge.ops import (
    numpy_creation,
    numpy_elementwise,
    numpy_elementwise_unary,
    numpy_indexing,
    numpy_products,
    numpy_quantiles,
    numpy_reductions,
    numpy_shapes,
    numpy_vectorize,
)
from torchbridge.ops.numpy_creation import *  # noqa: F403
from torchbridge.ops.numpy_elementwise import *  # noqa: F403
from torchbridge.ops.numpy_elementwise_unary import *  # noqa: F403
from torchbridge.ops.numpy_indexing import *  # noqa: F403
from torchbridge.ops.numpy_products import *  # noqa: F403
from torchbridge.ops.numpy_quantiles import *  # noqa: F403
from torchbridge.ops.numpy_reductions import *  # noqa: F403
from torchbridge.ops.numpy_shapes import *  # noqa: F403
from torchbridge.ops.numpy_vectorize import *  # noqa: F403

__all__: list[str] = []
__all__ += numpy_elementwise.__all__
__all__ += numpy_elementwise_unary.__all__
__all__ += numpy_creation.__all__
__all__ += numpy_quantiles.__all__
__all__ += numpy_reductions.__all__
__all__ += numpy_shapes.__all__
__all__ += numpy_indexing.__all__
__all__ += numpy_products.__all__
__all__ += numpy_vectorize.__all__
