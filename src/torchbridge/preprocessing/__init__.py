"""``keras.preprocessing``: the older names of Keras's data utilities — ``image``
(load_img, img_to_array, array_to_img, save_img, smart_resize), ``sequence``
(pad_sequences) and the dataset builders, all defined in :mod:`torchbridge.utils`
and :mod:`torchbridge.data.from_directory` (loaded on first use)."""

from typing import Any

from torchbridge.preprocessing import image, sequence

_LAZY = {
    "image_dataset_from_directory": "torchbridge.data.from_directory",
    "text_dataset_from_directory": "torchbridge.data.from_directory",
    "timeseries_dataset_from_array": "torchbridge.data.from_directory",
}

__all__ = ["image", "sequence", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'torchbridge.preprocessing' has no attribute {name!r}")
