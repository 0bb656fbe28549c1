"""An unnamed ``keras.Variable`` gets Keras's auto name (``variable``, ``variable_1``, ...)."""

from __future__ import annotations

import keras
import numpy as np

import torchbridge


def _names(mod) -> list[str | None]:
    mod.backend.clear_session()
    made = [
        mod.Variable(initializer=np.zeros((2, 2)), shape=(2, 2), dtype="int", trainable=False),
        mod.Variable(1.0),
        mod.Variable(2.0, name="named"),
        mod.Variable(3.0),
    ]
    return [v.name for v in made] + [v.path for v in made]


def test_unnamed_variables_are_numbered_like_keras() -> None:
    ours = _names(torchbridge)
    assert ours == _names(keras)
    assert ours[:4] == ["variable", "variable_1", "named", "variable_2"]


def test_unnamed_variable_in_layer_init_is_tracked_with_a_name() -> None:
    class Table(torchbridge.layers.Layer):
        def __init__(self) -> None:
            super().__init__()
            self.index = torchbridge.Variable(
                initializer=np.arange(4), dtype="int", trainable=False
            )

    torchbridge.backend.clear_session()
    layer = Table()
    assert [w.name for w in layer.weights] == ["variable"]
    assert all(w.path is not None and "None" not in w.path for w in layer.weights)
