"""``save_weights`` / ``load_weights``: one file of a model's weights, chosen by its suffix.

* ``.weights.h5`` — Keras 3's weights file (HDF5 via h5py, the optional ``h5``
  extra): the same file Keras writes and reads for the same architecture
  (see :mod:`torchbridge.saving.keras_format.weights_h5`).
* ``.safetensors`` (e.g. ``model.weights.safetensors``) — the module's
  ``state_dict`` as one safetensors file: keys are the module's own
  ``state_dict`` keys, so it also loads with plain ``safetensors.torch.load_file``
  + ``module.load_state_dict``. Tied (shared) tensors are stored once.
* ``.h5`` / ``.hdf5`` alone — tf.keras 2's legacy weights file (or a whole-model
  ``.h5``'s weights): loaded by topological order or ``by_name=True``, as Keras 3's
  ``load_weights`` does (:mod:`torchbridge.saving.keras_format.legacy_weights`);
  saving to it is refused with the fix, as in Keras 3.

Loading never unpickles or executes anything. A safetensors header is
validated before any tensor is read (:mod:`torchbridge.saving.safetensors_file`),
and a tensor stored in a wider dtype than the parameter it fills (float64 into
float32, which can overflow to inf) is refused unless
``allow_dtype_narrowing=True`` (torchbridge-only; Keras casts silently).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import torch
from torch import nn

from torchbridge.errors import InputError
from torchbridge.saving.atomic import atomic_path
from torchbridge.saving.safetensors_file import read_safetensors

__all__ = [
    "save_weights",
    "load_weights",
    "load_state_into",
    "WEIGHTS_SUFFIX",
    "H5_WEIGHTS_SUFFIX",
    "dtype_narrows",
]

WEIGHTS_SUFFIX = ".safetensors"
H5_WEIGHTS_SUFFIX = ".weights.h5"
_LEGACY_H5_SUFFIXES = (".h5", ".hdf5")


def _state_module(module: nn.Module) -> nn.Module:
    """The module whose ``state_dict`` a safetensors file holds (a Model's ``weights_module``)."""
    weights_module = getattr(module, "weights_module", None)
    return weights_module() if callable(weights_module) else module


def _legacy_h5_error(path: str) -> InputError:
    return InputError(
        f"The filename must end in `.weights.h5`. Received: filepath={path}: a name ending in "
        "`.h5` without `.weights` is tf.keras 2's legacy HDF5 weights format, which Keras 3 "
        "(and torchbridge) only reads. Save as 'model.weights.h5' (or '.safetensors')."
    )


def _check_save_suffix(path: str) -> None:
    if path.endswith((H5_WEIGHTS_SUFFIX, WEIGHTS_SUFFIX)):
        return
    if path.endswith(_LEGACY_H5_SUFFIXES):
        raise _legacy_h5_error(path)
    raise InputError(
        "The filename must end in `.weights.h5`. "
        f"Received: filepath={path} (torchbridge also accepts `.safetensors`, e.g. "
        "'model.weights.safetensors')."
    )


def _may_write(path: str, overwrite: bool) -> bool:
    """Keras's ``overwrite=False``: ask on an interactive terminal; elsewhere refuse."""
    if overwrite or not os.path.exists(path):
        return True
    if sys.stdin is not None and sys.stdin.isatty():
        answer = input(f"[WARNING] {path} already exists - overwrite? [y/n]").strip().lower()
        while answer not in ("y", "n"):
            answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
        if answer == "n":
            return False
        print("[TIP] Next time specify overwrite=True!")
        return True
    raise FileExistsError(
        f"{path} already exists and overwrite=False (Keras would ask on an interactive "
        "terminal). Pass overwrite=True to replace it, or choose another filename."
    )


def save_weights(
    module: nn.Module,
    filepath: str | os.PathLike[str],
    overwrite: bool = True,
    metadata: dict[str, str] | None = None,
) -> None:
    """Write ``module``'s weights; the suffix picks the format (see the module docstring)."""
    path = os.fspath(filepath)
    _check_save_suffix(path)
    if not _may_write(path, overwrite):
        return
    if path.endswith(H5_WEIGHTS_SUFFIX):
        from torchbridge.saving.keras_format.weights_h5 import save_weights_h5

        save_weights_h5(module, path)
        return
    with atomic_path(path) as tmp:
        from safetensors.torch import save_model

        save_model(_state_module(module), tmp, metadata={"format": "pt", **(metadata or {})})


def load_weights(
    module: nn.Module,
    filepath: str | os.PathLike[str],
    skip_mismatch: bool = False,
    **kwargs: Any,
) -> dict[str, Any]:
    """Load into ``module``; returns ``{"missing_keys": [...], "unexpected_keys": [...],
    "skipped": [...]}`` (only non-empty when ``skip_mismatch=True``; for a
    ``.weights.h5`` file ``skipped`` lists the file paths of the skipped layers, for a
    legacy ``.h5`` file their names).

    ``objects_to_skip`` (layers left as they are) works for ``.weights.h5``
    files, as in Keras; ``by_name`` only belongs to tf.keras 2's legacy ``.h5``.
    ``allow_dtype_narrowing=True`` (torchbridge-only) casts weights stored in a wider
    dtype than the model's instead of raising.
    """
    path = os.fspath(filepath)
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    by_name = kwargs.pop("by_name", None)
    allow_narrowing = bool(kwargs.pop("allow_dtype_narrowing", False))
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    if path.endswith(H5_WEIGHTS_SUFFIX):
        if by_name is not None:
            raise ValueError(
                f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. Received: {path}"
            )
        from torchbridge.saving.keras_format.weights_h5 import load_weights_h5

        skipped = load_weights_h5(
            module, path, skip_mismatch, objects_to_skip, allow_dtype_narrowing=allow_narrowing
        )
        return {"missing_keys": [], "unexpected_keys": [], "skipped": skipped}
    if path.endswith(_LEGACY_H5_SUFFIXES):
        if objects_to_skip is not None:
            raise ValueError(
                f"`objects_to_skip` only supports loading '.weights.h5' files. Received: {path}"
            )
        from torchbridge.saving.keras_format.legacy_weights import load_legacy_weights_file

        skipped = load_legacy_weights_file(
            module, path, bool(by_name), skip_mismatch, allow_dtype_narrowing=allow_narrowing
        )
        return {"missing_keys": [], "unexpected_keys": [], "skipped": skipped}
    if not path.endswith(WEIGHTS_SUFFIX):
        raise InputError(
            f"File format not supported: filepath={path}. torchbridge loads weights from "
            "`.weights.h5` files (Keras 3), `.safetensors` files and `.keras` / `.torchbridge` "
            "model files."
        )
    if objects_to_skip is not None or by_name is not None:
        raise ValueError(
            f"`objects_to_skip` and `by_name` do not apply to safetensors files. Received: {path}"
        )
    if not os.path.exists(path):
        raise FileNotFoundError(f"No weights file at {path!r}.")
    loaded = read_safetensors(path)
    return load_state_into(
        _state_module(module), loaded, path, skip_mismatch, allow_narrowing=allow_narrowing
    )


def dtype_narrows(file_dtype: torch.dtype, own_dtype: torch.dtype) -> bool:
    """Whether casting ``file_dtype`` to ``own_dtype`` can lose range or precision."""
    return file_dtype != own_dtype and torch.promote_types(file_dtype, own_dtype) != own_dtype


def load_state_into(
    module: nn.Module,
    loaded: dict[str, torch.Tensor],
    source: str,
    skip_mismatch: bool = False,
    allow_narrowing: bool = False,
) -> dict[str, Any]:
    """Load ``loaded`` into ``module`` with clear errors (or skips) for any mismatch.

    A tensor whose dtype does not fit its parameter without loss (float64 into
    float32, float into int) raises unless ``allow_narrowing``.
    """
    path = source
    own = module.state_dict()
    # save_model drops duplicate names of tied tensors: refill them from their twin.
    for key, tensor in own.items():
        if key not in loaded:
            for other, t in own.items():
                if (
                    other in loaded
                    and t.data_ptr() == tensor.data_ptr()
                    and t.shape == tensor.shape
                ):
                    loaded[key] = loaded[other]
                    break
    missing = [k for k in own if k not in loaded]
    unexpected = [k for k in loaded if k not in own]
    mismatched = [k for k in own if k in loaded and tuple(loaded[k].shape) != tuple(own[k].shape)]
    if not skip_mismatch and (missing or unexpected or mismatched):
        parts = []
        if missing:
            parts.append(f"missing from the file: {missing[:10]}")
        if unexpected:
            parts.append(f"not in the model: {unexpected[:10]}")
        if mismatched:
            parts.append(
                "shape mismatch: "
                + ", ".join(
                    f"{k} file {tuple(loaded[k].shape)} vs model {tuple(own[k].shape)}"
                    for k in mismatched[:10]
                )
            )
        raise InputError(
            f"The weights in {path!r} do not fit this model ({'; '.join(parts)}). "
            "Check that the model is built the same way, or pass skip_mismatch=True to load "
            "only the matching tensors."
        )
    usable = {k: v for k, v in loaded.items() if k in own and k not in mismatched}
    narrowed = [k for k, v in usable.items() if dtype_narrows(v.dtype, own[k].dtype)]
    if narrowed and not allow_narrowing:
        raise InputError(
            f"The weights in {path!r} would lose range or precision when loaded: "
            + ", ".join(
                f"{k} is {usable[k].dtype} in the file, {own[k].dtype} in the model"
                for k in narrowed[:10]
            )
            + ". Cast the model to the file's dtype first (e.g. module.to(torch.float64)), or "
            "pass allow_dtype_narrowing=True to load_weights to cast (values beyond the "
            "model dtype's range become inf)."
        )
    with torch.no_grad():
        module.load_state_dict(usable, strict=False)
    return {"missing_keys": missing, "unexpected_keys": unexpected, "skipped": mismatched}
