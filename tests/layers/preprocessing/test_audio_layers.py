"""STFTSpectrogram and MelSpectrogram against Keras: outputs, weights, shapes, configs."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch
from tests.layers._keras_config import assert_config_like_keras

import torchbridge
from torchbridge.layers import MelSpectrogram, STFTSpectrogram

_MODES = ["log", "magnitude", "psd", "real", "imag", "angle", "stft"]
_STFT_KW: list[dict[str, Any]] = [
    {"frame_length": 64, "frame_step": 16},
    {
        "frame_length": 50,
        "fft_length": 64,
        "padding": "same",
        "expand_dims": True,
        "scaling": "spectrum",
    },
    {"frame_length": 32, "window": None, "scaling": None, "periodic": True},
]


@pytest.mark.parametrize("kw", _STFT_KW, ids=["valid", "same-expand", "no-window"])
@pytest.mark.parametrize("mode", _MODES)
def test_stft_spectrogram_matches_keras(rng, mode, kw):
    x = rng.standard_normal((2, 300, 2)).astype("float32")
    theirs = keras.layers.STFTSpectrogram(mode=mode, **kw)
    expected = np.asarray(theirs(x))
    ours = STFTSpectrogram(mode=mode, **kw)
    ours(torch.from_numpy(x))
    # Our Fourier basis is drawn in float64, Keras's in float32.
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    ours.set_weights(theirs.get_weights())
    with torch.no_grad():
        got = ours(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, atol=2e-5, rtol=1e-5)
    assert ours.compute_output_shape((None, 300, 2)) == theirs.compute_output_shape((None, 300, 2))
    assert_config_like_keras(ours, theirs)
    assert STFTSpectrogram.from_config(ours.get_config()).get_config() == ours.get_config()


@pytest.mark.parametrize("expand_dims", [False, True])
def test_stft_spectrogram_channels_first(rng, expand_dims):
    x = rng.standard_normal((2, 200, 3)).astype("float32")
    kw = {"frame_length": 32, "frame_step": 8, "expand_dims": expand_dims}
    theirs = keras.layers.STFTSpectrogram(**kw)
    expected = np.asarray(theirs(x))
    expected = np.moveaxis(expected, -1, 1) if expand_dims else expected.transpose(0, 2, 1)
    ours = STFTSpectrogram(data_format="channels_first", **kw)
    xf = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 2, 1)))
    ours(xf)
    ours.set_weights(theirs.get_weights())
    with torch.no_grad():
        got = ours(xf).numpy()
    np.testing.assert_allclose(got, expected, atol=2e-5, rtol=1e-5)
    assert ours.compute_output_shape((None, 3, 200)) == (None, *got.shape[1:])


_MEL_KW: list[dict[str, Any]] = [
    {},
    {"fft_length": 256, "sequence_stride": 100, "num_mel_bins": 40, "min_freq": 100.0},
    {"power_to_db": False, "mag_exp": 1.0, "fft_length": 512, "sequence_length": 400},
    {
        "fft_length": 256,
        "sequence_stride": 64,
        "top_db": 20.0,
        "ref_power": 5.0,
        "sampling_rate": 8000,
        "max_freq": 3000.0,
        "window": "hamming",
    },
]


@pytest.mark.parametrize("kw", _MEL_KW, ids=["defaults", "small", "magnitude", "db-options"])
def test_mel_spectrogram_matches_keras(rng, kw):
    x = rng.standard_normal((2, 3000)).astype("float32")
    theirs = keras.layers.MelSpectrogram(**kw)
    expected = np.asarray(theirs(x))
    ours = MelSpectrogram(**kw)
    got = ours(torch.from_numpy(x)).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-3, rtol=1e-4)
    assert ours.compute_output_shape((None, 3000)) == tuple(
        theirs.compute_output_shape((None, 3000))
    )
    assert_config_like_keras(ours, theirs)
    assert MelSpectrogram.from_config(ours.get_config()).get_config() == ours.get_config()


def test_mel_spectrogram_unbatched(rng):
    x = rng.standard_normal(2048).astype("float32")
    expected = np.asarray(keras.layers.MelSpectrogram(fft_length=256, sequence_stride=128)(x))
    got = MelSpectrogram(fft_length=256, sequence_stride=128)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-3, rtol=1e-4)


def test_in_a_model_with_dataset_style_input(rng):
    inp = torchbridge.Input((400, 1))
    out = STFTSpectrogram(frame_length=64, frame_step=32)(inp)
    model = torchbridge.Model(inp, out)
    assert tuple(out.shape) == (None, 11, 33)
    assert tuple(model(torch.zeros(2, 400, 1)).shape) == (2, 11, 33)


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"mode": "power"}, "mode"),
        ({"frame_length": 16, "frame_step": 32}, "frame_step"),
        ({"frame_length": 64, "fft_length": 32}, "fft_length"),
        ({"padding": "causal"}, "padding"),
        ({"scaling": "unit"}, "caling"),
    ],
)
def test_stft_constructor_errors(kw, match):
    with pytest.raises(ValueError, match=match):
        STFTSpectrogram(**kw)
    with pytest.raises(ValueError):
        keras.layers.STFTSpectrogram(**kw)


def test_mel_constructor_error():
    with pytest.raises(ValueError, match="fft_length"):
        MelSpectrogram(fft_length=256, sequence_length=512)
