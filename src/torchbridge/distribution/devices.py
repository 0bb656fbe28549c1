"""``keras.distribution.list_devices`` / ``get_device_count`` / ``initialize`` on torch.distributed.

In a ``torchrun`` job each process drives one device, so the job's devices are
one per rank: ``["cpu:0", "cpu:1", ...]`` (or ``"gpu:i"`` with CUDA), as Keras
lists a JAX job's global devices. Outside a job: the local GPUs, else ``["cpu:0"]``.
``initialize`` maps Keras's arguments (and its ``KERAS_DISTRIBUTION_*``
variables) onto torch's ``MASTER_ADDR`` / ``MASTER_PORT`` / ``WORLD_SIZE`` /
``RANK`` and creates the process group.
"""

from __future__ import annotations

import os

import torch

from torchbridge.errors import InputError
from torchbridge.training.distributed import init
from torchbridge.utils.process_rank import group_initialized, process_count

__all__ = ["list_devices", "get_device_count", "initialize", "default_device_type"]

_TYPES = ("cpu", "gpu", "tpu")


def default_device_type() -> str:
    return "gpu" if torch.cuda.is_available() else "cpu"


def _check_type(device_type: str | None) -> str:
    kind = (device_type or default_device_type()).lower()
    if kind not in _TYPES:
        raise InputError(f"device_type must be one of {_TYPES} (or None), got {device_type!r}.")
    if kind == "tpu":
        raise InputError("torchbridge runs on PyTorch, which has no TPU devices here; use 'gpu'.")
    return kind


def list_devices(device_type: str | None = None) -> list[str]:
    """The job's devices as ``"type:id"`` strings (one per process in a distributed job)."""
    kind = _check_type(device_type)
    if group_initialized() or process_count() > 1:
        return [f"{kind}:{i}" for i in range(process_count())]
    if kind == "gpu":
        return [f"gpu:{i}" for i in range(torch.cuda.device_count())]
    return ["cpu:0"]


def get_device_count(device_type: str | None = None) -> int:
    """How many devices :func:`list_devices` returns."""
    return len(list_devices(device_type))


def initialize(
    job_addresses: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> None:
    """Join (or create) the job's process group; ``torchrun`` sets everything already."""
    job_addresses = job_addresses or os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in os.environ:
        num_processes = int(os.environ["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in os.environ:
        process_id = int(os.environ["KERAS_DISTRIBUTION_PROCESS_ID"])
    if job_addresses:
        first = job_addresses.split(",")[0].strip()
        host, _, port = first.partition(":")
        os.environ["MASTER_ADDR"] = host
        os.environ.setdefault("MASTER_PORT", port or "29500")
        if port:
            os.environ["MASTER_PORT"] = port
    if num_processes is not None:
        os.environ["WORLD_SIZE"] = str(int(num_processes))
    if process_id is not None:
        if num_processes is not None and not 0 <= process_id < num_processes:
            raise InputError(
                f"process_id must be in [0, num_processes), got {process_id} with "
                f"num_processes={num_processes}."
            )
        os.environ["RANK"] = str(int(process_id))
        os.environ.setdefault("LOCAL_RANK", "0")
    init()
