"""Keras's ``keras.mixed_precision``: dtype policies that ``compile`` turns into ``torch.autocast``.

``set_global_policy("mixed_bfloat16")`` (or ``"mixed_float16"``) before
``compile()`` makes ``fit`` / ``evaluate`` / ``predict`` run the forward pass
under ``torch.autocast`` in that dtype, while the weights, the optimizer, the
loss and the metrics stay float32 (the model's outputs are cast to float32
before the loss sees them). ``compile(mixed_precision=...)`` overrides the
global policy for one model.

* ``mixed_bfloat16`` runs on CPU, CUDA and MPS; no loss scaling is needed.
* ``mixed_float16`` on an accelerator: ``compile(auto_scale_loss=True)`` (the
  default) wraps the optimizer in a :class:`LossScaleOptimizer` (dynamic loss
  scaling with ``torch.amp.GradScaler``), as Keras does.
* ``mixed_float16`` on a CPU falls back to ``mixed_bfloat16`` with a warning:
  CPUs have no fast float16 kernels, and bfloat16 needs no loss scaling, so a
  Keras script written for a GPU still runs (and runs faster) there.
* Some virtual machines advertise Intel AMX but do not run it: oneDNN's
  bfloat16 matrix multiplies then kill the process (SIGILL). On a CPU listing
  AMX, the first bfloat16 ``compile()`` tries one in a subprocess (a few
  seconds, once); if it crashes, training stays float32 with a warning naming
  the fix (``ONEDNN_MAX_CPU_ISA=AVX512_CORE_FP16`` before Python starts).

Differences from Keras: the policy is read at ``compile()`` for the whole
model (Keras fixes it per layer at construction; per-layer ``dtype=`` policies
are not supported); pure low-precision policies (``"bfloat16"``, ``"float16"``)
are refused — cast the module yourself (``model.to(torch.bfloat16)``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from typing import Any

import torch

from torchbridge.errors import InputError
from torchbridge.optimizers.loss_scale_optimizer import LossScaleOptimizer

__all__ = [
    "DTypePolicy",
    "Policy",
    "set_global_policy",
    "global_policy",
    "set_dtype_policy",
    "dtype_policy",
    "LossScaleOptimizer",
    "resolve_policy",
    "autocast_dtype",
    "cpu_bfloat16_works",
]

_POLICIES: dict[str, tuple[str, str]] = {
    "float32": ("float32", "float32"),
    "mixed_float16": ("float16", "float32"),
    "mixed_bfloat16": ("bfloat16", "float32"),
}
# What compile(mixed_precision=...) also accepts (Accelerate's / the Trainer's words).
_ALIASES: dict[str, str] = {
    "no": "float32",
    "fp32": "float32",
    "fp16": "mixed_float16",
    "float16": "mixed_float16",
    "bf16": "mixed_bfloat16",
    "bfloat16": "mixed_bfloat16",
}
#: Device types where float16 autocast falls back to bfloat16 (no fast float16 there).
FP16_FALLBACK_DEVICES: set[str] = {"cpu"}
_ISA_VARIABLES = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")
_cpu_bfloat16_ok: bool | None = None  # the probe's answer, once per process
_PROBE = (
    "import torch; torch.set_num_threads(1); layer = torch.nn.Linear(64, 64)\n"
    "with torch.autocast('cpu', dtype=torch.bfloat16):\n"
    "    out = layer(torch.randn(128, 64))\n"
    "out.float().sum().backward()"
)


class DTypePolicy:
    """A dtype policy: ``compute_dtype`` for the forward pass, ``variable_dtype`` for weights."""

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = global_policy().name
        if not isinstance(name, str):
            raise TypeError(
                f"'name' must be a string, such as 'mixed_float16'. Received: name={name!r} "
                f"(of type {type(name).__name__})"
            )
        if name not in _POLICIES:
            if name in ("float16", "bfloat16", "float64", "half", "double"):
                fix = (
                    f" To train entirely in {name}, cast the module yourself "
                    f"(model.to(torch.{name})) and keep the policy 'float32'."
                )
            else:
                fix = ""
            raise InputError(
                f"torchbridge supports the dtype policies {sorted(_POLICIES)}, not {name!r}: "
                f"mixed policies run the forward pass under torch.autocast.{fix}"
            )
        self._name = name
        self._compute_dtype, self._variable_dtype = _POLICIES[name]

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype the forward pass computes in (``torch.autocast``'s dtype)."""
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the weights (always float32)."""
        return self._variable_dtype

    @property
    def quantization_mode(self) -> None:
        return None

    def get_config(self) -> dict[str, Any]:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DTypePolicy:
        return cls(**config)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self._name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'


#: Keras's legacy name for :class:`DTypePolicy`.
Policy = DTypePolicy

_global: DTypePolicy | None = None


def set_global_policy(policy: DTypePolicy | str) -> None:
    """Set the policy models use from their next ``compile()`` on (Keras's function)."""
    global _global
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    elif not isinstance(policy, DTypePolicy):
        raise ValueError(
            "Invalid `policy` argument. Expected the string name of a policy (such as "
            f"'mixed_float16') or a `DTypePolicy` instance. Received: policy={policy!r} "
            f"(of type {type(policy).__name__})"
        )
    _global = policy


def global_policy() -> DTypePolicy:
    """The current global policy (``"float32"`` unless set)."""
    global _global
    if _global is None:
        _global = DTypePolicy("float32")
    return _global


#: Keras 3's names for the same two functions.
set_dtype_policy = set_global_policy
dtype_policy = global_policy


def resolve_policy(value: Any = None) -> DTypePolicy:
    """What ``compile(mixed_precision=value)`` means: ``None`` → the global policy; a
    policy or its name; ``"bf16"`` / ``"fp16"`` / ``"no"`` (as in Accelerate)."""
    if value is None:
        return global_policy()
    if isinstance(value, DTypePolicy):
        return value
    if value is False:
        return DTypePolicy("float32")
    if isinstance(value, str):
        return DTypePolicy(_ALIASES.get(value.lower(), value))
    raise InputError(
        f"mixed_precision={value!r} is not understood: pass 'bf16', 'fp16', 'no', a policy "
        "name such as 'mixed_bfloat16', a DTypePolicy, or None for the global policy."
    )


def autocast_dtype(policy: DTypePolicy, device_type: str) -> torch.dtype | None:
    """The ``torch.autocast`` dtype for ``policy`` on ``device_type`` (``None``: no autocast).

    float16 on a device in :data:`FP16_FALLBACK_DEVICES` (the CPU) becomes bfloat16,
    with a warning; bfloat16 on a CPU whose bfloat16 matmuls crash becomes float32
    (``None``), with a warning.
    """
    if policy.compute_dtype == policy.variable_dtype:
        return None
    if policy.compute_dtype == "float16":
        if device_type not in FP16_FALLBACK_DEVICES:
            return torch.float16
        warnings.warn(
            f"The dtype policy is {policy.name!r}, but the model is on the {device_type}, "
            "which has no fast float16: training with mixed_bfloat16 instead (same memory "
            "savings, no loss scaling needed). Set the policy to 'mixed_bfloat16' to "
            "silence this warning.",
            UserWarning,
            stacklevel=3,
        )
    if device_type == "cpu" and not cpu_bfloat16_works():
        warnings.warn(
            "bfloat16 matrix multiplies crash on this CPU: it lists Intel AMX, which this "
            "machine (often a virtual machine) does not run. Training in float32 instead. To "
            "use bfloat16, start Python with the environment variable "
            "ONEDNN_MAX_CPU_ISA=AVX512_CORE_FP16 (oneDNN then leaves AMX alone).",
            UserWarning,
            stacklevel=3,
        )
        return None
    return torch.bfloat16


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_bfloat16_works() -> bool:
    """Whether bfloat16 matmuls run on this CPU (probed once, only where AMX is listed
    and oneDNN's ISA is not capped already)."""
    global _cpu_bfloat16_ok
    if _cpu_bfloat16_ok is None:
        if any(os.environ.get(v) for v in _ISA_VARIABLES) or "amx_bf16" not in _cpu_flags():
            _cpu_bfloat16_ok = True
        else:
            try:
                done = subprocess.run(
                    [sys.executable, "-c", _PROBE], capture_output=True, timeout=300
                )
                _cpu_bfloat16_ok = done.returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                _cpu_bfloat16_ok = True  # could not probe: trust the CPU
    return _cpu_bfloat16_ok
