"""``keras.distribution.DataParallel`` / ``ModelParallel`` and the global setting.

A distribution set with :func:`set_distribution` (or entered with
``dist.scope()``) tells ``fit`` how to run under ``torchrun``:

* :class:`DataParallel` — DDP over a 1-D mesh of all processes (the default
  even without a distribution); ``batch_size`` is the global batch, split
  across processes, as in Keras.
* :class:`ModelParallel` — FSDP2 (``fully_shard``): parameters, gradients and
  optimizer state sharded over the mesh's batch axis. A ``LayoutMap`` whose
  layouts shard weights over another mesh axis of size > 1 (tensor
  parallelism) is refused with a clear error: torchbridge does not map Keras's
  per-weight layouts to tensor-parallel plans.

:func:`distribute_tensor` places a tensor as a ``DTensor`` on the layout's mesh
inside a distributed job (unchanged in a single process).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from torchbridge.distribution.devices import list_devices
from torchbridge.distribution.layouts import DeviceMesh, LayoutMap, TensorLayout
from torchbridge.errors import InputError
from torchbridge.training.distributed import current_distribution, set_current_distribution
from torchbridge.utils.process_rank import process_count, process_rank

__all__ = [
    "Distribution",
    "DataParallel",
    "ModelParallel",
    "distribute_tensor",
    "distribution",
    "set_distribution",
]

DEFAULT_BATCH_DIM_NAME = "batch"


class Distribution:
    """Base class: a device mesh and the name of its batch (data-parallel) axis."""

    _torch_strategy = "ddp"

    def __init__(
        self,
        device_mesh: DeviceMesh,
        batch_dim_name: str | None = None,
        auto_shard_dataset: bool = True,
    ) -> None:
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        self._num_processes = process_count()
        self._process_id = process_rank()
        self._is_multi_process = self._num_processes > 1

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh

    @property
    def batch_dim_name(self) -> str | None:
        return self._batch_dim_name

    @property
    def num_processes(self) -> int:
        return self._num_processes

    @property
    def num_model_replicas(self) -> int:
        return self._num_processes

    @property
    def data_shard_id(self) -> int:
        return self._process_id

    @property
    def auto_shard_dataset(self) -> bool:
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value: bool) -> None:
        self._auto_shard_dataset = value

    def get_data_layout(self, data_shape: tuple[int, ...]) -> TensorLayout:
        axes: list[str | None] = [None] * len(data_shape)
        axes[0] = self._batch_dim_name
        return TensorLayout(axes, self._device_mesh)

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        return TensorLayout([None] * len(getattr(variable, "shape", ())), self._device_mesh)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        return None

    def distribute_dataset(self, dataset: Any) -> Any:
        """Datasets are sharded per process by ``fit`` itself: returned unchanged."""
        return dataset

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Make this the distribution ``fit`` uses inside the ``with`` block."""
        previous = current_distribution()
        set_current_distribution(self)
        try:
            yield
        finally:
            set_current_distribution(previous)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} device_mesh={self._device_mesh}>"


class DataParallel(Distribution):
    """Replicate the model on every process, split each global batch (DDP)."""

    def __init__(
        self,
        device_mesh: DeviceMesh | None = None,
        devices: Any = None,
        auto_shard_dataset: bool = True,
    ) -> None:
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(
                    "Expect `mesh` to be an instance of `DeviceMesh`. "
                    f"Received: mesh={device_mesh} (of type {type(device_mesh)})"
                )
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
            return
        found = np.array(devices if devices else list_devices())
        mesh = DeviceMesh(shape=found.shape, axis_names=[DEFAULT_BATCH_DIM_NAME], devices=found)
        super().__init__(mesh, DEFAULT_BATCH_DIM_NAME, auto_shard_dataset)

    @property
    def num_model_replicas(self) -> int:
        return int(self.device_mesh.devices.size)


class ModelParallel(Distribution):
    """Shard parameters over the mesh's batch axis with FSDP2 (``fully_shard``)."""

    _torch_strategy = "fsdp"

    def __init__(
        self,
        *,
        layout_map: LayoutMap | None = None,
        batch_dim_name: str | None = None,
        auto_shard_dataset: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("device_mesh", None)
        if layout_map is None:
            raise ValueError("You must specify a layout_map argument.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                f"Argument `layout_map` must be a `LayoutMap` instance. Received: {layout_map}"
            )
        mesh = layout_map.device_mesh
        batch_dim_name = batch_dim_name or mesh.axis_names[0]
        super().__init__(mesh, batch_dim_name, auto_shard_dataset)
        self._layout_map = layout_map
        self._refuse_tensor_parallel()

    def _refuse_tensor_parallel(self) -> None:
        mesh = self.device_mesh
        sizes = dict(zip(mesh.axis_names, mesh.shape, strict=True))
        for key in self._layout_map:
            layout = self._layout_map[key]
            for axis in layout.axes if layout is not None else ():
                if axis is not None and axis != self.batch_dim_name and sizes.get(axis, 1) > 1:
                    raise InputError(
                        f"LayoutMap entry {key!r} shards a weight over mesh axis {axis!r} "
                        f"(size {sizes[axis]}): tensor parallelism from Keras layouts is not "
                        "supported by torchbridge. ModelParallel runs FSDP2, which shards "
                        f"every weight over the batch axis {self.batch_dim_name!r}; use a mesh "
                        "whose other axes have size 1, or shard the torch module yourself "
                        "with torch.distributed.tensor.parallel.parallelize_module."
                    )

    @property
    def num_model_replicas(self) -> int:
        mesh = self.device_mesh
        return int(mesh.shape[mesh.axis_names.index(str(self.batch_dim_name))])

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        path = getattr(variable, "path", None)
        layout = self._layout_map[path] if isinstance(path, str) else None
        return layout if layout is not None else super().get_variable_layout(variable)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        return self._layout_map[path]


def distribute_tensor(tensor: Any, layout: TensorLayout) -> Any:
    """``tensor`` as a ``DTensor`` laid out by ``layout`` (unchanged in one process)."""
    from torchbridge.layers.symbolic import KerasTensor

    if isinstance(tensor, KerasTensor) or process_count() <= 1:
        return tensor
    import torch
    from torch.distributed.tensor import distribute_tensor as torch_distribute

    mesh = layout.device_mesh
    if mesh is None:
        raise InputError("distribute_tensor needs a TensorLayout with a device_mesh.")
    return torch_distribute(torch.as_tensor(tensor), mesh.backend_mesh, layout.backend_layout)


def distribution() -> Distribution | None:
    """The distribution set with :func:`set_distribution` (``None`` if none)."""
    return current_distribution()  # type: ignore[no-any-return]


def set_distribution(value: Distribution | None) -> None:
    """Make ``value`` the global distribution ``fit`` / ``evaluate`` / ``predict`` use."""
    if value is not None and not isinstance(value, Distribution):
        raise InputError(
            f"set_distribution expects a DataParallel or ModelParallel, got {type(value)}."
        )
    set_current_distribution(value)
