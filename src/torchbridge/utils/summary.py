"""``print_summary``: Keras's model summary table for any ``nn.Module``.

Rows are the model's direct children (the "layers"), with their output shapes
when the model has seen a batch (one forward pass on a single example with
hooks), and parameter counts. Totals follow Keras: total / trainable /
non-trainable parameters with their size in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from torchbridge.utils.modes import evaluation_mode

__all__ = ["print_summary", "format_bytes"]


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.2f} GB"


def _shape_of(out: Any) -> str:
    if isinstance(out, torch.Tensor):
        return str((None, *tuple(out.shape[1:])))
    if isinstance(out, (list, tuple)):
        return ", ".join(_shape_of(o) for o in out)
    if isinstance(out, dict):
        return ", ".join(f"{k}: {_shape_of(v)}" for k, v in out.items())
    logits = getattr(out, "logits", None)
    return _shape_of(logits) if logits is not None else "?"


def _format_shapes(shapes: list[tuple[int | None, ...]]) -> str:
    return ", ".join(str(tuple(s)) for s in shapes)


def _weights(module: nn.Module) -> list[torch.Tensor]:
    """Parameters plus floating-point state buffers (BatchNorm's moving statistics),
    which Keras counts as non-trainable weights."""
    saved = module.state_dict(keep_vars=True).keys()  # not e.g. rotary caches
    buffers = [b for n, b in module.named_buffers() if b.is_floating_point() and n in saved]
    return list(module.parameters()) + buffers


def _root(model: nn.Module) -> nn.Module:
    """The module whose children are listed (a wrapped model's inner module)."""
    weights_module: Any = getattr(model, "weights_module", None)
    return weights_module() if weights_module is not None else model


def _named_layers(root: nn.Module, layers: list[nn.Module]) -> list[tuple[str, nn.Module]]:
    """Rows: a layer's Keras ``name``, else its attribute name in the model."""
    attr = {id(m): n for n, m in root.named_children()}
    return [(getattr(m, "name", None) or attr.get(id(m), str(i)), m) for i, m in enumerate(layers)]


def _output_shapes(model: nn.Module) -> dict[str, str]:
    known: Any = getattr(model, "summary_output_shapes", None)
    shapes_known = known() if known is not None else {}
    if shapes_known:  # a functional / Input-built Sequential model knows them from its graph
        return {name: _format_shapes(shapes) for name, shapes in shapes_known.items()}
    example = getattr(model, "_example_input", None)
    call: Any = getattr(model, "call_inputs", None)
    if example is None or call is None:
        return {}
    root = _root(model)
    shapes: dict[str, str] = {}
    handles = []
    layers = getattr(model, "layers", None)
    if isinstance(layers, list) and all(isinstance(m, nn.Module) for m in layers):
        named = _named_layers(_root(model), layers)
    else:
        named = list(root.named_children())
    for name, child in named:
        handles.append(
            child.register_forward_hook(
                lambda _m, _i, out, name=name: shapes.__setitem__(name, _shape_of(out))
            )
        )
    try:
        with evaluation_mode(model), torch.no_grad():
            shapes["__model__"] = _shape_of(call(example))
    except Exception:  # a summary must never fail because a probe pass did
        return {}
    finally:
        for h in handles:
            h.remove()
    return shapes


def print_summary(
    model: nn.Module, line_length: int | None = None, print_fn: Callable[[str], Any] | None = None
) -> None:
    emit = print_fn or print
    width = line_length or 80
    cols = (int(width * 0.45), int(width * 0.33))
    root = _root(model)
    shapes = _output_shapes(model)
    lines = [f'Model: "{getattr(model, "name", type(model).__name__)}"']
    rule = "━" * width
    lines.append(rule)
    header = (
        f"{'Layer (type)':<{cols[0]}}{'Output Shape':<{cols[1]}}{'Param #':>{width - sum(cols)}}"
    )
    lines += [header, rule]
    layers = getattr(model, "layers", None)
    if isinstance(layers, list) and all(isinstance(m, nn.Module) for m in layers):
        children = _named_layers(root, layers)
    else:
        children = list(root.named_children())
    for i, (name, child) in enumerate(children):
        params = sum(t.numel() for t in _weights(child))
        label = f"{name} ({type(child).__name__})"
        rest: list[str] = []
        if len(label) >= cols[0]:  # Keras wraps a long "name (Type)" onto the next line
            label, rest = name, [f"({type(child).__name__})"]
        lines.append(
            f"{label:<{cols[0]}}{shapes.get(name, '?'):<{cols[1]}}{params:>{width - sum(cols)},}"
        )
        lines += rest
        if i < len(children) - 1:
            lines.append("─" * width)
    lines.append(rule)
    weights = _weights(root)
    trainable_w = [t for t in weights if isinstance(t, nn.Parameter) and t.requires_grad]
    frozen_w = [t for t in weights if not (isinstance(t, nn.Parameter) and t.requires_grad)]
    trainable = sum(t.numel() for t in trainable_w)
    frozen = sum(t.numel() for t in frozen_w)
    t_bytes = sum(t.numel() * t.element_size() for t in trainable_w)
    f_bytes = sum(t.numel() * t.element_size() for t in frozen_w)
    lines.append(f" Total params: {trainable + frozen:,} ({format_bytes(t_bytes + f_bytes)})")
    lines.append(f" Trainable params: {trainable:,} ({format_bytes(t_bytes)})")
    lines.append(f" Non-trainable params: {frozen:,} ({format_bytes(f_bytes)})")
    for line in lines:
        emit(line)
