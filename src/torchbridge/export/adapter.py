"""``FlatFunction``: a model (or any endpoint function) as a module of flat tensors in and out.

Exporters (torch.export, the ONNX and OpenVINO converters) want a module whose
``forward`` takes tensors positionally and returns a tensor or a tuple of tensors.
:class:`FlatFunction` packs the flat inputs back into the signature's structure, calls
the function, and flattens what it returns (dict outputs in ``keras.tree`` order, with
their keys as output names). The modules it serves are registered as submodules, so
their weights are the exported graph's parameters, not stray constants.

:func:`inference_mode` runs an export with every module in inference mode and gives
each module its own mode back afterwards; :func:`prepare` puts signature, wrapper and
a first eager call together for every exporter.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from torchbridge import tree
from torchbridge.export.errors import ExportError
from torchbridge.export.signature import (
    SAMPLE_OTHER,
    TensorSpec,
    flat_specs,
    input_names,
    pack_flat,
    resolve_signature,
    sample_inputs,
)

__all__ = [
    "FlatFunction",
    "Prepared",
    "inference_mode",
    "model_function",
    "output_names",
    "prepare",
]


class FlatFunction(nn.Module):
    """``forward(*flat_inputs) -> tensor | tuple[tensor, ...]`` around ``fn(*args)``."""

    def __init__(self, fn: Callable[..., Any], signature: list[Any], modules: Sequence[nn.Module]):
        super().__init__()
        self.tracked = nn.ModuleList([m for m in modules if isinstance(m, nn.Module)])
        self._fn = fn
        self._signature = signature

    def forward(self, *flat: torch.Tensor) -> Any:
        outputs = self._fn(*pack_flat(self._signature, flat))
        leaves = flatten_outputs(outputs)
        return leaves[0] if len(leaves) == 1 else tuple(leaves)


def flatten_outputs(outputs: Any) -> list[torch.Tensor]:
    leaves = list(tree.flatten(outputs))
    bad = [type(v).__name__ for v in leaves if not isinstance(v, torch.Tensor)]
    if bad:
        raise ExportError(
            f"The exported function returned non-tensor values ({', '.join(sorted(set(bad)))}); "
            "an exported graph can only return tensors. Return tensors (or a list/dict of them)."
        )
    return leaves


def model_function(model: Any) -> Callable[..., Any]:
    """How an exported model is called: one argument goes through ``call_inputs`` (a dict
    reaches a wrapped Hugging Face model as keyword arguments), several positionally."""
    call_inputs = getattr(model, "call_inputs", None)

    def call(*args: Any) -> Any:
        if len(args) == 1 and call_inputs is not None:
            return call_inputs(args[0])
        return model(*args)

    return call


def output_names(model: Any, outputs: Any) -> list[str]:
    """Names of the flat outputs: dict keys, else the model's ``output_names``, else
    ``output_<i>``."""
    count = len(list(tree.flatten(outputs)))
    if isinstance(outputs, dict) and all(isinstance(k, str) for k in outputs):
        names = sorted(outputs) if count == len(outputs) else []
    else:
        names = list(getattr(model, "output_names", None) or [])
    if len(names) != count or len(set(names)) != count:
        names = ["output_0"] if count == 1 else [f"output_{i}" for i in range(count)]
    return [str(n) for n in names]


_UNSET = object()


@contextlib.contextmanager
def inference_mode(modules: Sequence[Any]) -> Iterator[None]:
    """Every submodule in eval mode for the export; each gets its own mode back after.

    A torchbridge model remembers whether its user chose a mode (``_mode_chosen``:
    until then a direct call runs in inference, as in Keras); a call inside the
    export must not make that choice for the user, so the flag is restored too."""
    saved: list[tuple[nn.Module, bool, Any]] = []
    for root in modules:
        if isinstance(root, nn.Module):
            for m in root.modules():
                saved.append((m, m.training, m.__dict__.get("_mode_chosen", _UNSET)))
                m.training = False
    try:
        yield
    finally:
        for m, mode, chosen in saved:
            m.training = mode
            if chosen is _UNSET:
                m.__dict__.pop("_mode_chosen", None)
            else:
                m.__dict__["_mode_chosen"] = chosen


@dataclass
class Prepared:
    """A function ready to trace: the flat module, its specs, names and sample inputs."""

    module: FlatFunction
    signature: list[Any]
    specs: list[TensorSpec]
    input_names: list[str]
    output_names: list[str]
    samples: list[torch.Tensor]
    #: The size the free non-batch dimensions were traced at.
    sample_other: int = SAMPLE_OTHER


def prepare(
    model: Any,
    input_signature: Any = None,
    fn: Callable[..., Any] | None = None,
    modules: Sequence[Any] | None = None,
    static: bool = False,
) -> Prepared:
    """Resolve the signature, wrap ``fn`` (default: the model's call) and run it once eagerly.

    The eager call builds lazy layers and records the build shapes outside the trace
    (where reading a size would fix it), and names the outputs."""
    signature = resolve_signature(model, input_signature)
    specs = flat_specs(signature)
    names = input_names(specs)
    module = FlatFunction(
        fn or model_function(model), signature, list(modules) if modules else [model]
    )
    free = any(d is None for s in specs for d in s.shape[1:])
    # Free sequence/image dims are traced at 16; a model whose kernels and strides need
    # more (a strided text CNN) gets the next size up.
    sizes = [SAMPLE_OTHER, 64, 256, 1024] if free and not static else [SAMPLE_OTHER]
    for attempt, other in enumerate(sizes):
        samples = sample_inputs(specs, static=static, other=other)
        try:
            with inference_mode([module]), torch.no_grad():
                outputs = module._fn(*pack_flat(signature, samples))
            break
        except (ValueError, RuntimeError):
            if attempt == len(sizes) - 1:
                raise
    flatten_outputs(outputs)
    return Prepared(module, signature, specs, names, output_names(model, outputs), samples, other)
