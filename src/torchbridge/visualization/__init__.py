"""keras.visualization: draw boxes and masks on images, plot image galleries.

``draw_bounding_boxes`` (OpenCV) and ``draw_segmentation_masks`` are array
functions; the ``plot_*_gallery`` functions lay images out with matplotlib.
Both packages are optional and imported on first use (the ``plot`` extra).
"""

from torchbridge.visualization.draw_bounding_boxes import draw_bounding_boxes
from torchbridge.visualization.draw_segmentation_masks import draw_segmentation_masks
from torchbridge.visualization.plot_bounding_box_gallery import plot_bounding_box_gallery
from torchbridge.visualization.plot_image_gallery import plot_image_gallery
from torchbridge.visualization.plot_segmentation_mask_gallery import (
    plot_segmentation_mask_gallery,
)

__all__ = [
    "draw_bounding_boxes",
    "draw_segmentation_masks",
    "plot_bounding_box_gallery",
    "plot_image_gallery",
    "plot_segmentation_mask_gallery",
]
