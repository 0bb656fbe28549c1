"""What the ``*_dataset_from_directory`` functions share: listing a directory's files
with their labels in Keras's order, the seeded shuffle and the training/validation
split, argument checks, and turning (paths, labels) into a labelled ``Dataset``.

Order matters: Keras lists class folders alphabetically (or in ``class_names``
order), files depth-first in sorted order, then shuffles paths and labels with
``np.random.RandomState(seed)`` and takes the validation files from the end. Doing
exactly that here puts the same files in the same split as Keras for the same seed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import AUTOTUNE, Dataset
from torchbridge.errors import InputError

__all__ = [
    "check_common_args",
    "check_validation_split_arg",
    "index_directory",
    "finish",
    "labelled_dataset",
    "no_files_error",
    "split_files",
    "training_or_validation_split",
]

LABEL_MODES = ("int", "categorical", "binary", None)


def check_common_args(labels: Any, label_mode: Any, class_names: Any, what: str) -> None:
    """Keras's checks of ``labels`` / ``label_mode`` / ``class_names``."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise InputError(
                "`labels` argument should be a list/tuple of integer labels, of the same size "
                f"as the number of {what} files in the target directory. If you wish to infer "
                "the labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains '
                f"{what} samples (no labels), pass `labels=None`. Received: labels={labels}"
            )
        if class_names:
            raise InputError(
                'You can only pass `class_names` if `labels="inferred"`. '
                f"Received: labels={labels}, and class_names={class_names}"
            )
    if label_mode not in LABEL_MODES:
        raise InputError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )


def check_validation_split_arg(
    validation_split: float | None, subset: str | None, shuffle: bool, seed: int | None
) -> None:
    if validation_split and not 0 < validation_split < 1:
        raise InputError(
            f"`validation_split` must be between 0 and 1, received: {validation_split}"
        )
    if (validation_split or subset) and not (validation_split and subset):
        raise InputError(
            "If `subset` is set, `validation_split` must be set, and inversely "
            f"(received validation_split={validation_split}, subset={subset!r}). Pass both, "
            'e.g. validation_split=0.2, subset="training" (or "validation", or "both").'
        )
    if subset not in ("training", "validation", "both", None):
        raise InputError(
            f'`subset` must be either "training", "validation" or "both", received: {subset}'
        )
    if validation_split and shuffle and seed is None:
        raise InputError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset."
        )


def _valid_files(directory: str, follow_links: bool, formats: tuple[str, ...]) -> list[str]:
    found = []
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda w: w[0]):
        for fname in sorted(files):
            if fname.lower().endswith(formats):
                found.append(os.path.join(root, fname))
    return found


def index_directory(
    directory: Any,
    labels: Any,
    formats: tuple[str, ...],
    class_names: Sequence[str] | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> tuple[list[str], Any, list[str] | None]:
    """``(file_paths, labels, class_names)`` in Keras's order (see the module docstring)."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise InputError(f"Directory {directory!r} does not exist or is not a directory.")
    if labels == "inferred":
        subdirs = [
            d
            for d in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise InputError(
                    "The `class_names` passed did not match the names of the subdirectories "
                    f"of the target directory. Expected: {subdirs} (or a subset of it), but "
                    f"received: class_names={class_names}"
                )
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise InputError(
                "When `labels=None` (no labels), argument `class_names` cannot be specified."
                if labels is None
                else "When argument `labels` is specified, argument `class_names` cannot be "
                "specified (the `class_names` will be the sorted list of labels)."
            )
        subdirs = [""]
    paths: list[str] = []
    indices: list[int] = []
    for index, subdir in enumerate(subdirs):
        found = _valid_files(os.path.join(directory, subdir), follow_links, formats)
        paths += found
        indices += [index] * len(found)

    names: list[str] | None = list(subdirs)
    if labels == "inferred":
        labels = np.asarray(indices, dtype="int32")
    elif labels is None:
        names = None
    else:
        if len(labels) != len(paths):
            raise InputError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(paths)} files "
                f"in directory {directory}."
            )
        labels = list(labels)
        names = [str(label) for label in sorted(set(labels))]
    if verbose:
        if labels is None:
            print(f"Found {len(paths)} files.")
        else:
            print(f"Found {len(paths)} files belonging to {len(names or [])} classes.")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1_000_000)
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, names


def training_or_validation_split(
    samples: list[str], labels: Any, validation_split: float | None, subset: str | None
) -> tuple[list[str], Any]:
    """The training part (all but the last ``int(validation_split * n)``) or the
    validation part (those last ones), as Keras splits."""
    if not validation_split:
        return samples, labels
    n_val = int(validation_split * len(samples))
    if subset == "training":
        print(f"Using {len(samples) - n_val} files for training.")
        keep = slice(None, -n_val)  # (n_val == 0 keeps nothing, as in Keras)
    elif subset == "validation":
        print(f"Using {n_val} files for validation.")
        keep = slice(-n_val, None)
    else:
        raise InputError(f'`subset` must be either "training" or "validation", received: {subset}')
    return samples[keep], (None if labels is None else labels[keep])


def split_files(
    paths: list[str], labels: Any, validation_split: float | None, subset: str | None
) -> list[tuple[str, list[str], Any]]:
    """``[(subset name, paths, labels)]``: one entry, or two for ``subset="both"``."""
    if subset == "both":
        return [
            (
                "training",
                *training_or_validation_split(paths, labels, validation_split, "training"),
            ),
            (
                "validation",
                *training_or_validation_split(paths, labels, validation_split, "validation"),
            ),
        ]
    return [("", *training_or_validation_split(paths, labels, validation_split, subset))]


def encode_labels(labels: Any, label_mode: str, num_classes: int) -> torch.Tensor:
    """int: int32 scalars; binary: float32 of shape (1,); categorical: float32 one-hot."""
    ints = torch.as_tensor(np.asarray(labels, dtype="int32"))
    if label_mode == "binary":
        return ints.to(torch.float32).unsqueeze(-1)
    if label_mode == "categorical":
        return torch.nn.functional.one_hot(ints.long(), num_classes).to(torch.float32)
    return ints


def labelled_dataset(
    paths: list[str],
    labels: Any,
    label_mode: str | None,
    num_classes: int,
    load: Callable[[str], Any],
    shuffle: bool,
    shuffle_buffer_size: int,
    seed: int | None,
) -> Dataset:
    """``(load(path), label)`` elements (or ``load(path)`` without labels), shuffled
    with a seeded buffer as Keras does before loading."""
    path_array = np.empty(len(paths), dtype=object)
    path_array[:] = paths
    if label_mode:
        ds = Dataset.from_tensor_slices(
            (path_array, encode_labels(labels, label_mode, num_classes))
        )
    else:
        ds = Dataset.from_tensor_slices(path_array)
    if shuffle:
        ds = ds.shuffle(buffer_size=shuffle_buffer_size or 1024, seed=seed)
    # Loading runs on worker threads (decoders release the GIL), in order, as Keras's
    # num_parallel_calls=AUTOTUNE map.
    if label_mode:
        return ds.map(lambda path, label: (load(path), label), num_parallel_calls=AUTOTUNE)
    return ds.map(load, num_parallel_calls=AUTOTUNE)


def no_files_error(
    directory: Any, what: str, formats: Any, labels: Any, subset: str = ""
) -> InputError:
    """Keras's "No ... files found" error, saying why when the class folders are missing."""
    where = f"No {subset + ' ' if subset else ''}{what} found in directory {directory}"
    hint = f" Allowed formats: {formats}."
    if (
        isinstance(labels, str)
        and labels == "inferred"
        and not any(
            os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")
            for d in os.listdir(directory)
        )
    ):
        hint += (
            ' With labels="inferred" the files must sit in one subfolder per class '
            "(directory/class_a/..., directory/class_b/...); this directory has no "
            "subfolders. Move the files into class folders, or pass labels=None."
        )
    return InputError(where + "." + hint)


def finish(ds: Dataset, batch_size: int | None, class_names: Any, padded: bool = False) -> Dataset:
    """Batch and prefetch as Keras, and attach ``class_names``."""
    if batch_size is not None:
        ds = ds.padded_batch(batch_size) if padded else ds.batch(batch_size)
    ds = ds.prefetch(AUTOTUNE)
    ds.class_names = class_names  # type: ignore[attr-defined]
    return ds
