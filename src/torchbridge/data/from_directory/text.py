"""``text_dataset_from_directory``: a folder of ``.txt`` files (one subfolder per class)
as a batched ``Dataset`` of ``(texts, labels)`` with Keras's file order and split.

One deliberate difference, shared with ``TextLineDataset``: texts are Python ``str``
(NumPy object arrays once batched) decoded as UTF-8, where tf.data yields bytes.
``max_length`` cuts each file at that many *bytes*, as Keras does, dropping a
multi-byte character the cut splits.
"""

from __future__ import annotations

import codecs
from typing import Any

import numpy as np

from torchbridge.data.dataset import Dataset
from torchbridge.data.from_directory import indexing
from torchbridge.errors import InputError

__all__ = ["text_dataset_from_directory"]


class _TextLoader:
    def __init__(self, max_length: int | None) -> None:
        self.max_length = max_length

    def __call__(self, path: str) -> str:
        with open(path, "rb") as f:
            data = f.read() if self.max_length is None else f.read(self.max_length)
        try:
            # final=False: a character cut by max_length is dropped, not an error
            return codecs.getincrementaldecoder("utf-8")().decode(
                data, final=self.max_length is None
            )
        except UnicodeDecodeError as e:
            raise InputError(
                f"The text file {path} is not valid UTF-8 ({e}). Re-encode it as UTF-8."
            ) from e


def text_dataset_from_directory(
    directory: Any,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    format: str = "tf",
    verbose: bool = True,
) -> Any:
    """Keras's ``text_dataset_from_directory``: a ``Dataset`` of string batches and
    labels (a ``[training, validation]`` pair for ``subset="both"``), each with a
    ``class_names`` attribute."""
    indexing.check_common_args(labels, label_mode, class_names, "text")
    if format not in ("tf", "grain"):
        raise InputError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if labels is None or label_mode is None:
        labels = label_mode = None
    indexing.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(np.random.randint(1_000_000))
    labels_arg = labels
    paths, labels, class_names = indexing.index_directory(
        directory,
        labels,
        formats=(".txt",),
        class_names=class_names,
        shuffle=shuffle,
        seed=seed,
        follow_links=follow_links,
        verbose=verbose,
    )
    if label_mode == "binary" and len(class_names or []) != 2:
        raise InputError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )
    load = _TextLoader(max_length)
    datasets = []
    for part, part_paths, part_labels in indexing.split_files(
        paths, labels, validation_split, subset
    ):
        if not part_paths:
            raise indexing.no_files_error(directory, "text files", ".txt", labels_arg, part)
        ds: Dataset = indexing.labelled_dataset(
            part_paths,
            part_labels,
            label_mode,
            len(class_names) if class_names else 0,
            load,
            shuffle=shuffle and not (subset == "both" and part == "validation"),
            shuffle_buffer_size=batch_size * 8 if batch_size is not None else 1024,
            seed=seed,
        )
        datasets.append(indexing.finish(ds, batch_size, class_names))
    return datasets if subset == "both" else datasets[0]
