"""``keras.datasets``: Keras's small bundled datasets, one module each with Keras's
``load_data`` (same arrays, dtypes, order and splits), read through
:func:`torchbridge.utils.get_file` from the same cache files Keras downloads
(``~/.keras/datasets`` or ``$KERAS_HOME/datasets``), so a populated cache works offline."""

from torchbridge.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]
