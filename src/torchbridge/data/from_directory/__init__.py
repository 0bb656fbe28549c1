"""Keras's dataset builders (``keras.utils.*_dataset_from_*``, ``split_dataset``) on
torchbridge ``Dataset`` s: one module per source kind (image, text, audio, timeseries,
split), sharing the directory indexing and split logic in ``indexing``."""

from torchbridge.data.from_directory.audio import audio_dataset_from_directory
from torchbridge.data.from_directory.image import image_dataset_from_directory
from torchbridge.data.from_directory.split import split_dataset
from torchbridge.data.from_directory.text import text_dataset_from_directory
from torchbridge.data.from_directory.timeseries import timeseries_dataset_from_array

__all__ = [
    "audio_dataset_from_directory",
    "image_dataset_from_directory",
    "split_dataset",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
