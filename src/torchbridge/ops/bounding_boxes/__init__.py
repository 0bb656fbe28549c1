"""``keras.utils.bounding_boxes``: box format conversion, IoU/CIoU, and the box geometry of
crops, pads and affine transforms, on torch tensors (:mod:`.converters`, :mod:`.iou`)."""

from torchbridge.ops.bounding_boxes.converters import (
    affine_transform,
    clip_to_image_size,
    convert_format,
    crop,
    decode_deltas_to_boxes,
    encode_box_to_deltas,
    pad,
)
from torchbridge.ops.bounding_boxes.iou import compute_ciou, compute_iou

__all__ = [
    "affine_transform",
    "clip_to_image_size",
    "compute_ciou",
    "compute_iou",
    "convert_format",
    "crop",
    "decode_deltas_to_boxes",
    "encode_box_to_deltas",
    "pad",
]
