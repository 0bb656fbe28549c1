"""``keras.ops.nn`` on torch, re-exported from the ``nn_*.py`` family modules so that
``torchbridge.ops.nn`` holds exactly Keras's ``keras.ops.nn`` names (every one of them is
also at the top level of ``torchbridge.ops``, as in Keras):

- ``nn_activations``  relu ... sparsemax, softmax, log_softmax
"""

from torchbridge.ops import nn_activations
from torchbridge.ops.nn_activations import *  # noqa: F403

__all__ = [
    *nn_activations.__all__,
]
