"""Audio preprocessing layers: STFTSpectrogram and MelSpectrogram.

``STFTSpectrogram`` is Keras's convolution form of the STFT: two weights
(``real_kernel``, ``imag_kernel``, shape ``(frame_length, 1, fft_length // 2 + 1)``,
from ``initializers.STFT``) slide over each channel with stride ``frame_step``
and TensorFlow's ``"valid"``/``"same"`` padding. ``MelSpectrogram`` is a
stateless layer: centred ``ops.stft`` → magnitude ** ``mag_exp`` → HTK mel
filterbank → optional dB scale (clipped at ``top_db`` below the maximum of the
whole batch, as Keras does), output ``(batch, num_mel_bins, frames)``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.nn import functional as F

from torchbridge import backend, initializers
from torchbridge.errors import InputError
from torchbridge.layers._conv_utils import same_pads
from torchbridge.layers.layer import Layer
from torchbridge.ops.math import stft

__all__ = ["MelSpectrogram", "STFTSpectrogram", "linear_to_mel_weight_matrix"]

_STFT_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


class STFTSpectrogram(Layer):
    """Keras's ``STFTSpectrogram``: ``(batch, time, channels)`` → per-frame spectra.

    ``mode``: ``"log"`` / ``"magnitude"`` / ``"psd"`` / ``"real"`` / ``"imag"`` /
    ``"angle"`` / ``"stft"`` (real and imaginary parts concatenated). With
    ``expand_dims=False`` the channels' spectra are concatenated along the last
    axis (channels_last: ``(batch, frames, channels * freqs)``).
    """

    def __init__(
        self,
        mode: str = "log",
        frame_length: int = 256,
        frame_step: int | None = None,
        fft_length: int | None = None,
        window: Any = "hann",
        periodic: bool = False,
        scaling: str | None = "density",
        padding: str = "valid",
        expand_dims: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(
                f"{owner}: `frame_step` should be a positive integer not greater than "
                f"`frame_length`. Received frame_step={frame_step}, frame_length={frame_length}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                f"{owner}: `fft_length` should be not less than `frame_length`. "
                f"Received fft_length={fft_length}, frame_length={frame_length}"
            )
        if mode not in _STFT_MODES:
            raise ValueError(
                f"{owner}: `mode` must be one of {', '.join(_STFT_MODES)}. Received: mode={mode!r}"
            )
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                f"{owner}: `scaling` must be None, 'density' or 'spectrum'. "
                f"Received scaling={scaling!r}"
            )
        if padding not in ("valid", "same"):
            raise ValueError(
                f"{owner}: `padding` must be 'valid' or 'same'. Received: padding={padding!r}"
            )
        if isinstance(window, str):  # an unknown window name fails here, as in Keras
            initializers.STFT("real", window, scaling, periodic)
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** math.ceil(math.log2(frame_length))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        fmt = data_format or backend.image_data_format()
        if fmt not in ("channels_last", "channels_first"):
            raise ValueError(f"{owner}: unknown data_format {data_format!r}.")
        self.data_format = fmt

    def build(self, input_shape: Any) -> None:
        if len(tuple(input_shape)) != 3:
            raise InputError(
                f"Layer '{self.name}' (STFTSpectrogram) expects inputs of rank 3 "
                f"(batch, time, channels), received input_shape={tuple(input_shape)}."
            )
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side in ("real", "imag"):
            if self.mode != ("imag" if side == "real" else "real"):
                init = initializers.STFT(side, self.window, self.scaling, self.periodic)
                setattr(
                    self,
                    f"{side}_kernel",
                    self.add_weight(shape=shape, initializer=init, name=f"{side}_kernel"),
                )
        self.built = True

    def _conv(self, x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        """``x`` ``(batch, channels, time)`` → ``(batch, channels, freqs, frames)``."""
        batch, channels, steps = x.shape
        flat = x.reshape(batch * channels, 1, steps)
        if self.padding == "same":
            flat = F.pad(flat, same_pads(steps, self.frame_length, self._frame_step))
        weight = kernel.to(x.dtype).permute(2, 1, 0)  # (freqs, 1, frame_length)
        out = F.conv1d(flat, weight, stride=self._frame_step)
        return out.reshape(batch, channels, out.shape[1], out.shape[2])

    def _adjust(self, y: torch.Tensor) -> torch.Tensor:
        batch, channels, freqs, frames = y.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return y.permute(0, 3, 2, 1)
            return y.reshape(batch, channels * freqs, frames).transpose(1, 2)
        if self.expand_dims:
            return y.transpose(2, 3)
        return y.reshape(batch, channels * freqs, frames)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(inputs)
        if x.dtype not in (torch.float16, torch.float32, torch.float64):
            raise TypeError(
                "Invalid input type. Expected `float16`, `float32` or `float64`. "
                f"Received: input type={x.dtype}"
            )
        if x.ndim != 3:
            raise InputError(
                f"Layer '{self.name}' (STFTSpectrogram) expects inputs of rank 3, "
                f"received shape {tuple(x.shape)}."
            )
        if self.data_format == "channels_last":
            x = x.transpose(1, 2)
        real = self._conv(x, self.real_kernel) if self.mode != "imag" else None
        imag = self._conv(x, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            assert real is not None
            return self._adjust(real)
        assert imag is not None
        if self.mode == "imag":
            return self._adjust(imag)
        assert real is not None
        if self.mode == "angle":
            return self._adjust(torch.atan2(imag, real))
        if self.mode == "stft":
            return self._adjust(torch.cat([real, imag], dim=2))
        power = real.square() + imag.square()
        if self.mode == "psd":
            return self._adjust(power + F.pad(power[:, :, 1:-1, :], (0, 0, 1, 1)))
        eps = backend.epsilon()
        magnitude = self._adjust(torch.sqrt(power.clamp_min(eps)))
        if self.mode == "magnitude":
            return magnitude
        return torch.log(magnitude.clamp_min(eps))

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        last = self.data_format == "channels_last"
        channels = shape[-1] if last else shape[1]
        steps = shape[1] if last else shape[2]
        freqs = self._fft_length // 2 + 1
        if self.mode == "stft":
            freqs *= 2
        frames = None
        if steps is not None:
            if self.padding == "same":
                frames = -(-steps // self._frame_step)
            else:
                frames = (steps - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            if last:
                return (shape[0], frames, freqs, channels)
            return (shape[0], channels, frames, freqs)
        total = None if channels is None else freqs * channels
        return (shape[0], frames, total) if last else (shape[0], total, frames)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "mode": self.mode,
                "frame_length": self.frame_length,
                "frame_step": self.frame_step,
                "fft_length": self.fft_length,
                "window": self.window,
                "periodic": self.periodic,
                "scaling": self.scaling,
                "padding": self.padding,
                "data_format": self.data_format,
                "expand_dims": self.expand_dims,
            }
        )
        return config


def _hertz_to_mel(hz: torch.Tensor) -> torch.Tensor:
    return _MEL_HIGH_FREQUENCY_Q * torch.log(1.0 + hz / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(
    num_mel_bins: int = 20,
    num_spectrogram_bins: int = 129,
    sampling_rate: float = 8000,
    lower_edge_hertz: float = 125.0,
    upper_edge_hertz: float = 3800.0,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """The HTK-style triangular mel filterbank ``(num_spectrogram_bins, num_mel_bins)``
    (peak 1.0 per band, the DC bin zeroed), as Keras's MelSpectrogram builds it."""
    nyquist = float(sampling_rate) / 2.0
    linear = torch.linspace(0.0, nyquist, num_spectrogram_bins, dtype=dtype)[1:]
    bins_mel = _hertz_to_mel(linear).unsqueeze(1)
    lo = _hertz_to_mel(torch.tensor(float(lower_edge_hertz), dtype=dtype))
    hi = _hertz_to_mel(torch.tensor(float(upper_edge_hertz), dtype=dtype))
    edges = torch.linspace(0.0, 1.0, num_mel_bins + 2, dtype=dtype) * (hi - lo) + lo
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = torch.clamp_min(torch.minimum(lower_slopes, upper_slopes), 0.0)
    return F.pad(weights, (0, 0, 1, 0))


class MelSpectrogram(Layer):
    """Keras's ``MelSpectrogram``: audio ``(batch, samples)`` (or ``(samples,)``) →
    ``(batch, num_mel_bins, frames)``; frames = ``samples // sequence_stride + 1``."""

    def __init__(
        self,
        fft_length: int = 2048,
        sequence_stride: int = 512,
        sequence_length: int | None = None,
        window: str | None = "hann",
        sampling_rate: int = 16000,
        num_mel_bins: int = 128,
        min_freq: float = 20.0,
        max_freq: float | None = None,
        power_to_db: bool = True,
        top_db: float = 80.0,
        mag_exp: float = 2.0,
        min_power: float = 1e-10,
        ref_power: float = 1.0,
        **kwargs: Any,
    ) -> None:
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "MelSpectrogram: `fft_length` must be greater than or equal to "
                f"`sequence_length`. Received: sequence_length={self.sequence_length}, "
                f"fft_length={self.fft_length}."
            )
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)
        self.built = True

    def call(self, inputs: Any) -> torch.Tensor:
        x = torch.as_tensor(inputs)
        out_dtype = x.dtype if x.is_floating_point() else torch.float32
        if x.dtype != torch.float64:
            x = x.to(torch.float32)
        real, imag = stft(
            x,
            sequence_length=self.sequence_length,
            sequence_stride=self.sequence_stride,
            fft_length=self.fft_length,
            window=self.window,
            center=True,
        )
        spec = torch.sqrt(real.square() + imag.square()).pow(self.mag_exp)
        matrix = linear_to_mel_weight_matrix(
            self.num_mel_bins,
            spec.shape[-1],
            self.sampling_rate,
            self.min_freq,
            self.max_freq,
            dtype=spec.dtype,
        ).to(spec.device)
        out = torch.tensordot(spec, matrix, dims=1)
        if self.power_to_db:
            out = self._dbscale(out)
        return out.transpose(-1, -2).to(out_dtype)

    def _dbscale(self, x: torch.Tensor) -> torch.Tensor:
        log_spec = 10.0 * torch.log10(x.clamp_min(self.min_power))
        ref = max(abs(float(self.ref_power)), self.min_power)
        log_spec = log_spec - 10.0 * math.log10(ref)
        return torch.maximum(log_spec, log_spec.max() - self.top_db)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        steps = shape[-1]
        frames = (
            None if steps is None else (steps + self.sequence_stride + 1) // self.sequence_stride
        )
        if len(shape) == 1:
            return (self.num_mel_bins, frames)
        return (shape[0], self.num_mel_bins, frames)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "fft_length": self.fft_length,
                "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length,
                "window": self.window,
                "sampling_rate": self.sampling_rate,
                "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq,
                "max_freq": self.max_freq,
                "power_to_db": self.power_to_db,
                "top_db": self.top_db,
                "mag_exp": self.mag_exp,
                "min_power": self.min_power,
                "ref_power": self.ref_power,
            }
        )
        return config
