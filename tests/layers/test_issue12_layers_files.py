"""Conv3D/ConvLSTM/3D+adaptive pooling/GroupQueryAttention/SeparableConv1D/Conv1DTranspose/
STFTSpectrogram in files: Keras's .weights.h5 both ways, and torchbridge's .keras round trip."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import torch

import torchbridge


def _build(k: Any) -> Any:
    layers = k.layers
    inp = k.Input((4, 6, 6, 2))
    y = layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True)(inp)
    y = layers.Conv3D(2, 2)(y)
    y = layers.AdaptiveAveragePooling3D((2, 2, 2))(y)
    y = layers.MaxPool3D(2)(y)
    y = layers.Reshape((1, 2))(y)
    y = layers.GroupQueryAttention(2, 4, 2, use_gate=True)(y, y)
    y = layers.Reshape((2, 1))(y)
    y = layers.SeparableConv1D(3, 1)(y)
    y = layers.Conv1DTranspose(2, 2)(y)
    return k.Model(inp, y)


def test_keras_weights_h5_both_ways(rng, tmp_path):
    theirs, ours = _build(keras), _build(torchbridge)
    x = rng.standard_normal((2, 4, 6, 6, 2)).astype("float32")
    expected = np.asarray(theirs(x))
    theirs.save_weights(tmp_path / "keras.weights.h5")
    ours.load_weights(tmp_path / "keras.weights.h5")
    with torch.no_grad():
        np.testing.assert_allclose(ours(torch.from_numpy(x)).numpy(), expected, atol=1e-5)
    ours.save_weights(tmp_path / "ours.weights.h5")
    again = _build(keras)
    again.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(np.asarray(again(x)), expected, atol=1e-6)


def test_torchbridge_model_file_round_trip(rng, tmp_path):
    model = _build(torchbridge)
    x = torch.from_numpy(rng.standard_normal((2, 4, 6, 6, 2)).astype("float32"))
    model.save(tmp_path / "m.keras")
    loaded = torchbridge.models.load_model(tmp_path / "m.keras")
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))


def test_audio_model_file_round_trip(tmp_path):
    inp = torchbridge.Input((800, 1))
    audio = torchbridge.Model(inp, torchbridge.layers.STFTSpectrogram(frame_length=64)(inp))
    audio.save(tmp_path / "a.keras")
    loaded = torchbridge.models.load_model(tmp_path / "a.keras")
    wave = torch.randn(2, 800, 1)
    with torch.no_grad():
        torch.testing.assert_close(loaded(wave), audio(wave))
