"""``image_dataset_from_directory``: a folder of images (one subfolder per class) as a
batched ``Dataset`` of ``(images, labels)``, with Keras's file order, split, label
encodings and output shapes.

Images are decoded with Pillow (imported on first use), converted to the colour mode,
and resized with :func:`torchbridge.ops.image.resize` (optionally cropped or padded to
the target aspect ratio). An image Pillow cannot read fails the iteration with an
error naming the file, as Keras's TensorFlow decoder fails; ``.ignore_errors()`` after
the dataset skips such files instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchbridge.backend import config as _config
from torchbridge.data.dataset import Dataset
from torchbridge.data.from_directory import indexing
from torchbridge.errors import InputError

__all__ = ["image_dataset_from_directory", "ALLOWLIST_FORMATS"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = (
    "bilinear",
    "nearest",
    "bicubic",
    "area",
    "lanczos3",
    "lanczos5",
    "gaussian",
    "mitchellcubic",
)
_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}


def _grayscale(img: Any) -> np.ndarray:
    """One grey channel the way TensorFlow's decoders make it: a JPEG's luma plane as
    libjpeg decodes it, and libpng's fixed-point ITU-R 601 weights (floored) for colour
    PNG/BMP/GIF pixels — Pillow's own ``convert("L")`` rounds differently."""
    if img.mode in ("L", "I;16", "I"):
        return np.asarray(img)
    if img.format == "JPEG":
        img.draft("L", None)
        return np.asarray(img if img.mode == "L" else img.convert("L"))
    rgb = np.asarray(img.convert("RGB"), dtype=np.int64)
    weights = np.array([9797, 19234, 3737], dtype=np.int64)
    return ((rgb @ weights) >> 15).astype(np.uint8)


class _ImageLoader:
    """Picklable ``path -> image tensor`` (so the dataset also works in DataLoader workers)."""

    def __init__(
        self,
        image_size: tuple[int, int],
        color_mode: str,
        interpolation: str,
        data_format: str,
        crop_to_aspect_ratio: bool,
        pad_to_aspect_ratio: bool,
    ) -> None:
        self.image_size = image_size
        self.color_mode = color_mode
        self.interpolation = interpolation
        self.data_format = data_format
        self.crop = crop_to_aspect_ratio
        self.pad = pad_to_aspect_ratio

    def __call__(self, path: str) -> torch.Tensor:
        from torchbridge.ops.image import resize
        from torchbridge.utils.image_utils import pil_image, to_mode

        image = pil_image("image_dataset_from_directory")
        try:
            with image.open(path) as img:
                if self.color_mode == "grayscale":
                    decoded = _grayscale(img)
                else:
                    decoded = np.asarray(to_mode(img, self.color_mode))
            is_8bit = decoded.dtype == np.uint8
            pixels = decoded.astype(np.float32)
        except (OSError, ValueError, SyntaxError) as e:
            raise InputError(
                f"Could not read the image file {path} ({type(e).__name__}: {e}). Remove or "
                "re-save the file, or call .ignore_errors() on the dataset to skip unreadable "
                "files."
            ) from e
        x = torch.from_numpy(pixels)
        if x.ndim == 2:
            x = x.unsqueeze(-1)
        if self.pad:
            x = self._resize_with_pad(x)
        else:
            if self.data_format == "channels_first":
                x = x.permute(2, 0, 1)
            x = resize(
                x,
                self.image_size,
                interpolation=self.interpolation,
                crop_to_aspect_ratio=self.crop,
                data_format=self.data_format,
            )
        if self.interpolation == "nearest" and is_8bit:
            # TensorFlow's nearest-neighbour resize keeps the decoded uint8 dtype.
            x = x.to(torch.uint8)
        return x

    def _resize_with_pad(self, x: torch.Tensor) -> torch.Tensor:
        """tf.image.resize_with_pad: fit inside the target keeping the aspect ratio,
        then pad with zeros (centred, the odd pixel at the bottom/right)."""
        from torchbridge.ops.image import resize

        height, width = float(x.shape[0]), float(x.shape[1])
        target_h, target_w = self.image_size
        ratio = max(
            np.float32(width) / np.float32(target_w), np.float32(height) / np.float32(target_h)
        )
        fit_h, fit_w = np.float32(height) / ratio, np.float32(width) / ratio
        top = max(0, int(np.floor((np.float32(target_h) - fit_h) / 2)))
        left = max(0, int(np.floor((np.float32(target_w) - fit_w) / 2)))
        x = resize(
            x,
            (int(np.floor(fit_h)), int(np.floor(fit_w))),
            interpolation=self.interpolation,
            data_format="channels_last",
        )
        out = x.new_zeros((target_h, target_w, x.shape[-1]))
        out[top : top + x.shape[0], left : left + x.shape[1]] = x
        return out.permute(2, 0, 1) if self.data_format == "channels_first" else out


def image_dataset_from_directory(
    directory: Any,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: Any = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    format: str = "tf",
    verbose: bool = True,
) -> Any:
    """Keras's ``image_dataset_from_directory``: a ``Dataset`` of float32 image batches
    ``(batch, height, width, channels)`` (channels first with that data_format) and
    labels; a ``[training, validation]`` pair for ``subset="both"``. Each dataset has
    ``class_names`` and ``file_paths`` attributes."""
    indexing.check_common_args(labels, label_mode, class_names, "image")
    if labels is None or label_mode is None:
        labels = label_mode = None
    if color_mode not in _CHANNELS:
        raise InputError(
            '`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
            f"Received: color_mode={color_mode}"
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise InputError(
            "Invalid `image_size` value. Expected a tuple of 2 integers. "
            f"Received: image_size={image_size}"
        )
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise InputError(
            f"Argument `interpolation` should be one of {_INTERPOLATIONS}. "
            f"Received: interpolation={interpolation}"
        )
    if format not in ("tf", "grain"):
        raise InputError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise InputError(
            "Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`."
        )
    indexing.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(np.random.randint(1_000_000))
    labels_arg = labels
    paths, labels, class_names = indexing.index_directory(
        directory,
        labels,
        formats=ALLOWLIST_FORMATS,
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
    fmt = _config.image_data_format() if data_format is None else data_format
    load = _ImageLoader(
        (int(image_size[0]), int(image_size[1])),
        color_mode,
        interpolation,
        fmt,
        crop_to_aspect_ratio,
        pad_to_aspect_ratio,
    )
    datasets = []
    for part, part_paths, part_labels in indexing.split_files(
        paths, labels, validation_split, subset
    ):
        if not part_paths:
            raise indexing.no_files_error(directory, "images", ALLOWLIST_FORMATS, labels_arg, part)
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
        ds = indexing.finish(ds, batch_size, class_names)
        ds.file_paths = part_paths  # type: ignore[attr-defined]
        datasets.append(ds)
    return datasets if subset == "both" else datasets[0]
