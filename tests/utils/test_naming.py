"""Default names follow Keras's snake-case rule (``ReLU`` → ``re_lu``, ``SimpleRNN`` →
``simple_rnn``), so auto-named layers, configs and weight paths match Keras's."""

from __future__ import annotations

import pytest

from torchbridge.utils.naming import snake_case

NAMES = [
    "ReLU",
    "PReLU",
    "SimpleRNN",
    "ConvLSTM2D",
    "Conv2D",
    "Conv1DTranspose",
    "LSTM",
    "BatchNormalization",
    "GlobalAveragePooling2D",
    "UpSampling2D",
    "STFTSpectrogram",
    "RMSNormalization",
    "DepthwiseConv2D",
    "MultiHeadAttention",
    "RandAugment",
    "MixUp",
]


@pytest.mark.parametrize("name", NAMES)
def test_snake_case_matches_keras(name: str) -> None:
    naming = pytest.importorskip("keras.src.utils.naming")
    assert snake_case(name) == naming.to_snake_case(name)


def test_layers_get_keras_default_names() -> None:
    import torchbridge as tb

    assert tb.layers.SimpleRNN(2).name.startswith("simple_rnn")
    assert tb.layers.ReLU().name.startswith("re_lu")
