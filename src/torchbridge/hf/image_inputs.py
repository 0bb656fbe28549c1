"""Images for :class:`~torchbridge.hf.ImageClassifier`: examples read from an image folder
(the ``image_dataset_from_directory`` layout, in Keras's class and file order), from lists
of file paths / PIL images / arrays, from a dict of ``image`` / ``label`` columns or from a
``datasets.Dataset`` — and checked before any training step (each image readable; one
size when the image processor does not resize), with errors naming the file or row.

* :func:`read_examples` — ``(x, y)`` → :class:`ImageExamples` (images kept as given,
  loaded lazily, labels as class ids).
* :func:`check_images` — the up-front scan (headers only where the format allows).
* :func:`as_pipeline_input` — one image as ``pipeline("image-classification")``'s
  ``preprocess`` gets it (``transformers.image_utils.load_image`` for paths and PIL
  images: EXIF orientation applied, RGB; arrays as they are).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from torchbridge.data.from_directory import indexing
from torchbridge.data.from_directory.image import ALLOWLIST_FORMATS
from torchbridge.errors import InputError
from torchbridge.hf.text_batches import hf_dataset_kind

__all__ = [
    "ImageExamples",
    "as_pipeline_input",
    "check_images",
    "processor_resizes",
    "read_examples",
]

LabelId = Callable[[Any, str], int]


class _LazyColumn:
    """A ``datasets.Dataset`` column read one row at a time (images left undecoded)."""

    def __init__(self, dataset: Any, column: str) -> None:
        self.dataset = dataset
        self.column = column

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> Any:
        return self.dataset[int(i)][self.column]


class ImageExamples:
    """Images (paths, PIL images, arrays or undecoded ``datasets`` images) + class ids."""

    def __init__(
        self,
        items: Sequence[Any] | _LazyColumn,
        labels: list[int] | None,
        names: Callable[[int], str],
        index: Sequence[int] | None = None,
    ) -> None:
        self.items = items
        self.labels = labels
        self._names = names
        self.index = list(range(len(items))) if index is None else list(index)

    def __len__(self) -> int:
        return len(self.index)

    def name(self, i: int) -> str:
        """How errors name example ``i`` (``File '...'`` or ``Row 3, field 'image'``)."""
        return self._names(self.index[i])

    def raw(self, i: int) -> Any:
        return self.items[self.index[i]]

    def label(self, i: int) -> int:
        assert self.labels is not None
        return self.labels[self.index[i]]

    def load(self, i: int) -> Any:
        return as_pipeline_input(self.raw(i), self.name(i))

    def split(self, cut: int) -> tuple[ImageExamples, ImageExamples]:
        """The first ``cut`` examples and the rest."""
        a = ImageExamples(self.items, self.labels, self._names, self.index[:cut])
        b = ImageExamples(self.items, self.labels, self._names, self.index[cut:])
        return a, b


def _pil(function: str) -> Any:
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - Pillow comes with transformers' vision extra
        raise ImportError(f"{function} needs Pillow: pip install pillow") from exc
    return Image


def _is_path(item: Any) -> bool:
    return isinstance(item, (str, os.PathLike))


def _open(item: Any) -> Any:
    """A PIL image opened (not decoded) from a path or an undecoded ``datasets`` image."""
    image_mod = _pil("ImageClassifier")
    if _is_path(item):
        return image_mod.open(os.fspath(item))
    if isinstance(item, Mapping):
        if item.get("bytes") is not None:
            return image_mod.open(io.BytesIO(item["bytes"]))
        if item.get("path"):
            return image_mod.open(item["path"])
    raise TypeError(f"not an image file: {type(item).__name__}")


def _unreadable(name: str, exc: BaseException) -> InputError:
    return InputError(
        f"{name} cannot be read as an image ({type(exc).__name__}: {exc}). Remove or replace "
        "the file, or fix the row (give a path, a PIL image or an (height, width[, channels]) "
        "array)."
    )


def as_pipeline_input(item: Any, name: str) -> Any:
    """``item`` as the image-classification pipeline's ``preprocess`` receives it."""
    from transformers.image_utils import load_image

    if isinstance(item, np.ndarray) or type(item).__name__ == "Tensor":
        return item
    try:
        if _is_path(item):
            return load_image(os.fspath(item))
        if isinstance(item, Mapping):
            return load_image(_open(item))
        return load_image(item)
    except InputError:
        raise
    except Exception as exc:
        raise _unreadable(name, exc) from exc


def _size(item: Any, name: str) -> tuple[int, int]:
    """(height, width) of one image, checking that it can be read."""
    if isinstance(item, np.ndarray) or type(item).__name__ == "Tensor":
        shape = tuple(int(d) for d in item.shape)
        if len(shape) == 2:
            return shape[0], shape[1]
        if len(shape) == 3:
            if shape[0] in (1, 3, 4) and shape[-1] not in (1, 3, 4):
                return shape[1], shape[2]  # channels first
            return shape[0], shape[1]
        raise InputError(
            f"{name} is an array of shape {shape}; an image is (height, width) or (height, "
            "width, channels). Pass a list of images (one array each), or a 4-D array split "
            "with list(array)."
        )
    if _is_path(item) or isinstance(item, Mapping):
        try:
            with _open(item) as image:
                width, height = image.size
                image.verify()
        except Exception as exc:
            raise _unreadable(name, exc) from exc
        return height, width
    if hasattr(item, "size") and hasattr(item, "convert"):  # a PIL image
        width, height = item.size
        return height, width
    raise InputError(
        f"{name} is a {type(item).__name__}, not an image: give a file path, a PIL image or "
        "an array."
    )


def processor_resizes(processor: Any) -> bool:
    """Whether the image processor brings every image to one size."""
    return bool(
        getattr(processor, "do_resize", False) or getattr(processor, "do_center_crop", False)
    )


def check_images(examples: ImageExamples, resizes: bool) -> None:
    """Every image readable; one size unless the processor resizes (errors name the file)."""
    first: tuple[int, int] | None = None
    for i in range(len(examples)):
        size = _size(examples.raw(i), examples.name(i))
        if resizes:
            continue
        if first is None:
            first = size
        elif size != first:
            raise InputError(
                f"{examples.name(i)} is {size[1]}x{size[0]} (width x height) but "
                f"{examples.name(0)} is {first[1]}x{first[0]}, and the image processor does "
                "not resize (do_resize=False), so they cannot share a batch. Resize the images "
                "to one size first, or let the processor resize: processor.do_resize = True "
                "(with size={'height': H, 'width': W})."
            )


def _from_folder(directory: str, label_id: LabelId, what: str) -> ImageExamples:
    paths, _, class_names = indexing.index_directory(
        directory, "inferred", ALLOWLIST_FORMATS, shuffle=False, verbose=False
    )
    if not paths:
        error = indexing.no_files_error(directory, "images", ALLOWLIST_FORMATS, "inferred")
        raise InputError(
            f"{what}: {error} Put the images in one subfolder per class "
            f"({os.path.join(directory, '<class name>', '*.png')}), or pass a list of images "
            "with their labels."
        )
    assert class_names is not None
    root = os.path.abspath(directory)
    ids = {}
    labels = []
    for path in paths:
        folder = os.path.relpath(os.path.abspath(path), root).split(os.sep)[0]
        if folder not in ids:
            ids[folder] = label_id(folder, f"{what}: class folder {folder!r} of {directory!r}")
        labels.append(ids[folder])
    return ImageExamples(paths, labels, lambda i: f"File {paths[i]!r}")


def _label_ids(y: Any, n: int, label_id: LabelId, field: str, what: str) -> list[int]:
    values = y.tolist() if hasattr(y, "tolist") else list(y)
    if len(values) != n:
        raise InputError(
            f"{what} got {n} images but {len(values)} labels; give one label per image."
        )
    return [label_id(v, f"Row {i}, field {field!r}") for i, v in enumerate(values)]


def read_examples(
    x: Any,
    y: Any,
    label_id: LabelId | None,
    what: str,
    image_column: str = "image",
    label_column: str = "label",
) -> ImageExamples:
    """``(x, y)`` → examples; ``label_id`` (``None``: no labels wanted) maps a label (a name
    or a class id) to its class id, raising an error that names ``where``."""
    if _is_path(x) and os.path.isdir(os.fspath(x)):
        if y is not None:
            raise InputError(
                f"{what}: the labels of an image folder are its class subfolders; do not pass y."
            )
        if label_id is None:
            return _from_folder(os.fspath(x), lambda v, where: 0, what)
        return _from_folder(os.fspath(x), label_id, what)
    if hf_dataset_kind(x) is not None:
        if y is not None:
            raise InputError(
                f"When {what}'s x is a datasets.Dataset, the labels come from its "
                f"{label_column!r} column; do not pass y."
            )
        columns = list(getattr(x, "column_names", []) or [])
        if image_column not in columns:
            raise InputError(
                f"{what}: the dataset has no {image_column!r} column (columns: {columns}). "
                f"Rename the image column: ds.rename_column(name, {image_column!r})."
            )
        if len(x) == 0:
            raise InputError(f"{what} got an empty dataset: give at least one row.")
        labels = None
        if label_id is not None and label_column in columns:
            labels = _label_ids(x[label_column], len(x), label_id, label_column, what)
        data = x
        feature = getattr(x, "features", {}).get(image_column)
        if type(feature).__name__ == "Image" and getattr(feature, "decode", False):
            import datasets

            data = x.cast_column(image_column, datasets.Image(decode=False))
        column = _LazyColumn(data.select_columns([image_column]), image_column)
        return ImageExamples(column, labels, lambda i: f"Row {i}, field {image_column!r}")
    if isinstance(x, Mapping):
        if y is not None:
            raise InputError(f"{what}: pass the labels in x[{label_column!r}] or as y, not both.")
        if image_column not in x:
            raise InputError(
                f"{what}: x has no {image_column!r} field (fields: {list(x)}); put the images "
                f"under {image_column!r}."
            )
        y = x.get(label_column)
        x = x[image_column]
    if x is None:
        raise InputError(f"{what} got no images: pass a folder, a list of images or a dataset.")
    if _is_path(x) or (isinstance(x, np.ndarray) and x.ndim < 4) or hasattr(x, "convert"):
        x = [x]  # one image
    items = list(x)
    if not items:
        raise InputError(f"{what} got no images: pass at least one.")
    labels = None
    if label_id is not None and y is not None:
        labels = _label_ids(y, len(items), label_id, label_column, what)

    def name(i: int) -> str:
        item = items[i]
        return f"Row {i} (file {os.fspath(item)!r})" if _is_path(item) else f"Row {i}"

    return ImageExamples(items, labels, name)
