"""Keras's math ops on torch (the ``keras.ops`` names from keras/src/ops/math.py):
top-k, logsumexp, the error functions, segment reductions, distances, framing,
FFTs, short-time Fourier transforms and complex views.

Dtypes follow Keras: float ops keep float inputs' dtype and compute int and
bool inputs in ``floatx()`` (Keras's TensorFlow backend refuses those);
``top_k`` indices are int32; the FFT family takes and returns
``(real, imag)`` pairs of float32/float64 tensors.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import torch

from torchbridge.backend import config
from torchbridge.backend.dtypes import result_type, standardize_dtype, to_torch_dtype
from torchbridge.ops._convert import to_tensor

__all__ = [
    "cdist",
    "erf",
    "erfc",
    "erfinv",
    "extract_sequences",
    "fft",
    "fft2",
    "ifft2",
    "in_top_k",
    "irfft",
    "istft",
    "logdet",
    "logsumexp",
    "rfft",
    "rsqrt",
    "segment_max",
    "segment_min",
    "segment_prod",
    "segment_sum",
    "stft",
    "top_k",
    "view_as_complex",
    "view_as_real",
]

_Tensor = torch.Tensor

# ``top_k``'s result: a named pair, so ``result.values``/``result.indices`` work
# as with TensorFlow's TopKV2 and torch's topk.
_TopK = namedtuple("_TopK", ["values", "indices"])


def _tensor(x: Any) -> torch.Tensor:
    return x if type(x) is _Tensor else to_tensor(x)


def _float(x: Any) -> torch.Tensor:
    """``x`` as a tensor; dtypes other than float/complex become ``floatx()``."""
    if type(x) is not _Tensor:
        x = to_tensor(x)
    if x.is_floating_point() or x.is_complex():
        return x
    return x.to(to_torch_dtype(config._floatx))


# --- elementwise ---------------------------------------------------------------
def erf(x: Any) -> torch.Tensor:
    """The Gauss error function, elementwise."""
    return torch.erf(_float(x))


def erfc(x: Any) -> torch.Tensor:
    """The complementary error function ``1 - erf(x)``, elementwise."""
    return torch.erfc(_float(x))


def erfinv(x: Any) -> torch.Tensor:
    """The inverse error function, elementwise."""
    x = _float(x)
    if x.dtype == torch.float16 and x.device.type == "cpu":  # no CPU half kernel
        return torch.erfinv(x.float()).to(torch.float16)
    return torch.erfinv(x)


def rsqrt(x: Any) -> torch.Tensor:
    """``1 / sqrt(x)``, elementwise."""
    return torch.rsqrt(_float(x))


# --- reductions ------------------------------------------------------------------
def _axes(op: str, axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or a sequence) as a tuple of distinct valid dims."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f"`{op}`: axis {a} is out of bounds for an input of rank {ndim}; "
                f"pass axes in [{-ndim}, {ndim})."
            )
    if len({a % ndim for a in axes}) != len(axes):
        raise ValueError(f"`{op}`: axis {axis} repeats a dimension; pass each axis once.")
    return axes


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    """``log(sum(exp(x)))`` over ``axis`` (all axes when None), computed stably."""
    x = _float(x)
    axes = _axes("logsumexp", axis, x.ndim)
    if not axes:  # nothing to reduce (a scalar, or axis=())
        return x.clone()
    return torch.logsumexp(x, axes, keepdims)


def top_k(x: Any, k: int, sorted: bool = True) -> Any:
    """The ``k`` largest entries along the last axis and their int32 indices."""
    x = _tensor(x)
    if x.ndim == 0:
        raise ValueError("`top_k` needs an input of rank >= 1; received a scalar.")
    if k > x.shape[-1]:
        raise ValueError(
            f"`top_k`: k={k} is larger than the last axis of the input "
            f"(shape {tuple(x.shape)}); pass k <= {x.shape[-1]}."
        )
    if x.dtype == torch.bool:
        raise TypeError("`top_k` does not take bool inputs; cast them to an int or float dtype.")
    values, indices = torch.topk(x, k, sorted=sorted)
    return _TopK(values, indices.to(torch.int32))


def in_top_k(targets: Any, predictions: Any, k: int) -> torch.Tensor:
    """Whether each target class is among the ``k`` highest predictions of its row.

    As in Keras (TensorFlow's ``in_top_k``): ties at the boundary count as in
    the top ``k``; a row with a non-finite prediction, or a target outside
    ``[0, num_classes)``, gives False.
    """
    predictions = _tensor(predictions)
    targets = _tensor(targets).to(device=predictions.device, dtype=torch.int64)
    if predictions.ndim != 2 or targets.ndim != 1 or targets.shape[0] != predictions.shape[0]:
        raise ValueError(
            "`in_top_k` takes `targets` of shape (batch,) and `predictions` of shape "
            f"(batch, num_classes); received targets.shape={tuple(targets.shape)}, "
            f"predictions.shape={tuple(predictions.shape)}."
        )
    num_classes = predictions.shape[1]
    valid = (targets >= 0) & (targets < num_classes)
    if predictions.dtype == torch.bool:
        predictions = predictions.to(torch.int8)
    target_values = predictions.gather(1, targets.clamp(0, max(num_classes - 1, 0))[:, None])
    higher = (predictions > target_values).sum(dim=1)
    if predictions.is_floating_point():
        valid &= torch.isfinite(predictions).all(dim=1)
    return valid & (higher < k)


# --- segment reductions -----------------------------------------------------------
def _segments(
    op: str, data: Any, segment_ids: Any, num_segments: Any
) -> tuple[torch.Tensor, torch.Tensor, int]:
    data = _tensor(data)
    ids = _tensor(segment_ids)
    if ids.ndim != 1:
        raise ValueError(
            f"`{op}`: `segment_ids` must be a 1-D vector; received shape {tuple(ids.shape)}. "
            "Flatten `segment_ids` (and the matching leading axes of `data`) first."
        )
    if data.ndim == 0 or data.shape[0] != ids.shape[0]:
        raise ValueError(
            f"`{op}`: `segment_ids` and `data` must have the same leading dimension; "
            f"received segment_ids.shape={tuple(ids.shape)}, data.shape={tuple(data.shape)}."
        )
    if data.dtype == torch.bool:
        raise TypeError(f"`{op}` does not take bool data; cast it to an int or float dtype.")
    if ids.is_floating_point() or ids.is_complex():
        raise TypeError(f"`{op}`: `segment_ids` must be integers; received {ids.dtype}.")
    if ids.dtype != torch.int64 or ids.device != data.device:
        ids = ids.to(device=data.device, dtype=torch.int64)
    if num_segments is None:
        num_segments = int(ids.max()) + 1 if ids.numel() else 0
    else:
        num_segments = int(num_segments)
    # Ids outside [0, num_segments) are dropped: they go to an extra row (index
    # num_segments, removed at the end); clamp + remainder maps -1 and n to n in 2 kernels.
    ids = ids.clamp(-1, num_segments).remainder_(num_segments + 1)
    return data, ids, num_segments


def _segment_reduce(
    op: str, reduce: str, data: Any, segment_ids: Any, num_segments: Any
) -> torch.Tensor:
    data, ids, n = _segments(op, data, segment_ids, num_segments)
    shape = (n + 1, *data.shape[1:])
    if reduce == "sum":
        return data.new_zeros(shape).index_add_(0, ids, data)[:n]
    if reduce == "prod":
        fill: float | int = 1
    elif data.is_floating_point():  # TensorFlow fills empty segments with the finite extremes
        info = torch.finfo(data.dtype)
        fill = info.min if reduce == "amax" else info.max
    else:
        iinfo = torch.iinfo(data.dtype)
        fill = iinfo.min if reduce == "amax" else iinfo.max
    index = ids if data.ndim == 1 else ids.view(-1, *([1] * (data.ndim - 1))).expand(data.shape)
    return data.new_full(shape, fill).scatter_reduce_(0, index, data, reduce)[:n]


def segment_sum(
    data: Any, segment_ids: Any, num_segments: Any = None, sorted: bool = False
) -> torch.Tensor:
    """Sums of the rows of ``data`` per segment id (empty segments give 0)."""
    return _segment_reduce("segment_sum", "sum", data, segment_ids, num_segments)


def segment_max(
    data: Any, segment_ids: Any, num_segments: Any = None, sorted: bool = False
) -> torch.Tensor:
    """Maxima per segment id (empty segments give the dtype's lowest finite value)."""
    return _segment_reduce("segment_max", "amax", data, segment_ids, num_segments)


def segment_min(
    data: Any, segment_ids: Any, num_segments: Any = None, sorted: bool = False
) -> torch.Tensor:
    """Minima per segment id (empty segments give the dtype's highest finite value)."""
    return _segment_reduce("segment_min", "amin", data, segment_ids, num_segments)


def segment_prod(
    data: Any, segment_ids: Any, num_segments: Any = None, sorted: bool = False
) -> torch.Tensor:
    """Products per segment id (empty segments give 1)."""
    return _segment_reduce("segment_prod", "prod", data, segment_ids, num_segments)


# --- distances, framing ---------------------------------------------------------------
def cdist(x: Any, y: Any) -> torch.Tensor:
    """Euclidean distances between the rows of ``x`` (..., P, M) and ``y`` (..., R, M)."""
    x, y = _tensor(x), _tensor(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(
            "`cdist` inputs must have rank >= 2; received "
            f"x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}."
        )
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            "The last dimension of the inputs to `cdist` must match; received "
            f"x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}."
        )
    batch = x.shape[:-2]
    if batch != y.shape[:-2]:
        try:
            batch = torch.broadcast_shapes(batch, y.shape[:-2])
        except RuntimeError:
            raise ValueError(
                "The batch dimensions of the inputs to `cdist` must broadcast; received "
                f"x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}."
            ) from None
    if x.dtype != y.dtype or not x.is_floating_point():
        dtype = to_torch_dtype(result_type(x.dtype, y.dtype, float))
        x, y = x.to(dtype), y.to(device=x.device, dtype=dtype)
    dtype = x.dtype
    if (dtype is torch.float32 or dtype is torch.float64) and x.shape[-1] > 0:
        if batch != x.shape[:-2] or batch != y.shape[:-2]:
            x = x.expand(*batch, *x.shape[-2:])
            y = y.expand(*batch, *y.shape[-2:])
        return torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist")
    diff = x.unsqueeze(-2) - y.unsqueeze(-3)
    return torch.sqrt(torch.sum(diff * diff, dim=-1))


def extract_sequences(x: Any, sequence_length: int, sequence_stride: int) -> torch.Tensor:
    """Frames of ``sequence_length`` along the last axis, ``sequence_stride`` apart."""
    x = _tensor(x)
    if x.ndim < 1:
        raise ValueError("`extract_sequences` needs an input of rank >= 1; received a scalar.")
    if sequence_length < 1 or sequence_stride < 1:
        raise ValueError(
            "`extract_sequences`: `sequence_length` and `sequence_stride` must be positive; "
            f"received sequence_length={sequence_length}, sequence_stride={sequence_stride}."
        )
    if x.shape[-1] < sequence_length:  # no complete frame
        return x.new_empty((*x.shape[:-1], 0, sequence_length))
    return x.unfold(-1, sequence_length, sequence_stride)


# --- FFTs -----------------------------------------------------------------------------
def _complex_pair(op: str, x: Any) -> torch.Tensor:
    """The complex tensor of a ``(real, imag)`` pair, as Keras's FFT ops take it."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"`{op}` takes a tuple of two tensors `(real, imag)`; received {type(x).__name__}"
            + (f" of length {len(x)}." if isinstance(x, (tuple, list)) else ".")
        )
    real, imag = _tensor(x[0]), _tensor(x[1])
    if real.shape != imag.shape:
        raise ValueError(
            f"`{op}`: the real and imaginary parts must have the same shape; received "
            f"x[0].shape={tuple(real.shape)}, x[1].shape={tuple(imag.shape)}."
        )
    if not (real.is_floating_point() and imag.is_floating_point()):
        raise ValueError(
            f"`{op}`: the real and imaginary parts must be float tensors; received "
            f"{standardize_dtype(real.dtype)} and {standardize_dtype(imag.dtype)}."
        )
    if real.dtype != imag.dtype or real.dtype not in (torch.float32, torch.float64):
        raise TypeError(
            f"`{op}`: the real and imaginary parts must both be float32 or both float64; "
            f"received {standardize_dtype(real.dtype)} and {standardize_dtype(imag.dtype)}."
        )
    return torch.complex(real, imag.to(real.device))


def fft(x: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """The FFT over the last axis of ``(real, imag)``, as a ``(real, imag)`` pair."""
    out = torch.fft.fft(_complex_pair("fft", x))
    return out.real, out.imag


def fft2(x: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """The 2-D FFT over the last two axes of ``(real, imag)``."""
    out = torch.fft.fft2(_complex_pair("fft2", x))
    return out.real, out.imag


def ifft2(x: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """The inverse 2-D FFT over the last two axes of ``(real, imag)``."""
    out = torch.fft.ifft2(_complex_pair("ifft2", x))
    return out.real, out.imag


def _rfft_input(x: Any) -> torch.Tensor:
    x = _tensor(x)
    if x.dtype == torch.float64:
        return x
    return x.to(torch.float32)  # as TensorFlow: ints, bool and half compute in float32


def rfft(x: Any, fft_length: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The FFT of a real signal over its last axis (the non-negative frequencies)."""
    out = torch.fft.rfft(_rfft_input(x), n=fft_length, dim=-1)
    return out.real, out.imag


def irfft(x: Any, fft_length: int | None = None) -> torch.Tensor:
    """The inverse of :func:`rfft`: a real signal of ``fft_length`` samples."""
    return torch.fft.irfft(_complex_pair("irfft", x), n=fft_length, dim=-1)


# --- short-time Fourier transforms ----------------------------------------------------------
def _window(
    op: str, window: Any, sequence_length: int, dtype: torch.dtype, device: torch.device
) -> torch.Tensor | None:
    if window is None:
        return None
    if isinstance(window, str):
        # Keras asks for periodic windows; TensorFlow makes odd-length ones symmetric.
        periodic = sequence_length % 2 == 0
        if window == "hann":
            return torch.hann_window(sequence_length, periodic, dtype=dtype, device=device)
        if window == "hamming":
            return torch.hamming_window(sequence_length, periodic, dtype=dtype, device=device)
        raise ValueError(
            f'`{op}`: a string `window` must be "hann" or "hamming"; received window={window!r}.'
        )
    win = to_tensor(window, dtype, device)
    if win.ndim != 1 or win.shape[0] != sequence_length:
        raise ValueError(
            f"`{op}`: `window` must have shape (sequence_length,) = ({sequence_length},); "
            f"received shape {tuple(win.shape)}."
        )
    return win.to(device)


def _check_lengths(op: str, sequence_length: int, sequence_stride: int, fft_length: int) -> None:
    if fft_length < sequence_length:
        raise ValueError(
            f"`{op}`: `fft_length` must be >= `sequence_length`; received "
            f"sequence_length={sequence_length}, fft_length={fft_length}."
        )
    if sequence_length < 1 or sequence_stride < 1:
        raise ValueError(
            f"`{op}`: `sequence_length` and `sequence_stride` must be positive; received "
            f"sequence_length={sequence_length}, sequence_stride={sequence_stride}."
        )


def stft(
    x: Any,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    window: Any = "hann",
    center: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The short-time Fourier transform over the last axis, as ``(real, imag)``
    of shape ``(..., num_frames, fft_length // 2 + 1)``."""
    x = _tensor(x)
    if x.dtype not in (torch.float32, torch.float64):
        raise TypeError(
            f"`stft` takes float32 or float64 input; received {standardize_dtype(x.dtype)}. "
            "Cast it first."
        )
    _check_lengths("stft", sequence_length, sequence_stride, fft_length)
    win = _window("stft", window, sequence_length, x.dtype, x.device)
    if center:
        pad = fft_length // 2
        flat = x.reshape(-1, 1, x.shape[-1])
        x = torch.nn.functional.pad(flat, (pad, pad), mode="reflect").reshape(
            *x.shape[:-1], x.shape[-1] + 2 * pad
        )
    frames = extract_sequences(x, fft_length, sequence_stride)
    if win is not None:  # centred in the frame; with no window, frames are fft_length long
        left = (fft_length - sequence_length) // 2
        frames = frames * torch.nn.functional.pad(win, (left, fft_length - sequence_length - left))
    out = torch.fft.rfft(frames, n=fft_length, dim=-1)
    return out.real, out.imag


def istft(
    x: Any,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    length: int | None = None,
    window: Any = "hann",
    center: bool = True,
) -> torch.Tensor:
    """The inverse of :func:`stft`: windowed overlap-add of the inverse FFTs of
    the frames ``(real, imag)`` of shape ``(..., num_frames, fft_length // 2 + 1)``."""
    spectrum = _complex_pair("istft", x)
    _check_lengths("istft", sequence_length, sequence_stride, fft_length)
    dtype, device = spectrum.real.dtype, spectrum.device
    frames = torch.fft.irfft(spectrum, n=fft_length, dim=-1)  # (..., num_frames, fft_length)
    win = _window("istft", window, sequence_length, dtype, device)
    if win is not None:
        left = (fft_length - sequence_length) // 2
        win = torch.nn.functional.pad(win, (left, fft_length - sequence_length - left))
        # Divide by the overlapping squared windows so that stft -> istft is the identity.
        overlaps = -(-fft_length // sequence_stride)
        squared = torch.nn.functional.pad(win * win, (0, overlaps * sequence_stride - fft_length))
        denom = squared.reshape(overlaps, sequence_stride).sum(0).repeat(overlaps)[:fft_length]
        frames = frames * torch.where(denom > 0, win / denom, 0.0)  # 0 where no window covers
    *batch, num_frames, _ = frames.shape
    out_len = fft_length + sequence_stride * (num_frames - 1)
    flat = frames.reshape(-1, num_frames, fft_length).transpose(1, 2)
    signal = torch.nn.functional.fold(
        flat, (1, out_len), kernel_size=(1, fft_length), stride=(1, sequence_stride)
    ).reshape(*batch, out_len)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = -(fft_length // 2)
    else:
        end = out_len
    return signal[..., start:end]


# --- determinants, complex views -----------------------------------------------------
def logdet(x: Any) -> torch.Tensor:
    """``log(det(x))`` of (batches of) Hermitian positive definite matrices."""
    x = _float(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            "`logdet` takes (batches of) square matrices, shape (..., M, M); "
            f"received shape {tuple(x.shape)}."
        )
    return torch.logdet(x)


def view_as_complex(x: Any) -> torch.Tensor:
    """A complex64 tensor from a real one whose last axis holds (real, imag)."""
    x = _tensor(x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(
            "`view_as_complex`: the last axis of the input must have size 2 (real, imag); "
            f"received shape {tuple(x.shape)}."
        )
    return torch.complex(x[..., 0].to(torch.float32), x[..., 1].to(torch.float32))


def view_as_real(x: Any) -> torch.Tensor:
    """A real tensor of shape ``x.shape + (2,)`` holding (real, imag) of ``x``."""
    x = _tensor(x)
    if x.is_complex():
        return torch.view_as_real(x)
    if x.dtype == torch.bool:
        raise TypeError("`view_as_real` takes a numeric tensor; received bool.")
    return torch.stack((x, torch.zeros_like(x)), dim=-1)
