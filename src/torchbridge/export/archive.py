"""``ExportArchive`` (``keras.export.ExportArchive``): several serving endpoints in one folder.

Keras writes a TF SavedModel; torchbridge writes a folder with one standalone file per
endpoint and a manifest::

    path/
      export_manifest.json     format, endpoints (file, inputs with shapes and dtypes,
                               outputs), "serving_default", variable collections
      serve.onnx               one file per endpoint: <name>.onnx (format="onnx", the
      call_training.onnx       default) or <name>.pt2 (format="torch", torch.export)
      variables/<name>.safetensors   one file per add_variable_collection()

As in Keras, ``track()`` registers the layers/models whose weights the endpoints use,
``add_endpoint(name, fn, input_signature)`` a function of the inputs, and the first
endpoint is also listed as ``"serving_default"``. Each endpoint is traced on its own
(dynamic batch and sequence axes as in ``model.export``), so endpoints with
different input signatures or training flags work side by side.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from torchbridge.export.adapter import Prepared, model_function, prepare
from torchbridge.export.errors import ExportError

__all__ = ["ExportArchive", "MANIFEST_FILE"]

MANIFEST_FILE = "export_manifest.json"
ARCHIVE_FORMATS = ("onnx", "torch")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class _Endpoint:
    fn: Callable[..., Any]
    input_signature: Any


class ExportArchive:
    """Endpoints (functions of tracked layers/models) written as ONNX or torch.export files.

    Args:
        format: ``"onnx"`` or ``"torch"``, the default for :meth:`write_out` (which
            can override it). Keras's ``"saved_model"`` needs TensorFlow and is refused.
    """

    def __init__(self, format: str | None = None) -> None:
        if format is not None and format not in ARCHIVE_FORMATS:
            raise ExportError(
                f"ExportArchive(format={format!r}) is not available: torchbridge writes "
                f"{list(ARCHIVE_FORMATS)} archives (a SavedModel needs TensorFlow)."
            )
        self.format = format
        self._tracked: list[nn.Module] = []
        self._endpoints: dict[str, _Endpoint] = {}
        self._collections: dict[str, list[Any]] = {}

    # --- Keras's API ---------------------------------------------------------------------
    def track(self, resource: Any) -> None:
        """Register a layer or model whose weights the endpoints use."""
        if not isinstance(resource, nn.Module):
            raise ExportError(
                f"Invalid resource type: ExportArchive.track() takes a layer or model "
                f"(a torch.nn.Module), got {type(resource).__name__}."
            )
        if not any(resource is t for t in self._tracked):
            self._tracked.append(resource)

    def add_endpoint(
        self, name: str, fn: Callable[..., Any], input_signature: Any = None, **kwargs: Any
    ) -> Callable[..., Any]:
        """Register ``fn`` as endpoint ``name``; returns ``fn``.

        ``input_signature``: one spec structure per positional argument of ``fn``
        (``keras.InputSpec``, ``KerasTensor``, tensor or shape tuple). It may be left
        out when ``fn`` is a tracked model, or a method of one, that knows its inputs.
        """
        if not isinstance(name, str) or not _NAME.match(name):
            raise ExportError(
                f"Endpoint name {name!r} is not a valid identifier: use letters, digits and "
                "underscores, starting with a letter (it becomes the endpoint's file name)."
            )
        if name in self._endpoints:
            raise ExportError(f"Endpoint name '{name}' is already taken.")
        if kwargs:
            raise ExportError(
                f"add_endpoint() got unsupported arguments {sorted(kwargs)} (the JAX/TF "
                "options of Keras's ExportArchive do not apply to torch)."
            )
        if not callable(fn):
            raise ExportError(f"add_endpoint('{name}', fn): fn must be callable, got {fn!r}.")
        owner = fn if isinstance(fn, nn.Module) else getattr(fn, "__self__", None)
        if input_signature is None and owner is None:
            raise ExportError(
                f"add_endpoint('{name}', ...) needs input_signature=[keras.InputSpec(shape=..., "
                "dtype=...)] (one per argument of fn): torchbridge cannot read the shapes of a "
                "plain function."
            )
        endpoint = _Endpoint(fn, input_signature)
        self._prepare(endpoint)  # fail here, not at write_out, if fn cannot run
        self._endpoints[name] = endpoint
        return fn

    def track_and_add_endpoint(
        self, name: str, resource: Any, input_signature: Any, **kwargs: Any
    ) -> Callable[..., Any]:
        """``track(resource)`` and ``add_endpoint(name, resource's call, input_signature)``."""
        self.track(resource)
        return self.add_endpoint(name, resource, input_signature, **kwargs)

    def add_variable_collection(self, name: str, variables: Iterable[Any]) -> None:
        """Register variables (``keras.Variable``s or tensors) saved as ``variables/<name>``."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise ExportError(f"Variable collection name {name!r} is not a valid identifier.")
        if isinstance(variables, (torch.Tensor, dict, str)) or not isinstance(variables, Iterable):
            raise ExportError(
                "add_variable_collection(name, variables) expects a list, tuple or set of "
                f"variables, got {type(variables).__name__}."
            )
        items = list(variables)
        for v in items:
            if not isinstance(_tensor(v), torch.Tensor):
                raise ExportError(
                    f"add_variable_collection('{name}'): {type(v).__name__} is not a variable "
                    "or tensor."
                )
        self._collections[name] = items

    def write_out(
        self,
        filepath: str | os.PathLike[str],
        options: Any = None,
        verbose: bool = True,
        format: str | None = None,
    ) -> None:
        """Write the folder described in the module docstring (``format``: ``"onnx"`` or
        ``"torch"``; default the archive's, else ``"onnx"``)."""
        if options is not None:
            raise ExportError(
                "write_out(options=...) takes tf.saved_model.SaveOptions, which only apply to "
                "a TensorFlow SavedModel; leave it out."
            )
        fmt = format or self.format or "onnx"
        if fmt not in ARCHIVE_FORMATS:
            raise ExportError(
                f"ExportArchive.write_out(format={fmt!r}): use one of {list(ARCHIVE_FORMATS)}."
            )
        if not self._endpoints:
            raise ExportError(
                "No endpoints have been set yet. Call add_endpoint(name, fn, input_signature) "
                "before write_out()."
            )
        path = os.fspath(filepath)
        os.makedirs(path, exist_ok=True)
        manifest: dict[str, Any] = {"format": fmt, "endpoints": {}}
        for name, endpoint in self._endpoints.items():
            prepared = self._prepare(endpoint)
            file_name = f"{name}.{'onnx' if fmt == 'onnx' else 'pt2'}"
            fixed = _write_endpoint(prepared, os.path.join(path, file_name), fmt)
            manifest["endpoints"][name] = {
                "file": file_name,
                "inputs": [
                    {
                        "name": n,
                        "shape": _shape_without(s.shape, n, fixed, prepared),
                        "dtype": s.dtype,
                    }
                    for n, s in zip(prepared.input_names, prepared.specs)
                ],
                "outputs": prepared.output_names,
            }
        manifest["serving_default"] = (
            "serving_default"
            if "serving_default" in self._endpoints
            else next(iter(self._endpoints))
        )
        if self._collections:
            from safetensors.torch import save_file

            os.makedirs(os.path.join(path, "variables"), exist_ok=True)
            manifest["variable_collections"] = {}
            for name, variables in self._collections.items():
                tensors = {
                    _variable_key(v, i): _tensor(v).detach().cpu().contiguous()
                    for i, v in enumerate(variables)
                }
                file_name = os.path.join("variables", f"{name}.safetensors")
                save_file(tensors, os.path.join(path, file_name))
                manifest["variable_collections"][name] = {"file": file_name, "keys": list(tensors)}
        with open(os.path.join(path, MANIFEST_FILE), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2)
        if verbose:
            names = ", ".join(self._endpoints)
            print(f"Saved {fmt} archive at '{path}' with endpoints: {names}.")

    # --- internals -------------------------------------------------------------------------
    def _prepare(self, endpoint: _Endpoint) -> Prepared:
        fn = endpoint.fn
        owner = fn if isinstance(fn, nn.Module) else getattr(fn, "__self__", None)
        call = model_function(fn) if isinstance(fn, nn.Module) else fn
        modules = list(self._tracked)
        if isinstance(owner, nn.Module) and not any(owner is m for m in modules):
            modules.append(owner)
        reference = owner if owner is not None else fn
        return prepare(reference, endpoint.input_signature, fn=call, modules=modules)


def _write_endpoint(prepared: Prepared, path: str, fmt: str) -> list[tuple[str, int]]:
    if fmt == "onnx":
        from torchbridge.export.onnx_export import export_prepared_onnx

        return export_prepared_onnx(prepared, path)
    from torchbridge.export.tracing import trace_program

    traced = trace_program(prepared.module, prepared.specs, prepared.samples, prepared.input_names)
    torch.export.save(traced.program, path)
    return traced.fixed


def _shape_without(
    shape: tuple[int | None, ...], name: str, fixed: list[tuple[str, int]], prepared: Prepared
) -> list[int | None]:
    """The served shape: ``None`` axes that the trace fixed show their traced size."""
    sample = dict(zip(prepared.input_names, prepared.samples))[name]
    return [
        int(sample.shape[a]) if d is None and (name, a) in fixed else d for a, d in enumerate(shape)
    ]


def _tensor(v: Any) -> Any:
    value = getattr(v, "value", v)
    return value if isinstance(value, torch.Tensor) else getattr(v, "data", value)


def _variable_key(v: Any, index: int) -> str:
    name = getattr(v, "path", None) or getattr(v, "name", None)
    return f"{index}:{name}" if name else str(index)
