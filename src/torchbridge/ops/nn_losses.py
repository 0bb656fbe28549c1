"""Loss-style ops of ``keras.ops.nn`` on torch: the three crossentropies (per element
or per sample, no reduction), ``psnr``, ``ctc_loss`` and ``ctc_decode``.

The maths is Keras's: probabilities (``from_logits=False``) are clipped to
``[epsilon, 1 - epsilon]`` (``backend.epsilon()``); categorical predictions are
renormalized to sum to 1 along ``axis``; the sparse crossentropy takes the log of the
clipped probabilities and applies a log-softmax to it, as Keras's TensorFlow backend
does. Shapes are checked with Keras's rules and errors name both shapes.
``ctc_decode``'s beam search is a CTC prefix beam search: exact (equal to Keras's) while
the beam holds every prefix; when ``beam_width`` prunes, TensorFlow keeps slightly
different beams near the cutoff, so lower-ranked paths and scores can differ.
The three ``*_values`` kernels below hold that maths once: these ops and the
``torchbridge.losses`` crossentropies (which add reductions, label smoothing and sample
weights on top) both call them.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.backend import config
from torchbridge.ops._convert import to_tensor, to_tensors, torch_dtype

__all__ = [
    "binary_crossentropy",
    "categorical_crossentropy",
    "ctc_decode",
    "ctc_loss",
    "psnr",
    "sparse_categorical_crossentropy",
]

_Tensor = torch.Tensor


def _float_pair(target: Any, output: Any) -> tuple[torch.Tensor, torch.Tensor]:
    target, output = to_tensors(target, output)
    if not output.is_floating_point():
        fx = torch_dtype(config._floatx)
        target, output = target.to(fx), output.to(fx)
    return target, output


def _same_shape(name: str, target: torch.Tensor, output: torch.Tensor) -> None:
    if target.dim() != output.dim():
        raise ValueError(
            f"{name}: arguments `target` and `output` must have the same rank (ndim). "
            f"Received: target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    if target.shape != output.shape:
        raise ValueError(
            f"{name}: arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )


def binary_crossentropy_values(
    target: torch.Tensor, output: torch.Tensor, from_logits: bool
) -> torch.Tensor:
    """Elementwise binary crossentropy of same-shape float tensors (Keras's maths:
    probabilities clipped to ``[epsilon, 1 - epsilon]``, logits through the fused kernel)."""
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    eps = config.epsilon()
    p = torch.clamp(output, eps, 1.0 - eps)
    return -(target * torch.log(p) + (1.0 - target) * torch.log(1.0 - p))


def categorical_crossentropy_values(
    target: torch.Tensor, output: torch.Tensor, from_logits: bool, axis: int
) -> torch.Tensor:
    """Crossentropy along ``axis`` of same-shape float tensors (Keras's maths: predictions
    renormalized to sum to 1 and clipped, or a log-softmax of logits)."""
    if from_logits:
        log_p = torch.log_softmax(output, dim=axis)
    else:
        eps = config.epsilon()
        p = output / torch.sum(output, dim=axis, keepdim=True)
        log_p = torch.log(torch.clamp(p, eps, 1.0 - eps))
    return -torch.sum(target * log_p, dim=axis)


def sparse_categorical_crossentropy_values(
    labels: torch.Tensor,
    output: torch.Tensor,
    from_logits: bool,
    class_axis: int,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Crossentropy of int64 ``labels`` (``output``'s shape without ``class_axis``) against
    class scores; labels equal to ``ignore_index`` give 0. Probabilities are clipped and
    their log taken as logits (which renormalizes them), as Keras's TensorFlow backend."""
    if not from_logits:
        eps = config.epsilon()
        output = torch.log(torch.clamp(output, eps, 1.0 - eps))
    if output.dim() <= 2 and class_axis == output.dim() - 1:
        return F.cross_entropy(output, labels, reduction="none", ignore_index=ignore_index)
    output = output.movedim(class_axis, -1)
    flat = F.cross_entropy(
        output.reshape(-1, output.shape[-1]),
        labels.reshape(-1),
        reduction="none",
        ignore_index=ignore_index,
    )
    return flat.reshape(labels.shape)


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> torch.Tensor:
    """Elementwise binary crossentropy between labels and probabilities (or logits)."""
    target, output = _float_pair(target, output)
    _same_shape("binary_crossentropy", target, output)
    return binary_crossentropy_values(target, output, from_logits)


def categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> torch.Tensor:
    """Crossentropy between label distributions and predictions along ``axis``."""
    target, output = _float_pair(target, output)
    if target.dim() < 1:
        raise ValueError(
            "categorical_crossentropy: arguments `target` and `output` must be at least rank 1. "
            f"Received: target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    _same_shape("categorical_crossentropy", target, output)
    return categorical_crossentropy_values(target, output, from_logits, axis)


def sparse_categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> torch.Tensor:
    """Crossentropy between integer class ids and class scores on the last axis."""
    if type(output) is not _Tensor:
        output = to_tensor(output)
    if not output.is_floating_point():
        output = output.to(torch_dtype(config._floatx))
    if axis != -1 and axis != output.dim() - 1:
        raise ValueError(
            "sparse_categorical_crossentropy: only axis=-1 (the last axis) is supported. "
            f"Received: axis={axis} for output.shape={tuple(output.shape)}"
        )
    target = to_tensor(target, device=output.device).to(device=output.device, dtype=torch.int64)
    if target.dim() == output.dim() and target.dim() > 0 and target.shape[-1] == 1:
        target = target.squeeze(-1)
    if output.dim() < 1:
        raise ValueError(
            "sparse_categorical_crossentropy: argument `output` must be at least rank 1. "
            f"Received: output.shape={tuple(output.shape)}"
        )
    if target.shape != output.shape[:-1]:
        raise ValueError(
            "sparse_categorical_crossentropy: `target` must have the shape of `output` "
            "without its last (class) axis. Received: "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    classes = output.shape[-1]
    if target.numel() and (int(target.min()) < 0 or int(target.max()) >= classes):
        raise ValueError(
            f"sparse_categorical_crossentropy: class ids must be in [0, {classes}) for "
            f"output.shape={tuple(output.shape)}; got ids from {int(target.min())} to "
            f"{int(target.max())}."
        )
    return sparse_categorical_crossentropy_values(target, output, from_logits, output.dim() - 1)


def psnr(x1: Any, x2: Any, max_val: Any) -> torch.Tensor:
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mse)`` over all elements.

    Integer inputs follow Keras's TensorFlow backend: an integer mean squared error
    (truncated), the result in floatx."""
    x1, x2 = to_tensors(x1, x2)
    if x1.shape != x2.shape:
        raise ValueError(
            f"psnr: input shapes {tuple(x1.shape)} and {tuple(x2.shape)} must match for "
            "PSNR calculation."
        )
    if x1.dtype == torch.bool:
        raise TypeError("psnr: bool inputs have no difference; cast them to a number first.")
    if x1.is_floating_point():
        mse = torch.mean(torch.square(x1 - x2))
        peak = torch.as_tensor(max_val, dtype=x1.dtype, device=x1.device)
    else:
        fx = torch_dtype(config._floatx)
        diff = (x1 - x2).to(torch.int64)
        total = torch.sum(diff * diff)
        mse = torch.div(total, max(x1.numel(), 1), rounding_mode="trunc").to(fx)
        peak = torch.as_tensor(int(max_val), device=x1.device).to(fx)
    return 20 * torch.log10(peak) - 10 * torch.log10(mse)


def ctc_loss(
    target: Any, output: Any, target_length: Any, output_length: Any, mask_index: int = 0
) -> torch.Tensor:
    """Per-sample CTC negative log-likelihood of the label sequences ``target`` (batch,
    max_label_length) under the logits ``output`` (batch, time, classes); ``mask_index``
    is the blank class."""
    if type(output) is not _Tensor:
        output = to_tensor(output)
    if not output.is_floating_point():
        output = output.to(torch_dtype(config._floatx))
    result = torch.float64 if output.dtype == torch.float64 else torch.float32
    device = output.device
    target = to_tensor(target, device=device).to(device=device, dtype=torch.int64)
    target_length = to_tensor(target_length, device=device).to(device=device, dtype=torch.int64)
    output_length = to_tensor(output_length, device=device).to(device=device, dtype=torch.int64)
    if output.dim() != 3 or target.dim() != 2 or target.shape[0] != output.shape[0]:
        raise ValueError(
            "ctc_loss: `target` must be (batch, max_label_length) and `output` (batch, time, "
            f"classes) with one batch size. Received: target.shape={tuple(target.shape)}, "
            f"output.shape={tuple(output.shape)}"
        )
    log_probs = torch.log_softmax(output.to(torch.float32), dim=-1).transpose(0, 1)
    loss = F.ctc_loss(
        log_probs,
        target,
        output_length,
        target_length,
        blank=mask_index % output.shape[-1],
        reduction="none",
        zero_infinity=False,
    )
    return loss.to(result)


def ctc_decode(
    inputs: Any,
    sequence_lengths: Any,
    strategy: str = "greedy",
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
    mask_index: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode CTC outputs ``inputs`` (batch, time, classes): ``(decoded, scores)`` with
    ``decoded`` (top_paths, batch, time) int32 class ids padded with -1.

    ``strategy="greedy"`` takes the best class per step, drops blanks (``mask_index``)
    and, with ``merge_repeated``, repeats; its score is minus the sum of the best inputs.
    ``strategy="beam_search"`` runs a CTC prefix beam search over the log-softmax of the
    inputs, keeping ``beam_width`` prefixes per step, and returns the ``top_paths`` best
    with their log-probabilities as scores (batch, top_paths)."""
    if type(inputs) is not _Tensor:
        inputs = to_tensor(inputs)
    if not inputs.is_floating_point() or inputs.dtype == torch.float16:
        inputs = inputs.to(torch.float32)
    if strategy == "beam_search":
        return _beam_search(inputs, sequence_lengths, beam_width, top_paths, mask_index)
    if strategy != "greedy":
        raise ValueError(
            f"ctc_decode: invalid strategy {strategy!r}. Supported values are 'greedy' and "
            "'beam_search'."
        )
    if inputs.dim() != 3:
        raise ValueError(
            "ctc_decode: `inputs` must be (batch, time, classes). Received: "
            f"inputs.shape={tuple(inputs.shape)}"
        )
    batch, steps, classes = inputs.shape
    lengths = to_tensor(sequence_lengths, device=inputs.device).to(inputs.device, torch.int64)
    best, best_index = inputs.max(dim=-1)
    in_sequence = torch.arange(steps, device=inputs.device) < lengths.unsqueeze(-1)
    scores = -torch.sum(torch.where(in_sequence, best, torch.zeros_like(best)), dim=-1)
    blank = mask_index % classes if mask_index is not None else -1
    keep = in_sequence & (best_index != blank)
    if merge_repeated:
        previous = torch.cat([torch.full_like(best_index[:, :1], -1), best_index[:, :-1]], dim=1)
        keep &= best_index != previous
    decoded = torch.full((batch, steps), -1, dtype=torch.int32, device=inputs.device)
    positions = torch.cumsum(keep.to(torch.int64), dim=1) - 1
    rows = torch.arange(batch, device=inputs.device).unsqueeze(-1).expand(batch, steps)
    decoded[rows[keep], positions[keep]] = best_index[keep].to(torch.int32)
    return decoded.unsqueeze(0), scores.unsqueeze(-1)


def _log_add(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    hi, lo = (a, b) if a > b else (b, a)
    return hi + math.log1p(math.exp(lo - hi))


def _beam_search(
    inputs: torch.Tensor, sequence_lengths: Any, beam_width: int, top_paths: int, mask_index: Any
) -> tuple[torch.Tensor, torch.Tensor]:
    """CTC prefix beam search, one sample at a time (decoding is not a training hot path)."""
    if inputs.dim() != 3:
        raise ValueError(
            "ctc_decode: `inputs` must be (batch, time, classes). Received: "
            f"inputs.shape={tuple(inputs.shape)}"
        )
    if top_paths > beam_width:
        raise ValueError(
            f"ctc_decode: top_paths ({top_paths}) must not exceed beam_width ({beam_width})."
        )
    batch, steps, classes = inputs.shape
    blank = classes - 1 if mask_index is None else mask_index % classes
    log_probs = torch.log_softmax(inputs.to(torch.float64), dim=-1).cpu().tolist()
    lengths = to_tensor(sequence_lengths).reshape(-1).tolist()
    decoded = torch.full((top_paths, batch, steps), -1, dtype=torch.int32)
    scores = torch.full((batch, top_paths), -math.inf, dtype=torch.float64)
    neg = -math.inf
    for b in range(batch):
        beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, neg)}
        for t in range(int(lengths[b])):
            row = log_probs[b][t]
            grown: dict[tuple[int, ...], list[float]] = {}
            for prefix, (p_blank, p_label) in beams.items():
                total = _log_add(p_blank, p_label)
                entry = grown.setdefault(prefix, [neg, neg])
                entry[0] = _log_add(entry[0], total + row[blank])
                last = prefix[-1] if prefix else None
                for c in range(classes):
                    if c == blank:
                        continue
                    extended = grown.setdefault((*prefix, c), [neg, neg])
                    if c == last:  # a repeat only extends after a blank; else it merges
                        extended[1] = _log_add(extended[1], p_blank + row[c])
                        entry[1] = _log_add(entry[1], p_label + row[c])
                    else:
                        extended[1] = _log_add(extended[1], total + row[c])
            ranked = sorted(grown.items(), key=lambda kv: -_log_add(kv[1][0], kv[1][1]))
            beams = {k: (v[0], v[1]) for k, v in ranked[:beam_width]}
        best = sorted(beams.items(), key=lambda kv: -_log_add(kv[1][0], kv[1][1]))[:top_paths]
        for i, (prefix, (p_blank, p_label)) in enumerate(best):
            if prefix:
                decoded[i, b, : len(prefix)] = torch.tensor(prefix, dtype=torch.int32)
            scores[b, i] = _log_add(p_blank, p_label)
    result = torch.float64 if inputs.dtype == torch.float64 else torch.float32
    return decoded.to(inputs.device), scores.to(device=inputs.device, dtype=result)
