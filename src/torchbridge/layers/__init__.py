"""Keras layers as plain ``torch.nn.Module``s, with Keras names, defaults and weight layouts."""

from torchbridge.layers import op_layer as _op_layer  # noqa: F401  (ops on KerasTensors)
from torchbridge.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from torchbridge.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
)
from torchbridge.layers.convolutional_ranks import (
    Conv1DTranspose,
    Conv3D,
    Conv3DTranspose,
    Convolution1D,
    Convolution1DTranspose,
    Convolution2D,
    Convolution2DTranspose,
    Convolution3D,
    Convolution3DTranspose,
    DepthwiseConv1D,
    SeparableConv1D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from torchbridge.layers.core import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Lambda,
    Permute,
    RepeatVector,
    Rescaling,
    Reshape,
)
from torchbridge.layers.embedding import (
    Embedding,
)
from torchbridge.layers.input_layer import Input, InputLayer, KerasTensor
from torchbridge.layers.input_spec import InputSpec
from torchbridge.layers.layer import Layer
from torchbridge.layers.masking import Masking
from torchbridge.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Multiply,
    Subtract,
)
from torchbridge.layers.normalization import (
    BatchNormalization,
    LayerNormalization,
)
from torchbridge.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from torchbridge.layers.preprocessing import (
    CategoryEncoding,
    Discretization,
    Hashing,
    IntegerLookup,
    Normalization,
    StringLookup,
    TextVectorization,
)
from torchbridge.layers.recurrent import GRU, LSTM, SimpleRNN
from torchbridge.layers.reshaping import (
    UpSampling2D,
    ZeroPadding2D,
)
from torchbridge.layers.rnn import RNN
from torchbridge.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell
from torchbridge.layers.stacked_rnn_cells import StackedRNNCells
from torchbridge.layers.wrappers import Bidirectional, TimeDistributed

__all__ = [
    "InputSpec",
    "Activation",
    "Add",
    "AdditiveAttention",
    "Attention",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "BatchNormalization",
    "Bidirectional",
    "CategoryEncoding",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Conv1DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "Convolution1D",
    "Convolution1DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "DepthwiseConv1D",
    "SeparableConv1D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
    "Dense",
    "DepthwiseConv2D",
    "Discretization",
    "Dot",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRU",
    "GRUCell",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Hashing",
    "Input",
    "InputLayer",
    "IntegerLookup",
    "KerasTensor",
    "LSTM",
    "LSTMCell",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "Masking",
    "MaxPooling1D",
    "MaxPooling2D",
    "Maximum",
    "MultiHeadAttention",
    "Multiply",
    "Normalization",
    "Permute",
    "RNN",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "SeparableConv2D",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "StringLookup",
    "Subtract",
    "TextVectorization",
    "TimeDistributed",
    "UpSampling2D",
    "ZeroPadding2D",
]
