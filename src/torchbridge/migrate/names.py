"""Name tables of ``torchbridge migrate``: how an imported name is spelled in the Keras 3
namespace (``tf.keras.X`` and ``tensorflow.keras.X`` become ``keras.X``), the tf.keras 2
legacy names and their Keras 3 names, the names that have no automatic replacement (with
the suggestion to print), and whether torchbridge provides a given ``keras.X`` name."""

from __future__ import annotations

import functools
import importlib

__all__ = [
    "DTYPES",
    "LEGACY",
    "MANUAL_KERAS",
    "MANUAL_TF",
    "canonical",
    "manual_tf_hint",
    "resolve_keras",
    "torchbridge_has",
]

# tf.keras 2 names -> Keras 3 names (longest prefix wins).
LEGACY: dict[str, str] = {
    "keras.preprocessing.sequence.pad_sequences": "keras.utils.pad_sequences",
    "keras.preprocessing.image.load_img": "keras.utils.load_img",
    "keras.preprocessing.image.img_to_array": "keras.utils.img_to_array",
    "keras.preprocessing.image.array_to_img": "keras.utils.array_to_img",
    "keras.preprocessing.image.save_img": "keras.utils.save_img",
    "keras.preprocessing.image_dataset_from_directory": "keras.utils.image_dataset_from_directory",
    "keras.preprocessing.text_dataset_from_directory": "keras.utils.text_dataset_from_directory",
    "keras.preprocessing.timeseries_dataset_from_array": (
        "keras.utils.timeseries_dataset_from_array"
    ),
    "keras.layers.experimental.preprocessing": "keras.layers",
    "keras.layers.experimental.EinsumDense": "keras.layers.EinsumDense",
    "keras.layers.CuDNNLSTM": "keras.layers.LSTM",
    "keras.layers.CuDNNGRU": "keras.layers.GRU",
    "keras.optimizers.legacy": "keras.optimizers",
    "keras.optimizers.experimental": "keras.optimizers",
    "keras.experimental.CosineDecay": "keras.optimizers.schedules.CosineDecay",
    "keras.experimental.CosineDecayRestarts": "keras.optimizers.schedules.CosineDecayRestarts",
    "keras.callbacks.experimental.BackupAndRestore": "keras.callbacks.BackupAndRestore",
    "keras.mixed_precision.experimental.set_policy": "keras.mixed_precision.set_global_policy",
    "keras.mixed_precision.experimental.global_policy": "keras.mixed_precision.global_policy",
    "keras.mixed_precision.experimental.Policy": "keras.mixed_precision.Policy",
    "keras.utils.np_utils.to_categorical": "keras.utils.to_categorical",
    "keras.utils.data_utils.get_file": "keras.utils.get_file",
    "keras.utils.vis_utils.plot_model": "keras.utils.plot_model",
    "keras.utils.generic_utils.get_custom_objects": "keras.saving.get_custom_objects",
    "keras.utils.generic_utils.register_keras_serializable": (
        "keras.saving.register_keras_serializable"
    ),
}

# keras names with no automatic replacement: prefix -> (suggestion, docs anchor).
MANUAL_KERAS: dict[str, tuple[str, str]] = {
    "keras.preprocessing.image.ImageDataGenerator": (
        "keras.utils.image_dataset_from_directory plus augmentation layers "
        "(keras.layers.RandomFlip, RandomRotation, RandomZoom, Rescaling)",
        "legacy-preprocessing",
    ),
    "keras.preprocessing.text": (
        "keras.layers.TextVectorization (adapt on the texts)",
        "legacy-preprocessing",
    ),
    "keras.preprocessing.sequence.TimeseriesGenerator": (
        "keras.utils.timeseries_dataset_from_array",
        "legacy-preprocessing",
    ),
    "keras.wrappers.scikit_learn": (
        "keras.wrappers.SKLearnClassifier / SKLearnRegressor (model=a building function)",
        "keras-names",
    ),
    "keras.experimental": (
        "no Keras 3 equivalent; build it with the functional API",
        "keras-names",
    ),
    "keras.engine": ("private tf.keras API: use the public keras.* names", "keras-names"),
    "keras.src": ("private Keras API: use the public keras.* names", "keras-names"),
    "keras.estimator": ("no equivalent: train with model.fit", "keras-names"),
    "keras.backend.set_value": ("variable.assign(value)", "keras-names"),
    "keras.backend.get_value": ("keras.ops.convert_to_numpy(x)", "keras-names"),
    "keras.backend.int_shape": ("tuple(x.shape)", "keras-names"),
    "keras.backend.function": ("call the model or layer directly", "keras-names"),
}

# tf.<dtype> -> the Keras dtype string.
DTYPES: dict[str, str] = {
    name: name
    for name in (
        "float16",
        "float32",
        "float64",
        "bfloat16",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "bool",
        "complex64",
        "complex128",
    )
}
DTYPES.update({"half": "float16", "double": "float64"})

# Remaining ``tensorflow.*`` names: prefix -> (suggestion, docs anchor).
MANUAL_TF: dict[str, tuple[str, str]] = {
    "tensorflow.GradientTape": (
        "loss.backward() and optimizer.apply_gradients (only the standard tape pattern is "
        "rewritten automatically)",
        "gradienttape",
    ),
    "tensorflow.function": (
        "remove it; for speed use model.compile(jit_compile=True)",
        "tf-function",
    ),
    "tensorflow.config": (
        "device set-up is PyTorch's: torch.cuda.is_available(), torch.set_num_threads(n)",
        "devices",
    ),
    "tensorflow.distribute": ("keras.distribution / torchrun (see docs)", "devices"),
    "tensorflow.train": (
        "torchbridge.io.encode_example(dict) for tf.train.Example; model.save_weights for "
        "checkpoints",
        "tfrecord",
    ),
    "tensorflow.io": (
        "torchbridge.io has the TFRecord parts; read files with open() / keras.utils.load_img",
        "tfrecord",
    ),
    "tensorflow.saved_model": ("model.export(path) or `torchbridge export`", "saving"),
    "tensorflow.lite": ("`torchbridge export MODEL --format litert`", "saving"),
    "tensorflow.summary": ("keras.callbacks.TensorBoard or torch.utils.tensorboard", "unsupported"),
    "tensorflow.print": ("print(...)", "unsupported"),
    "tensorflow.image": (
        "keras.ops.image.* (resize, affine_transform, ...) or keras.layers preprocessing",
        "unsupported",
    ),
    "tensorflow.strings": ("Python str methods or keras.layers.TextVectorization", "unsupported"),
    "tensorflow.compat.v1": (
        "TF1 graph-mode API: no equivalent; port to Keras 3 code",
        "unsupported",
    ),
    "tensorflow.data": ("torchbridge.data has no such name; see the tf.data table", "tf-data"),
}


def canonical(path: str) -> str:
    """A module path as migrate reasons about it: tf.keras and torchbridge names are
    spelled ``keras.X``; other TensorFlow names stay ``tensorflow.X``."""
    if path == "tensorflow.compat.v2" or path.startswith("tensorflow.compat.v2."):
        path = "tensorflow" + path[len("tensorflow.compat.v2") :]
    for prefix in ("tensorflow.keras", "tensorflow.python.keras", "tf_keras", "torchbridge"):
        if path == prefix or path.startswith(prefix + "."):
            return "keras" + path[len(prefix) :]
    return path


def _longest_prefix(path: str, table: dict[str, object]) -> str | None:
    best = None
    for prefix in table:
        if (path == prefix or path.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best)
        ):
            best = prefix
    return best


@functools.cache
def torchbridge_has(path: str) -> bool:
    """Whether ``keras.A.B`` exists as ``torchbridge.A.B`` (attribute or submodule)."""
    parts = path.split(".")[1:]
    obj: object = importlib.import_module("torchbridge")
    module_path = "torchbridge"
    for part in parts:
        module_path += "." + part
        try:
            obj = getattr(obj, part)
            continue
        except AttributeError:
            pass
        try:
            obj = importlib.import_module(module_path)
        except ImportError:
            return False
    return True


def resolve_keras(path: str) -> tuple[str | None, tuple[str, str] | None]:
    """``(new_path, None)`` for a keras name torchbridge has (after legacy renames), or
    ``(None, (suggestion, anchor))`` when it needs a hand edit."""
    prefix = _longest_prefix(path, LEGACY)  # type: ignore[arg-type]
    new = path if prefix is None else LEGACY[prefix] + path[len(prefix) :]
    manual = _longest_prefix(new, MANUAL_KERAS)  # type: ignore[arg-type]
    if manual is not None:
        return None, MANUAL_KERAS[manual]
    if not torchbridge_has(new):
        return None, (
            f"torchbridge has no `{new}`; see the Keras 3 API for its successor",
            "keras-names",
        )
    return new, None


def manual_tf_hint(path: str) -> tuple[str, str]:
    """The suggestion and docs anchor for a ``tensorflow.*`` name left unconverted."""
    prefix = _longest_prefix(path, MANUAL_TF)  # type: ignore[arg-type]
    if prefix is None:
        return (
            "no exact keras.ops / torchbridge equivalent; rewrite with keras.ops or torch",
            "unsupported",
        )
    return MANUAL_TF[prefix]
