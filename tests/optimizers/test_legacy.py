"""keras.optimizers.legacy: importable names that raise ImportError when used, as in Keras 3."""

from __future__ import annotations

import keras
import pytest

from torchbridge import optimizers


def test_same_names_as_keras():
    keras_names = {n for n in dir(keras.optimizers.legacy) if not n.startswith("_")}
    assert keras_names == set(optimizers.legacy.__all__)


@pytest.mark.parametrize("name", ["Adam", "SGD", "RMSprop", "Adagrad", "Ftrl", "Optimizer"])
def test_creating_one_raises_import_error_like_keras(name):
    with pytest.raises(ImportError, match="not supported in Keras 3"):
        getattr(keras.optimizers.legacy, name)(learning_rate=0.1)
    with pytest.raises(ImportError, match=r"keras\.optimizers\.Adam"):
        getattr(optimizers.legacy, name)(learning_rate=0.1)
