"""keras.visualization.plot_bounding_box_gallery: images with true and predicted boxes.

Ground-truth boxes are drawn in ``true_color`` and predictions in ``pred_color``
(with :func:`~.draw_bounding_boxes.draw_bounding_boxes`), then the batch is
plotted by :func:`~.plot_image_gallery.plot_image_gallery` (extra keyword
arguments go there), with an optional legend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from torchbridge.backend.config import image_data_format
from torchbridge.visualization._arrays import to_numpy
from torchbridge.visualization.draw_bounding_boxes import draw_bounding_boxes
from torchbridge.visualization.plot_image_gallery import plot_image_gallery, pyplot

__all__ = ["plot_bounding_box_gallery"]


def _unit_rgb(color: Any) -> Any:
    """A 0-255 RGB colour as matplotlib's 0-1 floats."""
    return np.array(color) / 255.0


def plot_bounding_box_gallery(
    images: Any,
    bounding_box_format: str,
    y_true: Any = None,
    y_pred: Any = None,
    value_range: Any = (0, 255),
    true_color: Any = (0, 188, 212),
    pred_color: Any = (255, 235, 59),
    line_thickness: int = 2,
    font_scale: float = 1.0,
    text_thickness: int | None = None,
    class_mapping: dict[int, str] | None = None,
    ground_truth_mapping: dict[int, str] | None = None,
    prediction_mapping: dict[int, str] | None = None,
    legend: bool = False,
    legend_handles: Any = None,
    rows: int | None = None,
    cols: int | None = None,
    data_format: str | None = None,
    **kwargs: Any,
) -> None:
    """Plot ``images`` with the ``y_true`` and ``y_pred`` boxes (dicts of ``boxes`` and
    ``labels`` in ``bounding_box_format``) drawn on them."""
    pyplot("plot_bounding_box_gallery")
    from matplotlib import patches

    prediction_mapping = prediction_mapping or class_mapping
    ground_truth_mapping = ground_truth_mapping or class_mapping
    data_format = data_format or image_data_format()
    pixels = to_numpy(images)
    if pixels.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={pixels.shape}"
        )
    if data_format == "channels_first":
        pixels = np.transpose(pixels, (0, 2, 3, 1))

    def draw(batch: Any, boxes: Any, color: Any, mapping: Any) -> Any:
        return draw_bounding_boxes(
            batch,
            boxes,
            bounding_box_format=bounding_box_format,
            class_mapping=mapping,
            color=color,
            line_thickness=line_thickness,
            text_thickness=text_thickness,  # type: ignore[arg-type]
            font_scale=font_scale,
        )

    if y_true is not None:
        pixels = draw(pixels, y_true, true_color, ground_truth_mapping)
    if y_pred is not None:
        pixels = draw(pixels, y_pred, pred_color, prediction_mapping)
    if legend:
        if legend_handles:
            raise ValueError(
                "Only pass `legend` OR `legend_handles` to "
                "`keras.visualization.plot_bounding_box_gallery()`."
            )
        legend_handles = [
            patches.Patch(color=_unit_rgb(true_color), label="Ground Truth"),
            patches.Patch(color=_unit_rgb(pred_color), label="Prediction"),
        ]
    plot_image_gallery(
        pixels,
        value_range=value_range,
        legend_handles=legend_handles,
        rows=rows,
        cols=cols,
        **kwargs,
    )
