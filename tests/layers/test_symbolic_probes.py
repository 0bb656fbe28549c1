"""Shape inference on KerasTensors with unknown lengths (layers/symbolic.py's probes)."""

from __future__ import annotations

import keras
import numpy as np

import torchbridge as tb


def _strided_text_model(lib):
    """keras-io's text CNN shape: an unknown length shrunk by two stride-3 kernel-7 convs."""
    ids = lib.Input((None,), dtype="int64")
    x = lib.layers.Embedding(100, 8)(ids)
    x = lib.layers.Conv1D(8, 7, strides=3, activation="relu")(x)
    x = lib.layers.Conv1D(8, 7, strides=3, activation="relu")(x)
    inner_shape = tuple(x.shape)
    x = lib.layers.GlobalMaxPooling1D()(x)
    return lib.Model(ids, lib.layers.Dense(1)(x)), inner_shape


def test_a_length_shrunk_below_the_probe_still_builds_as_in_keras() -> None:
    """The probes (lengths 16 and 23) become shorter than the kernel after the first conv;
    the conv's own output-shape rule takes over (this raised InputError before)."""
    ours, our_shape = _strided_text_model(tb)
    theirs, their_shape = _strided_text_model(keras)
    assert our_shape == their_shape == (None, None, 8)
    assert ours.output_shape == theirs.output_shape == (None, 1)
    ids = np.random.default_rng(0).integers(0, 100, (2, 200))
    assert ours.predict(ids, verbose=0).shape == (2, 1)
