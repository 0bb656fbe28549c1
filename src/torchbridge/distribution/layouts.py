"""``keras.distribution.DeviceMesh``, ``TensorLayout`` and ``LayoutMap``.

A :class:`DeviceMesh` names the axes of the job's devices (one per process);
``backend_mesh`` is the matching ``torch.distributed.device_mesh.DeviceMesh``
(built on first use, once the process group exists). A :class:`TensorLayout`
says which mesh axis shards each tensor dimension; ``backend_layout`` gives the
DTensor placements (``Shard(dim)`` / ``Replicate()`` per mesh axis). A
:class:`LayoutMap` maps weight paths (exact, else regular expressions matched
in full) to layouts, as Keras's does.
"""

from __future__ import annotations

import collections
import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from torchbridge.errors import InputError

__all__ = ["DeviceMesh", "TensorLayout", "LayoutMap"]


class DeviceMesh:
    """The job's devices arranged in a named grid (Keras's ``DeviceMesh``)."""

    def __init__(
        self, shape: Sequence[int], axis_names: Sequence[str], devices: Any = None
    ) -> None:
        if not shape or not axis_names:
            raise ValueError(
                f"Shape and axis_names cannot be empty. Received: shape={shape}, "
                f"axis_names={axis_names}"
            )
        if len(shape) != len(axis_names):
            raise ValueError(
                "Shape and axis_names should have same size. "
                f"Received: shape={shape}, axis_names={axis_names}"
            )
        if devices is None:
            from torchbridge.distribution.devices import list_devices

            devices = list_devices()
        devices = np.array(devices)
        if math.prod(shape) != devices.size:
            raise ValueError(
                "Shape does not match the number of devices. "
                f"Received: shape={shape}; devices.shape={devices.shape}"
            )
        self._shape = tuple(shape)
        self._axis_names = list(axis_names)
        self._devices = np.reshape(devices, shape)
        self._backend_mesh: Any = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def axis_names(self) -> list[str]:
        return self._axis_names

    @property
    def devices(self) -> np.ndarray:
        return self._devices

    @property
    def backend_mesh(self) -> Any:
        """The ``torch.distributed`` device mesh (needs the process group: torchrun)."""
        if self._backend_mesh is None:
            from torch.distributed.device_mesh import init_device_mesh

            from torchbridge.training.distributed import init

            init()
            kind = str(self._devices.flat[0]).split(":")[0]
            self._backend_mesh = init_device_mesh(
                "cuda" if kind == "gpu" else "cpu",
                self._shape,
                mesh_dim_names=tuple(self._axis_names),
            )
        return self._backend_mesh

    def __repr__(self) -> str:
        return f"<DeviceMesh shape={self._shape}, axis_names={self._axis_names}>"


class TensorLayout:
    """Which mesh axis (or ``None``: replicated) each tensor dimension is sharded on."""

    def __init__(self, axes: Sequence[str | None], device_mesh: DeviceMesh | None = None) -> None:
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def axes(self) -> tuple[str | None, ...]:
        return self._axes

    @property
    def device_mesh(self) -> DeviceMesh | None:
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh: DeviceMesh) -> None:
        if self._device_mesh is not None:
            raise ValueError(
                f"Cannot override device mesh value. Existing value is {self._device_mesh}"
            )
        self._device_mesh = device_mesh
        self._validate_axes()

    def _validate_axes(self) -> None:
        if self._device_mesh is None:
            return
        valid = set(self._device_mesh.axis_names)
        axes = {a for a in self._axes if a is not None}
        if not axes <= valid:
            raise ValueError(
                f"Invalid axis names for Layout. Valid axis names: {valid}, Got {axes}"
            )

    @property
    def backend_layout(self) -> list[Any]:
        """DTensor placements, one per mesh axis (``Shard(dim)`` or ``Replicate()``)."""
        from torch.distributed.tensor import Replicate, Shard

        if self._device_mesh is None:
            raise InputError(
                "This TensorLayout has no device_mesh: pass TensorLayout(axes, device_mesh) "
                "or add it to a LayoutMap built on a DeviceMesh."
            )
        placements: list[Any] = []
        for name in self._device_mesh.axis_names:
            dims = [d for d, a in enumerate(self._axes) if a == name]
            if len(dims) > 1:
                raise InputError(
                    f"TensorLayout {self._axes} shards two dimensions on mesh axis {name!r}; "
                    "torch.distributed shards one dimension per mesh axis."
                )
            placements.append(Shard(dims[0]) if dims else Replicate())
        return placements

    def __repr__(self) -> str:
        return f"<TensorLayout axes={self._axes}, device_mesh={self._device_mesh}>"


class LayoutMap(collections.abc.MutableMapping):  # type: ignore[type-arg]
    """Weight path (or regular expression) → :class:`TensorLayout`."""

    def __init__(self, device_mesh: DeviceMesh) -> None:
        self._layout_map: collections.OrderedDict[str, TensorLayout] = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key: str) -> TensorLayout | None:
        if key in self._layout_map:
            return self._layout_map[key]
        matches = [p for p in self._layout_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple layout specification keys: {matches}. Please "
                "make sure each tensor/variable path only matches at most one layout "
                "specification key in the LayoutMap."
            )
        return self._layout_map[matches[0]] if matches else None

    def __setitem__(self, key: str, layout: Any) -> None:
        if key in self._layout_map:
            raise ValueError(
                f"{key} already exist in the LayoutMap with value {self._layout_map[key]}. "
                "Please make sure to not use duplicated keys."
            )
        if isinstance(layout, tuple):
            layout = TensorLayout(axes=layout, device_mesh=None)
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"{layout} should be a TensorLayout type, got {type(layout)}")
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key: str) -> None:
        self._layout_map.pop(key)

    def __len__(self) -> int:
        return len(self._layout_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout_map)

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh
