"""``keras.ops.nn`` on torch, re-exported from the ``nn_*.py`` family modules so that
``torchbridge.ops.nn`` holds exactly Keras's ``keras.ops.nn`` names (every one of them is
also at the top level of ``torchbridge.ops``, as in Keras):

- ``nn_activations``  relu ... sparsemax, softmax, log_softmax
- ``nn_encoding``  one_hot, multi_hot, polar
- ``nn_normalization``  moments, batch/layer/rms normalization, normalize
- ``nn_attention``  dot_product_attention
- ``nn_losses``  the crossentropies, psnr, ctc_loss, ctc_decode
- ``nn_conv``  conv, depthwise_conv, separable_conv, conv_transpose
- ``nn_pooling``  max/average/adaptive pools, unfold/fold, depth_to_space/space_to_depth
"""

from torchbridge.ops import (
    nn_activations,
    nn_attention,
    nn_conv,
    nn_encoding,
    nn_losses,
    nn_normalization,
    nn_pooling,
)
from torchbridge.ops.nn_activations import *  # noqa: F403
from torchbridge.ops.nn_attention import *  # noqa: F403
from torchbridge.ops.nn_conv import *  # noqa: F403
from torchbridge.ops.nn_encoding import *  # noqa: F403
from torchbridge.ops.nn_losses import *  # noqa: F403
from torchbridge.ops.nn_normalization import *  # noqa: F403
from torchbridge.ops.nn_pooling import *  # noqa: F403

__all__ = [
    *nn_activations.__all__,
    *nn_encoding.__all__,
    *nn_normalization.__all__,
    *nn_attention.__all__,
    *nn_losses.__all__,
    *nn_conv.__all__,
    *nn_pooling.__all__,
]
