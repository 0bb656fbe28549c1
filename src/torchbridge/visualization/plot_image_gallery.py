"""keras.visualization.plot_image_gallery: a batch of images as a matplotlib grid.

matplotlib is imported on first use (the ``plot`` extra). The figure is laid
out as Keras lays it out (``rows`` × ``cols`` tight subplots, ``scale`` inches
per image, optional titles from ``y_true`` / ``y_pred`` through ``label_map``),
then saved to ``path``, shown, or — with ``show=False`` and no ``path`` — left
open as matplotlib's current figure.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from torchbridge.backend.config import image_data_format
from torchbridge.visualization._arrays import to_numpy

__all__ = ["plot_image_gallery"]


def pyplot(function_name: str) -> Any:
    """``matplotlib.pyplot``, or an ImportError naming the package and the extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            f"The `{function_name}` function requires the `matplotlib` package. Install it "
            "with `pip install matplotlib` (or `pip install torchbridge[plot]`)."
        ) from None
    return plt


def _transform_value_range(images: np.ndarray, original_range: Any) -> np.ndarray:
    """``images`` mapped linearly from ``original_range`` onto ``(0, 255)`` (float32)."""
    low, high = original_range
    if low == 0 and high == 255:
        return images
    images = images.astype("float32")
    low32, high32 = np.float32(low), np.float32(high)
    return (images - low32) / (high32 - low32) * np.float32(255.0) + np.float32(0.0)


def plot_image_gallery(
    images: Any,
    y_true: Any = None,
    y_pred: Any = None,
    label_map: dict[Any, str] | None = None,
    rows: int | None = None,
    cols: int | None = None,
    value_range: Any = (0, 255),
    scale: float = 2,
    path: str | None = None,
    show: bool | None = None,
    transparent: bool = True,
    dpi: int = 60,
    legend_handles: Any = None,
    data_format: str | None = None,
) -> None:
    """Plot a batch of ``images`` (values in ``value_range``) in a ``rows`` × ``cols``
    grid (by default about square); save it to ``path`` or show it."""
    plt = pyplot("plot_image_gallery")
    if path is not None and show:
        raise ValueError("plot_gallery() expects either `path` to be set, or `show` to be true.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError(
            "If `y_true` or `y_pred` are provided, a `label_map` must also be provided."
        )
    show = show if show is not None else (path is None)
    data_format = data_format or image_data_format()
    pixels = to_numpy(images)
    batch_size = pixels.shape[0] if pixels.ndim == 4 else 1
    rows = rows or math.ceil(math.sqrt(batch_size))
    cols = cols or batch_size // rows  # Keras: ceil of a floor division
    if pixels.ndim != 4:
        raise ValueError(
            "`plot_images_gallery()` requires you to batch your `np.array` samples together."
        )
    pixels = pixels[: min(rows * cols, batch_size), ...]
    if data_format == "channels_first":
        pixels = np.transpose(pixels, (0, 2, 3, 1))

    fig, axes = plt.subplots(
        nrows=rows,
        ncols=cols,
        figsize=(cols * scale, rows * scale),
        frameon=False,
        layout="tight",
        squeeze=True,
        sharex="row",
        sharey="col",
    )
    fig.subplots_adjust(wspace=0, hspace=0)
    if isinstance(axes, np.ndarray) and axes.ndim == 1:
        axes = np.expand_dims(axes, 0 if rows == 1 else -1)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")

    pixels = _transform_value_range(pixels, value_range)
    true = to_numpy(y_true) if y_true is not None else None
    pred = to_numpy(y_pred) if y_pred is not None else None
    for row in range(rows):
        for col in range(cols):
            index = row * cols + col
            axis = axes[row, col] if isinstance(axes, np.ndarray) else axes
            axis.imshow(pixels[index].astype("uint8"))
            axis.margins(x=0, y=0)
            axis.axis("off")
            title = []
            if true is not None and index < len(true):
                title.append(f"Label: {label_map.get(true[index], 'Unknown')}")  # type: ignore[union-attr]
            if pred is not None and index < len(pred):
                title.append(f"Pred: {label_map.get(pred[index], 'Unknown')}")  # type: ignore[union-attr]
            if title:
                axis.set_title("  ".join(title), fontsize=8)

    if path is not None:
        plt.savefig(fname=path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        plt.close()
    elif show:
        plt.show()
        plt.close()
