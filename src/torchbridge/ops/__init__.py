"""``keras.ops`` on torch: every op takes tensors, NumPy arrays, Python scalars
or lists and returns torch tensors, with Keras's names, signatures, dtype
promotion and broadcasting.

Layout — one module per family, each with an explicit ``__all__``:

- ``core``    control flow, conversion, casts, slicing/scattering (keras/src/ops/core.py)
- ``numpy``   the NumPy-style API (keras.ops.numpy); split into ``numpy_*.py``
  helpers past ~600 lines, with ``numpy.py`` re-exporting them so that
  ``torchbridge.ops.numpy`` holds exactly Keras's ``keras.ops.numpy`` names
- ``nn``, ``linalg``, ``image``   the keras.ops.nn/linalg/image namespaces
- ``math``    keras/src/ops/math.py (fft, stft, segment_*, top_k, logsumexp ...)
- ``_convert`` the shared conventions (read it first): ``to_tensor``,
  ``to_tensors``, ``dtype_of``, ``result_dtype``, ``device_of``

Adding an op:

1. Write it in its family module with Keras's exact signature (argument
   names, order, defaults: ``tests/ops/test_coverage.py`` compares
   ``inspect.signature`` with keras.ops), converting inputs with
   ``_convert`` (``x1, x2 = to_tensors(x1, x2)`` for elementwise ops, so
   dtypes follow ``backend.result_type`` and outputs stay on the input's
   device). Keep the tensor fast path free of extra Python work.
2. Add the name to that module's ``__all__`` (names that keras.ops exports at
   the top level come through the star import below; ``image`` names stay in
   ``ops.image`` as in Keras).
3. Remove it from ``NOT_YET`` in tests/ops/test_coverage.py, and add rows to
   the family's differential table in tests/ops/ (``ops_oracle`` fixture in
   tests/ops/conftest.py runs keras.ops and torchbridge.ops on the same
   seeded inputs and compares values, shapes and dtype names).

A new family module is added to the imports below and to ``FAMILIES`` in
tests/ops/test_coverage.py.
"""

from torchbridge.ops import core, einops, image, linalg, math, nn, numpy
from torchbridge.ops.core import *  # noqa: F403
from torchbridge.ops.einops import *  # noqa: F403
from torchbridge.ops.linalg import *  # noqa: F403
from torchbridge.ops.math import *  # noqa: F403
from torchbridge.ops.nn import *  # noqa: F403
from torchbridge.ops.numpy import *  # noqa: F403

__all__: list[str] = ["core", "nn", "numpy", "math", "linalg", "image"]
__all__ += core.__all__
__all__ += nn.__all__
__all__ += numpy.__all__
__all__ += math.__all__
__all__ += linalg.__all__
__all__ += einops.__all__

# Keep this last: ops called on KerasTensors record graph nodes (see ops/_symbolic.py).
from torchbridge.ops import _symbolic  # noqa: E402

_symbolic.wrap_public_ops(
    {
        **{
            f"{family}.": globals()[family]
            for family in ("numpy", "nn", "linalg", "image", "math", "core")
            if family in globals()
        },
        "": __import__("sys").modules[__name__],
    }
)
