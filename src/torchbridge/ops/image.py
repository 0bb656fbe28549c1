"""The ``keras.ops.image`` namespace on torch: exactly Keras's names, each from
its part module (colour and crop/pad: ``image_color``; resizing:
``image_resize``; filters and patches: ``image_filters``; geometric
transforms: ``image_transform``). These names are not at the top level of
``torchbridge.ops``, as in Keras."""

from torchbridge.ops.image_color import *  # noqa: F403
from torchbridge.ops.image_color import __all__ as _color_all
from torchbridge.ops.image_filters import *  # noqa: F403
from torchbridge.ops.image_filters import __all__ as _filters_all
from torchbridge.ops.image_resize import *  # noqa: F403
from torchbridge.ops.image_resize import __all__ as _resize_all
from torchbridge.ops.image_transform import *  # noqa: F403
from torchbridge.ops.image_transform import __all__ as _transform_all

__all__ = sorted([*_color_all, *_filters_all, *_resize_all, *_transform_all])
