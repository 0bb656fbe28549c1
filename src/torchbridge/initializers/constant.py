"""Initializers that draw nothing: ``Constant``, ``Zeros``, ``Ones``, ``Identity`` and
``STFT`` (the Fourier-basis kernel of Keras's STFT layer)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.initializers.base import Initializer, torch_dtype

__all__ = ["Constant", "Identity", "Ones", "STFT", "Zeros"]


class Constant(Initializer):
    """Every element ``value`` (a number, or an array broadcast to the shape)."""

    def __init__(self, value: Any = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        dt = torch_dtype(dtype)
        value = self.value
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu()
        return torch.as_tensor(np.asarray(value)).to(dt) * torch.ones(tuple(shape), dtype=dt)

    def get_config(self) -> dict[str, Any]:
        value = self.value
        if not isinstance(value, (int, float, bool, type(None))):
            from torchbridge.saving.serialization import serialize_keras_object  # above us

            value = serialize_keras_object(value)
        return {"value": value}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constant:
        value = config.get("value", 0.0)
        if isinstance(value, dict):
            from torchbridge.saving.serialization import deserialize_keras_object

            value = deserialize_keras_object(value)
        return cls(value)


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        return torch.zeros(tuple(shape), dtype=torch_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        return torch.ones(tuple(shape), dtype=torch_dtype(dtype))


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; rectangular allowed)."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. Received: "
                f"shape={tuple(shape)} of rank {len(shape)}; use it for a 2-D weight."
            )
        return self.gain * torch.eye(int(shape[0]), int(shape[1]), dtype=torch_dtype(dtype))

    # Keras 3.15 writes no config for Identity (``gain`` is not saved): the same here.


#: Windows torch computes itself; other names need SciPy (as in Keras).
_TORCH_WINDOWS = {
    "hann": torch.hann_window,
    "hanning": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
    "bartlett": torch.bartlett_window,
}


def _window(window: Any, length: int, periodic: bool) -> torch.Tensor:
    """The window samples: a torch-known name, any other SciPy window name, or an array."""
    if isinstance(window, str):
        if window in _TORCH_WINDOWS:
            return _TORCH_WINDOWS[window](length, periodic=periodic, dtype=torch.float64)
        if window in ("boxcar", "rect", "rectangular", "ones"):
            return torch.ones(length, dtype=torch.float64)
        try:
            from scipy import signal
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError(
                f"STFT window {window!r} needs SciPy (pip install scipy); the windows "
                f"{sorted(_TORCH_WINDOWS)} and 'boxcar' work without it, or pass the "
                "window as an array."
            ) from e
        return torch.as_tensor(signal.get_window(window, length, periodic), dtype=torch.float64)
    return torch.as_tensor(np.asarray(window), dtype=torch.float64)


class STFT(Initializer):
    """The real or imaginary part of the windowed DFT basis for a kernel shape
    ``(frame_length, input_channels, fft_length)`` (``fft_length`` counts the one-sided
    frequencies); the result has shape ``(frame_length, 1, fft_length)``, as in Keras."""

    def __init__(
        self,
        side: str = "real",
        window: Any = "hann",
        scaling: str | None = "density",
        periodic: bool = False,
    ) -> None:
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side!r}.")
        if isinstance(window, str):
            _window(window, 1, periodic)  # an unknown name fails here, as in Keras
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                f"Received scaling={scaling!r}"
            )
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        dt = torch_dtype(dtype)
        frame_length, _, fft_length = (int(d) for d in shape)
        n = (fft_length - 1) * 2
        freq = torch.arange(fft_length, dtype=torch.float64).reshape(1, 1, fft_length) / n
        time = torch.arange(frame_length, dtype=torch.float64).reshape(frame_length, 1, 1)
        args = -2 * time * freq * math.pi
        kernel = torch.cos(args) if self.side == "real" else torch.sin(args)
        if self.window is not None:
            win = _window(self.window, frame_length, self.periodic)
            if win.dim() != 1 or win.shape[-1] != frame_length:
                raise ValueError(
                    "The shape of `window` must be equal to [frame_length]. Received: "
                    f"window shape={tuple(win.shape)}, frame_length={frame_length}."
                )
            win = win.reshape(frame_length, 1, 1)
            scaling: Any = 1.0
            if self.scaling == "density":
                scaling = torch.sqrt(torch.sum(win**2))
            elif self.scaling == "spectrum":
                scaling = torch.sum(torch.abs(win))
            kernel = kernel * win / scaling
        return kernel.to(dt)  # (frame_length, 1, fft_length) whatever the channels, as Keras

    def get_config(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }
