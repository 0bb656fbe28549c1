"""``keras.distribution`` on torch.distributed: meshes, layouts, DataParallel, ModelParallel.

Run the script with ``torchrun``; ``fit`` / ``evaluate`` / ``predict`` then run
data-parallel (DDP) by default, or sharded with FSDP2 under a
:class:`ModelParallel` distribution. See docs/scale-out.md.
"""

from torchbridge.distribution.devices import get_device_count, initialize, list_devices
from torchbridge.distribution.layouts import DeviceMesh, LayoutMap, TensorLayout
from torchbridge.distribution.strategies import (
    DataParallel,
    Distribution,
    ModelParallel,
    distribute_tensor,
    distribution,
    set_distribution,
)

__all__ = [
    "DataParallel",
    "DeviceMesh",
    "Distribution",
    "LayoutMap",
    "ModelParallel",
    "TensorLayout",
    "distribute_tensor",
    "distribution",
    "get_device_count",
    "initialize",
    "list_devices",
    "set_distribution",
]
