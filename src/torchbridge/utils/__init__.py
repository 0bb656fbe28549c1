"""Leaf helpers shared by every other package (nested structures, devices, name registries),
and Keras's public ``keras.utils`` functions: ``set_random_seed``, ``to_categorical``,
``normalize``."""

from torchbridge.utils.keras_utils import normalize, set_random_seed, to_categorical

__all__ = ["normalize", "set_random_seed", "to_categorical"]
