"""The array helper shared by keras.visualization: NumPy arrays, torch tensors and nested
lists in, NumPy out."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["to_numpy"]


def to_numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array (a torch tensor is detached and moved to the CPU)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()  # type: ignore[no-any-return]
    return np.asarray(x)
