"""Box formats and geometry of ``keras.utils.bounding_boxes``: ``convert_format``,
``clip_to_image_size``, ``affine_transform``, ``crop``, ``pad``, ``encode_box_to_deltas`` and
``decode_deltas_to_boxes``, on torch tensors.

Every conversion goes through ``xyxy`` (left, top, right, bottom in pixels). The ``rel_``
formats are fractions of the image and need ``height`` and ``width``; ``center_*`` formats hold
the box centre and size. Boxes are ``(..., 4)``; a dict ``{"boxes": ..., "labels": ...}`` is
accepted where Keras accepts one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from torchbridge.backend import epsilon
from torchbridge.backend.dtypes import standardize_dtype

__all__ = [
    "SUPPORTED_FORMATS",
    "as_boxes",
    "affine_transform",
    "clip_to_image_size",
    "convert_format",
    "crop",
    "decode_deltas_to_boxes",
    "encode_box_to_deltas",
    "pad",
]

SUPPORTED_FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)


def _tensor(x: Any, dtype: torch.dtype | None = None) -> torch.Tensor:
    if isinstance(x, np.ndarray) and not x.flags.writeable:
        x = x.copy()  # a read-only array (e.g. from another framework) cannot be shared
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if dtype is not None:
        t = t.to(dtype)
    elif not t.is_floating_point():
        t = t.float()
    return t


def as_boxes(x: Any) -> torch.Tensor:
    """``x`` as a float tensor (a read-only NumPy array is copied)."""
    return _tensor(x)


def _parts(boxes: torch.Tensor) -> list[torch.Tensor]:
    return list(torch.split(boxes, 1, dim=-1))


def _to_xyxy(boxes: torch.Tensor, fmt: str, height: Any, width: Any) -> torch.Tensor:
    a, b, c, d = _parts(boxes)
    if fmt == "xyxy":
        return boxes
    if fmt == "yxyx":
        x1, y1, x2, y2 = b, a, d, c
    elif fmt == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif fmt == "center_xywh":
        x1, y1, x2, y2 = a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0
    elif fmt == "center_yxhw":
        x1, y1, x2, y2 = b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0
    elif fmt == "rel_xyxy":
        x1, y1, x2, y2 = a * width, b * height, c * width, d * height
    elif fmt == "rel_yxyx":
        x1, y1, x2, y2 = b * width, a * height, d * width, c * height
    elif fmt == "rel_xywh":
        x1, y1, x2, y2 = a * width, b * height, (a + c) * width, (b + d) * height
    else:  # rel_center_xywh
        x1, y1 = (a - c / 2.0) * width, (b - d / 2.0) * height
        x2, y2 = (a + c / 2.0) * width, (b + d / 2.0) * height
    return torch.cat([x1, y1, x2, y2], dim=-1)


def _from_xyxy(boxes: torch.Tensor, fmt: str, height: Any, width: Any) -> torch.Tensor:
    x1, y1, x2, y2 = _parts(boxes)
    w, h = x2 - x1, y2 - y1
    cx, cy = x1 + w / 2.0, y1 + h / 2.0
    if fmt == "xyxy":
        return boxes
    out = {
        "yxyx": lambda: [y1, x1, y2, x2],
        "xywh": lambda: [x1, y1, w, h],
        "center_xywh": lambda: [cx, cy, w, h],
        "center_yxhw": lambda: [cy, cx, h, w],
        "rel_xyxy": lambda: [x1 / width, y1 / height, x2 / width, y2 / height],
        "rel_yxyx": lambda: [y1 / height, x1 / width, y2 / height, x2 / width],
        "rel_xywh": lambda: [x1 / width, y1 / height, w / width, h / height],
        "rel_center_xywh": lambda: [cx / width, cy / height, w / width, h / height],
    }[fmt]()
    return torch.cat(out, dim=-1)


def convert_format(
    boxes: Any,
    source: str,
    target: str,
    height: Any = None,
    width: Any = None,
    dtype: str = "float32",
) -> Any:
    """``boxes`` (``(..., 4)``, or a dict with ``"boxes"``) from format ``source`` to ``target``."""
    if isinstance(boxes, dict):
        boxes["boxes"] = convert_format(boxes["boxes"], source, target, height, width, dtype)
        return boxes
    torch_dtype = getattr(torch, standardize_dtype(dtype))
    boxes = _tensor(boxes, torch_dtype)
    if boxes.shape[-1] != 4:
        raise ValueError(
            "`boxes` must be a tensor with the last dimension of 4. "
            f"Received: boxes.shape={tuple(boxes.shape)}"
        )
    source, target = source.lower(), target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(
            f"Invalid source or target format (source={source!r}, target={target!r}). "
            f"Supported formats: {SUPPORTED_FORMATS}"
        )
    if (source.startswith("rel_") or target.startswith("rel_")) and (
        width is None or height is None
    ):
        raise ValueError(
            "convert_format() must receive `height` and `width` when transforming between "
            f"relative and absolute formats. Received source=`{source}`, target=`{target}`, "
            f"height={height} and width={width}."
        )
    if source == target:
        return boxes
    if width is not None:
        width = _tensor(width, torch_dtype)
    if height is not None:
        height = _tensor(height, torch_dtype)
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[4:], target[4:]
    return _from_xyxy(_to_xyxy(boxes, source, height, width), target, height, width)


def _area(boxes: torch.Tensor) -> torch.Tensor:
    x1, y1, x2, y2 = _parts(boxes)
    return (x2 - x1) * (y2 - y1)


def clip_to_image_size(
    bounding_boxes: dict[str, Any],
    height: Any = None,
    width: Any = None,
    bounding_box_format: str = "xyxy",
) -> dict[str, Any]:
    """Clip ``bounding_boxes["boxes"]`` to the image; boxes left with no area get label -1."""
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(
            f"clip_to_image_size supports 'xyxy' and 'rel_xyxy' (as Keras); got "
            f"{bounding_box_format!r}. Convert with convert_format() first."
        )
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
    boxes = _tensor(bounding_boxes["boxes"])
    labels = bounding_boxes.get("labels")
    x1, y1, x2, y2 = _parts(boxes)
    if bounding_box_format == "xyxy":
        w = _tensor(width, boxes.dtype).to(boxes.device)
        h = _tensor(height, boxes.dtype).to(boxes.device)
    else:
        w = h = torch.tensor(1.0, dtype=boxes.dtype, device=boxes.device)
    zero = torch.zeros((), dtype=boxes.dtype, device=boxes.device)
    boxes = torch.cat(
        [
            torch.clamp(x1, zero, w),
            torch.clamp(y1, zero, h),
            torch.clamp(x2, zero, w),
            torch.clamp(y2, zero, h),
        ],
        dim=-1,
    )
    result = dict(bounding_boxes)
    result["boxes"] = boxes
    if labels is not None:
        labels = labels if torch.is_tensor(labels) else torch.as_tensor(np.array(labels))
        areas = _area(boxes).squeeze(-1)
        result["labels"] = torch.where(areas > 0, labels, torch.full_like(labels, -1))
    return result


def _inverse_affine_matrix(
    center_x: Any,
    center_y: Any,
    angle: torch.Tensor,
    translate_x: Any,
    translate_y: Any,
    scale: Any,
    shear_x: Any,
    shear_y: Any,
    height: Any,
    width: Any,
) -> torch.Tensor:
    dtype = angle.dtype

    def t(v: Any) -> torch.Tensor:
        return _tensor(v, dtype).to(angle.device)

    deg = math.pi / 180.0
    cx, cy = t(center_x) * (t(width) - 1), t(center_y) * (t(height) - 1)
    rot = -angle * deg
    tx, ty = -t(translate_x) * (t(width) - 1), -t(translate_y) * (t(height) - 1)
    sx, sy = -t(shear_x) * deg, -t(shear_y) * deg
    a = torch.cos(rot - sy) / torch.cos(sy)
    b = a * torch.tan(sx) + torch.sin(rot)
    c = -torch.sin(rot - sy) / torch.cos(sy)
    d = torch.cos(rot) - c * torch.tan(sx)
    s = t(scale)
    a0, a1, b0, b1 = d * s, -b * s, -c * s, a * s
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    n = angle.shape[0]
    zeros = torch.zeros(n, dtype=dtype, device=angle.device)
    ones = torch.ones(n, dtype=dtype, device=angle.device)
    rows = [a0, a1, a2, b0, b1, b2]
    rows = [r.expand(n) if r.dim() == 0 else r for r in rows]
    return torch.stack([*rows, zeros, zeros, ones], dim=-1).reshape(n, 3, 3)


def affine_transform(
    boxes: Any,
    angle: Any,
    translate_x: Any,
    translate_y: Any,
    scale: Any,
    shear_x: Any,
    shear_y: Any,
    height: Any,
    width: Any,
    center_x: Any = None,
    center_y: Any = None,
    bounding_box_format: str = "xyxy",
) -> torch.Tensor:
    """The axis-aligned boxes around ``boxes`` (``(B, N, 4)`` xyxy) after the affine transform
    that Keras's RandomRotation/RandomTranslation/RandomZoom/RandomShear apply to images."""
    if bounding_box_format != "xyxy":
        raise NotImplementedError(
            f"affine_transform supports bounding_box_format='xyxy' (as Keras); got "
            f"{bounding_box_format!r}. Convert with convert_format() first."
        )
    angle = _tensor(angle)
    matrix = _inverse_affine_matrix(
        0.5 if center_x is None else center_x,
        0.5 if center_y is None else center_y,
        angle,
        translate_x,
        translate_y,
        scale,
        shear_x,
        shear_y,
        height,
        width,
    )
    boxes = _tensor(boxes, matrix.dtype).to(matrix.device)
    batch, n_boxes = boxes.shape[0], boxes.shape[1]
    x1, y1, x2, y2 = boxes.unbind(-1)
    corners = torch.stack([x1, y1, x2, y1, x2, y2, x1, y2], dim=-1).reshape(batch, n_boxes, 4, 2)
    ones = torch.ones(batch, n_boxes, 4, 1, dtype=corners.dtype, device=corners.device)
    corners = torch.cat([corners, ones], dim=-1)
    moved = torch.einsum("bnxy,byz->bnxz", corners, matrix[:, :2, :].transpose(1, 2))
    return torch.cat([moved.amin(dim=2), moved.amax(dim=2)], dim=-1)


def crop(
    boxes: Any, top: Any, left: Any, height: Any, width: Any, bounding_box_format: str = "xyxy"
) -> torch.Tensor:
    """``xyxy`` boxes in the frame of the crop at (``top``, ``left``), clipped to its size."""
    if bounding_box_format != "xyxy":
        raise NotImplementedError(
            f"crop supports bounding_box_format='xyxy' (as Keras); got {bounding_box_format!r}."
        )
    x1, y1, x2, y2 = _parts(_tensor(boxes))
    w = _tensor(width, x1.dtype).to(x1.device)
    h = _tensor(height, x1.dtype).to(x1.device)
    zero = torch.zeros((), dtype=x1.dtype, device=x1.device)
    return torch.cat(
        [
            torch.clamp(x1 - left, zero, w),
            torch.clamp(y1 - top, zero, h),
            torch.clamp(x2 - left, zero, w),
            torch.clamp(y2 - top, zero, h),
        ],
        dim=-1,
    )


def pad(
    boxes: Any,
    top: Any,
    left: Any,
    height: Any = None,
    width: Any = None,
    bounding_box_format: str = "xyxy",
) -> torch.Tensor:
    """``xyxy`` boxes shifted by the padding added at the ``top`` and ``left``."""
    if bounding_box_format != "xyxy":
        raise NotImplementedError(
            f"pad supports bounding_box_format='xyxy' (as Keras); got {bounding_box_format!r}."
        )
    x1, y1, x2, y2 = _parts(_tensor(boxes))
    return torch.cat([x1 + left, y1 + top, x2 + left, y2 + top], dim=-1)


_ENCODINGS = ("center_xywh", "center_yxhw")


def _variance(variance: Any) -> torch.Tensor | None:
    if variance is None:
        return None
    v = _tensor(variance, torch.float32)
    if v.shape[-1] != 4:
        raise ValueError(f"`variance` must be length 4, got {variance}")
    return v


def _hw(image_shape: Any) -> tuple[Any, Any]:
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def encode_box_to_deltas(
    anchors: Any,
    boxes: Any,
    anchor_format: str,
    box_format: str,
    encoding_format: str = "center_yxhw",
    variance: Any = None,
    image_shape: Any = None,
) -> torch.Tensor:
    """Offsets of ``boxes`` from ``anchors``: centre shift over anchor size, log size ratio
    (divided by ``variance`` if given)."""
    var = _variance(variance)
    if encoding_format not in _ENCODINGS:
        raise ValueError(
            "`encoding_format` should be one of 'center_xywh' or 'center_yxhw', got "
            f"{encoding_format}"
        )
    height, width = _hw(image_shape)
    enc_anchors = convert_format(anchors, anchor_format, encoding_format, height, width)
    enc_boxes = convert_format(boxes, box_format, encoding_format, height, width)
    anchor_size = torch.clamp(enc_anchors[..., 2:], min=epsilon())
    box_size = torch.clamp(enc_boxes[..., 2:], min=epsilon())
    deltas = torch.cat(
        [
            (enc_boxes[..., :2] - enc_anchors[..., :2]) / anchor_size,
            torch.log(box_size / anchor_size),
        ],
        dim=-1,
    )
    return deltas / var.to(deltas.device) if var is not None else deltas


def decode_deltas_to_boxes(
    anchors: Any,
    boxes_delta: Any,
    anchor_format: str,
    box_format: str,
    encoded_format: str = "center_yxhw",
    variance: Any = None,
    image_shape: Any = None,
) -> Any:
    """The inverse of :func:`encode_box_to_deltas` (dicts of levels are decoded level by level)."""
    var = _variance(variance)
    if encoded_format not in _ENCODINGS:
        raise ValueError(
            "`encoded_format` should be 'center_xywh' or 'center_yxhw', but got "
            f"'{encoded_format}'."
        )
    height, width = _hw(image_shape)

    def decode(anchor: Any, delta: Any) -> torch.Tensor:
        enc_anchor = convert_format(anchor, anchor_format, encoded_format, height, width)
        delta = _tensor(delta, enc_anchor.dtype).to(enc_anchor.device)
        if var is not None:
            delta = delta * var.to(delta.device)
        box = torch.cat(
            [
                delta[..., :2] * enc_anchor[..., 2:] + enc_anchor[..., :2],
                torch.exp(delta[..., 2:]) * enc_anchor[..., 2:],
            ],
            dim=-1,
        )
        return convert_format(box, encoded_format, box_format, height, width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)
