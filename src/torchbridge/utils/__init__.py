"""Leaf helpers shared by every other package (nested structures, devices, name registries),
and Keras's public ``keras.utils`` functions: ``set_random_seed``, ``to_categorical``,
``normalize``, and ``keras.utils``'s aliases of the serialization registry
(``register_keras_serializable``, ``get_custom_objects``, ``custom_object_scope`` ...,
resolved lazily from :mod:`torchbridge.saving`, a higher floor), and the rest of
``keras.utils`` (``PyDataset``, ``Progbar``, ``Config``, ``get_source_inputs`` ...), each
imported from its own module on first use (``_LAZY``)."""

from typing import Any

from torchbridge.utils.keras_utils import normalize, set_random_seed, to_categorical

#: ``keras.utils.<name>`` is ``keras.saving.<name>`` for these.
_SAVING_ALIASES = (
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
    "serialize_keras_object",
)

#: ``keras.utils.<name>`` defined elsewhere in torchbridge: name -> module (imported on first use).
_LAZY = {
    "Config": "torchbridge.utils.config_object",
    "FeatureSpace": "torchbridge.layers.preprocessing.feature_space",
    "Progbar": "torchbridge.utils.keras_progbar",
    "PyDataset": "torchbridge.utils.py_dataset",
    "Sequence": "torchbridge.utils.py_dataset",
    "clear_session": "torchbridge.backend.session",
    "is_keras_tensor": "torchbridge.backend.session",
    "standardize_dtype": "torchbridge.backend.dtypes",
    "enable_interactive_logging": "torchbridge.backend.config",
    "disable_interactive_logging": "torchbridge.backend.config",
    "is_interactive_logging_enabled": "torchbridge.backend.config",
    "get_source_inputs": "torchbridge.layers.source_inputs",
    "model_to_dot": "torchbridge.models.plot",
    "plot_model": "torchbridge.models.plot",
    "pack_x_y_sample_weight": "torchbridge.training.data_adapter",
    "unpack_x_y_sample_weight": "torchbridge.training.data_adapter",
    # data loading and images (file_utils, image_utils, sequence_utils; data.from_directory)
    "get_file": "torchbridge.utils.file_utils",
    "array_to_img": "torchbridge.utils.image_utils",
    "img_to_array": "torchbridge.utils.image_utils",
    "load_img": "torchbridge.utils.image_utils",
    "save_img": "torchbridge.utils.image_utils",
    "pad_sequences": "torchbridge.utils.sequence_utils",
    "audio_dataset_from_directory": "torchbridge.data.from_directory",
    "image_dataset_from_directory": "torchbridge.data.from_directory",
    "text_dataset_from_directory": "torchbridge.data.from_directory",
    "timeseries_dataset_from_array": "torchbridge.data.from_directory",
    "split_dataset": "torchbridge.data.from_directory",
}
#: ``keras.utils.<name>`` submodules (``bounding_boxes`` lives on the ops floor).
_SUBMODULES = {
    "legacy": "torchbridge.utils.legacy",
    "bounding_boxes": "torchbridge.ops.bounding_boxes",
}

__all__ = [
    "normalize",
    "set_random_seed",
    "to_categorical",
    *_SAVING_ALIASES,
    *_LAZY,
    *_SUBMODULES,
]


def __getattr__(name: str) -> Any:
    if name in _SAVING_ALIASES:
        import torchbridge.saving

        return getattr(torchbridge.saving, name)
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(_SUBMODULES[name])
    raise AttributeError(f"module 'torchbridge.utils' has no attribute {name!r}")
