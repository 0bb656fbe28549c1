"""Sequential: building from Input, add/pop, training, summary — against Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch
from torch import nn

import torchbridge as tb
from torchbridge.errors import InputError


def test_sequential_builds_from_input_and_matches_keras() -> None:
    ours = tb.Sequential(
        [
            tb.Input((6,)),
            tb.layers.Dense(8, activation="relu"),
            tb.layers.Dense(3, activation="softmax"),
        ]
    )
    theirs = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    assert ours.count_params() == theirs.count_params() == 6 * 8 + 8 + 8 * 3 + 3
    for a, b in zip(ours.layers, theirs.layers):
        a.set_weights(b.get_weights())
    x = np.random.default_rng(0).normal(size=(5, 6)).astype("float32")
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_sequential_trains_with_compile_fit() -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 128)
    x = (np.eye(3)[y] * 2 + rng.normal(0, 0.3, (128, 3))).astype("float32")
    model = tb.Sequential([tb.layers.Dense(16, activation="relu"), tb.layers.Dense(3)])
    model.compile(
        optimizer=tb.optimizers.Adam(0.02),
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] > 0.9


def test_add_pop_and_layers() -> None:
    model = tb.Sequential()
    model.add(tb.Input((4,)))
    model.add(tb.layers.Dense(2))
    model.add(nn.ReLU())  # any nn.Module fits in the stack
    assert len(model.layers) == 2
    assert isinstance(model.pop(), nn.ReLU)
    assert len(model.layers) == 1
    with pytest.raises(InputError, match="Input must come first"):
        model.add(tb.Input((3,)))
    with pytest.raises(InputError, match=r"torch\.nn\.Module"):
        model.add("dense")


def test_summary_lists_layers_with_shapes(capsys) -> None:
    model = tb.Sequential([tb.Input((6,)), tb.layers.Dense(8), tb.layers.Dense(3)])
    model.summary()
    out = capsys.readouterr().out
    assert "dense" in out and "(Dense)" in out and "(None, 8)" in out and "(None, 3)" in out
    assert "Total params: 83" in out


def test_direct_calls_are_inference_and_take_numpy_as_in_keras() -> None:
    model = tb.Sequential([tb.Input((4,)), tb.layers.Dropout(0.5), tb.layers.Dense(4)])
    x = np.ones((2, 4))  # float64 NumPy, as Keras accepts
    first, second = model(x), model(x)
    assert first.dtype == torch.float32 and torch.equal(first, second)  # Dropout is off
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 4)), np.ones((8, 4)), verbose=0)
    assert not model.training and torch.equal(model(x), model(x))  # back to inference
    model.train()  # PyTorch's explicit choice is respected ...
    assert not torch.equal(model(x), model(x))
    model.fit(np.ones((8, 4)), np.ones((8, 4)), verbose=0)
    assert model.training  # ... and restored after fit


def test_summary_keeps_unknown_dimensions(capsys) -> None:
    model = tb.Sequential(
        [
            tb.Input((None,), dtype="int64"),
            tb.layers.Embedding(100, 8),
            tb.layers.GlobalAveragePooling1D(name="global_average_pooling1d_long_name"),
        ]
    )
    model.summary()
    out = capsys.readouterr().out
    assert "(None, None, 8)" in out and "(None, 8)" in out
    assert "global_average_pooling1d_long_name " in out and "\n(GlobalAveragePooling1D)" in out
