"""Nested structures of tensors/arrays: the helpers of :mod:`torchbridge.tree`
(``keras.tree``), re-exported under their older home for existing callers.
"""

from __future__ import annotations

from torchbridge.tree import flatten, is_nested, map_structure, pack_sequence_as

__all__ = ["flatten", "is_nested", "map_structure", "pack_sequence_as"]
