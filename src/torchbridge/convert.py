"""``torchbridge convert``: turn a saved model into another file format and prove it.

:func:`convert` loads ``SRC`` (a Keras 3 ``.keras``, a Keras / tf.keras ``.h5`` or a
``.torchbridge`` file) with :func:`torchbridge.saving.load_model`, writes ``DST``
(``.keras`` / ``.torchbridge`` with ``model.save``, ``.safetensors`` / ``.weights.h5``
with ``model.save_weights``), loads the written file back and compares both models'
predictions on seeded random inputs. The result is a :class:`ConvertReport` (the
layers mapped, the formats, the parity ``max |diff|``). A directory ``SRC`` is a
Hugging Face checkpoint saved by transformers' TensorFlow classes (``tf_model.h5``):
:func:`torchbridge.hf.tf_convert.convert_tf_folder` writes the PyTorch folder ``DST``
and returns its :class:`~torchbridge.hf.tf_convert.FolderReport`. A problem the user can fix
(missing file, unknown extension, a model the format cannot hold) is a
:class:`ConvertError` whose message names the file and the fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from torchbridge.errors import ConvertError, TorchbridgeError

if TYPE_CHECKING:
    from torchbridge.hf.tf_convert import FolderReport

__all__ = ["ConvertError", "ConvertReport", "LayerReport", "convert"]

SOURCE_FORMATS = {
    ".keras": ".keras archive",
    ".h5": "Keras .h5 model",
    ".hdf5": "Keras .h5 model",
    ".torchbridge": "torchbridge model file",
}
TARGET_FORMATS = {
    ".weights.h5": "Keras 3 .weights.h5 (weights only)",
    ".keras": "Keras 3 .keras archive",
    ".torchbridge": "torchbridge model file",
    ".safetensors": "safetensors (state_dict weights only)",
}
_WEIGHTS_ONLY = (".weights.h5", ".safetensors")
_FREE_DIM = 4  # length used for unknown (None) non-batch dimensions of an input
_BATCH = 2


@dataclass
class LayerReport:
    """One layer of the converted model: its name, class and weights (path, shape)."""

    name: str
    class_name: str
    weights: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)


@dataclass
class ConvertReport:
    """What :func:`convert` did: formats, layers mapped and the parity check."""

    src: str
    dst: str
    src_format: str
    dst_format: str
    layers: list[LayerReport]
    max_abs_diff: float | None  # None: the model records no inputs, nothing was compared
    atol: float
    seed: int
    inputs: list[tuple[tuple[int, ...], str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether the parity check held (``max |diff| <= atol``)."""
        return self.max_abs_diff is not None and self.max_abs_diff <= self.atol

    def format(self) -> str:
        """The report as printed by ``torchbridge convert``."""
        lines = [
            f"source: {self.src} ({self.src_format})",
            f"output: {self.dst} ({self.dst_format})",
            f"layers mapped: {len(self.layers)}",
        ]
        for layer in self.layers:
            shapes = ", ".join(f"{path} {shape}" for path, shape in layer.weights)
            lines.append(
                f"  {layer.name}  {layer.class_name}  {len(layer.weights)} weights"
                + (f": {shapes}" if shapes else "")
            )
        if self.max_abs_diff is None:
            lines.append("parity: not checked (the model records no input shapes)")
        else:
            shown = ", ".join(f"{shape} {dtype}" for shape, dtype in self.inputs)
            verdict = "OK" if self.passed else "FAILED"
            lines.append(
                f"parity: inputs [{shown}], seed {self.seed}: "
                f"max |diff| = {self.max_abs_diff:.3e} (atol {self.atol:g}) {verdict}"
            )
        return "\n".join(lines)


def _suffix(path: str, table: dict[str, str]) -> str | None:
    lowered = path.lower()
    return next((s for s in table if lowered.endswith(s)), None)


def _check_paths(src: str, dst: str, overwrite: bool) -> tuple[str, str]:
    if not os.path.isfile(src):
        raise ConvertError(f"{src!r} does not exist; pass the path of a saved model file.")
    src_suffix = _suffix(src, SOURCE_FORMATS)
    if src.lower().endswith(".weights.h5") or src.lower().endswith(".safetensors"):
        raise ConvertError(
            f"{src!r} holds weights only, no model config; convert needs a whole model "
            "(.keras, .h5 or .torchbridge). Build the model in code and call load_weights."
        )
    if src_suffix is None:
        raise ConvertError(
            f"{src!r}: unknown model file extension; convert reads {', '.join(SOURCE_FORMATS)}."
        )
    dst_suffix = _suffix(dst, TARGET_FORMATS)
    if dst_suffix is None:
        raise ConvertError(
            f"{dst!r}: cannot write this extension; convert writes "
            f"{', '.join(sorted(TARGET_FORMATS))}."
        )
    if os.path.exists(dst) and not overwrite:
        raise ConvertError(
            f"{dst!r} already exists; pass --overwrite (overwrite=True) to replace it."
        )
    if os.path.abspath(src) == os.path.abspath(dst):
        raise ConvertError(f"{dst!r} is the source file; write the output to another path.")
    return src_suffix, dst_suffix


def _check_keras_expressible(model: Any, dst: str) -> None:
    """Refuse a ``.keras`` output real Keras could not read (``model.save`` would fall
    back to torchbridge's layout under the ``.keras`` name)."""
    from torchbridge.saving import serialization
    from torchbridge.saving.keras_format.keras_archive_writer import keras_weights_supported

    reason = None
    try:
        serialization.serialize(model)
    except NotImplementedError:
        reason = "the model has no config (a Model subclass without get_config)"
    if reason is None and not keras_weights_supported(model):
        reason = "its weights do not map onto Keras's weights layout (or h5py is not installed)"
    if reason is not None:
        raise ConvertError(
            f"{dst!r}: this model cannot be written as a Keras 3 .keras archive: {reason}. "
            "Write it as .torchbridge or .safetensors instead."
        )


def _source_format(src: str, suffix: str) -> str:
    from torchbridge.saving.keras_format import keras_archive, legacy_h5

    if keras_archive.is_keras_archive(src):
        return "Keras 3 .keras archive"
    if legacy_h5.is_legacy_h5(src):
        return "Keras .h5 model (HDF5)"
    return "torchbridge model file" if suffix != ".h5" else SOURCE_FORMATS[suffix]


def _layers(model: Any) -> list[LayerReport]:
    out = []
    for layer in getattr(model, "layers", []):
        names: dict[int, str] = {}
        if hasattr(layer, "named_parameters"):  # torch tensors carry no Keras path
            names = {id(t): f"{layer.name}/{n}" for n, t in layer.named_parameters()}
            names.update({id(t): f"{layer.name}/{n}" for n, t in layer.named_buffers()})
        weights = []
        for w in getattr(layer, "weights", []):
            path = getattr(w, "path", None) or names.get(id(w)) or getattr(w, "name", None)
            weights.append((str(path or "?"), tuple(int(d) for d in w.shape)))
        out.append(LayerReport(str(layer.name), type(layer).__name__, weights))
    return out


def _random_inputs(model: Any, seed: int) -> list[np.ndarray] | None:
    specs = getattr(model, "inputs", None)
    if not specs:
        return None
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in specs:
        shape = tuple(
            (_BATCH if i == 0 else _FREE_DIM) if d is None else int(d)
            for i, d in enumerate(spec.shape)
        )
        dtype = str(getattr(spec, "dtype", "float32") or "float32")
        if dtype == "string":
            arrays.append(np.full(shape, "a b c", dtype=object))
        elif dtype == "bool":
            arrays.append(rng.integers(0, 2, size=shape).astype(bool))
        elif "int" in dtype:
            arrays.append(rng.integers(0, 10, size=shape).astype(dtype))
        else:
            arrays.append(rng.standard_normal(shape).astype(dtype))
    return arrays


def _predict(model: Any, arrays: list[np.ndarray]) -> list[np.ndarray]:
    from torchbridge import tree

    x: Any = arrays[0] if len(arrays) == 1 else list(arrays)
    out = model.predict(x, verbose=0)
    return [np.asarray(o) for o in tree.flatten(out)]


def _max_abs_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    if len(a) != len(b):
        return float("inf")
    worst = 0.0
    for x, y in zip(a, b, strict=True):
        if x.shape != y.shape:
            return float("inf")
        if x.dtype.kind in "OSUb" or y.dtype.kind in "OSUb":
            worst = max(worst, 0.0 if np.array_equal(x, y) else float("inf"))
        elif x.size:
            diff = np.abs(x.astype(np.float64) - y.astype(np.float64))
            worst = max(worst, float(np.nan_to_num(diff, nan=np.inf).max()))
    return worst


def convert(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    compile: bool = True,
    overwrite: bool = False,
    seed: int = 0,
    atol: float = 1e-5,
    custom_objects: dict[str, Any] | None = None,
) -> ConvertReport | FolderReport:
    """Convert the model saved at ``src`` to ``dst`` (format from ``dst``'s extension).

    ``compile=False`` drops the compile config and optimizer state. The written file
    is loaded back and both models predict on seeded random inputs (``seed``); the
    report's ``max_abs_diff`` and ``passed`` (``<= atol``) say how they agreed.
    Raises :class:`ConvertError` for a missing ``src``, an unknown extension, an
    existing ``dst`` without ``overwrite``, or a model ``dst``'s format cannot hold.
    """
    src_path, dst_path = os.fspath(src), os.fspath(dst)
    if os.path.isdir(src_path):  # a Hugging Face folder with a TF checkpoint (tf_model.h5)
        from torchbridge.hf.tf_convert import convert_tf_folder

        return convert_tf_folder(src_path, dst_path, overwrite=overwrite, seed=seed, atol=atol)
    src_suffix, dst_suffix = _check_paths(src_path, dst_path, overwrite)
    from torchbridge.models.loading import load_model

    try:
        model = load_model(src_path, custom_objects=custom_objects, compile=compile)
    except ImportError as e:
        raise ConvertError(f"{src_path!r}: reading it needs an optional package: {e}") from None
    except (TorchbridgeError, OSError, ValueError, KeyError) as e:
        raise ConvertError(f"{src_path!r} could not be loaded: {e}") from None
    if dst_suffix == ".keras":
        _check_keras_expressible(model, dst_path)
    try:
        if dst_suffix in _WEIGHTS_ONLY:
            model.save_weights(dst_path, overwrite=True)
        else:
            model.save(dst_path, overwrite=True, include_optimizer=compile)
    except ImportError as e:
        raise ConvertError(f"{dst_path!r}: writing it needs an optional package: {e}") from None
    except (TorchbridgeError, NotImplementedError, TypeError, ValueError) as e:
        raise ConvertError(
            f"{dst_path!r}: this model cannot be written as {TARGET_FORMATS[dst_suffix]}: {e}"
        ) from None
    try:
        if dst_suffix in _WEIGHTS_ONLY:  # weights alone: a fresh copy of the model reads them
            reloaded = load_model(src_path, custom_objects=custom_objects, compile=False)
            reloaded.load_weights(dst_path)
        else:
            reloaded = load_model(dst_path, custom_objects=custom_objects, compile=compile)
    except (TorchbridgeError, OSError, ValueError, KeyError) as e:
        raise ConvertError(f"{dst_path!r} was written but does not load back: {e}") from None
    arrays = _random_inputs(model, seed)
    diff = None
    if arrays is not None:
        diff = _max_abs_diff(_predict(model, arrays), _predict(reloaded, arrays))
    return ConvertReport(
        src=src_path,
        dst=dst_path,
        src_format=_source_format(src_path, src_suffix),
        dst_format=TARGET_FORMATS[dst_suffix],
        layers=_layers(model),
        max_abs_diff=diff,
        atol=atol,
        seed=seed,
        inputs=[
            (tuple(a.shape), str(a.dtype if a.dtype != object else "string")) for a in arrays or []
        ],
    )
