"""KServe's Open Inference Protocol v2 (``/v2/...``) for the served model, as tritonclient speaks it.

Routes: ``GET /v2/health/live``, ``/v2/health/ready``, ``/v2`` (server
metadata), ``/v2/models/{name}`` (model metadata: inputs/outputs with v2
datatypes and ``-1`` for free dimensions), ``/v2/models/{name}/ready`` and
``POST /v2/models/{name}/infer`` (each model route also under
``/versions/{version}``).

An infer request holds typed tensors: ``{"id"?, "inputs": [{"name",
"datatype", "shape", "data"}], "outputs"?: [{"name"}]}`` with ``data``
flattened row-major (nested lists are accepted too) and ``BYTES`` for
strings. The answer echoes ``id`` and gives ``{"model_name",
"model_version", "outputs": [{"name", "datatype", "shape", "data"}]}``.

The binary tensor data extension (Triton's, the default of
``tritonclient.http``) is supported both ways: a body whose JSON header is
``Inference-Header-Content-Length`` bytes long is followed by the raw
tensors of the inputs that declare ``parameters.binary_data_size``; outputs
requested with ``parameters.binary_data: true`` (or the request parameter
``binary_data_output``) come back the same way. Errors are ``{"error": "..."}``.
"""

import json
import struct
from typing import Any

import numpy as np

from torchbridge.serving.errors import RequestError
from torchbridge.serving.tensors import (
    TensorSpec,
    coerce,
    kserve_datatype,
    numpy_dtype_of_kserve,
)

__all__ = [
    "add_routes",
    "parse_infer",
    "format_infer",
    "model_metadata",
    "HEADER_LENGTH",
    "encode_bytes_tensor",
    "decode_bytes_tensor",
]

HEADER_LENGTH = "Inference-Header-Content-Length"
_INFER_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["inputs"],
                    "properties": {
                        "id": {"type": "string"},
                        "parameters": {"type": "object"},
                        "inputs": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name", "shape", "datatype"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "shape": {"type": "array", "items": {"type": "integer"}},
                                    "datatype": {"type": "string"},
                                    "parameters": {"type": "object"},
                                    "data": {},
                                },
                            },
                        },
                        "outputs": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "parameters": {"type": "object"},
                                },
                            },
                        },
                    },
                }
            }
        },
    }
}


def _not_found(version: str | None) -> str:
    if version is None:
        return "Request for unknown model: '{name}' is not found"
    return "Request for unknown model: '{name}' version {version} is not found"


def encode_bytes_tensor(values: np.ndarray) -> bytes:
    """BYTES elements as the binary extension frames them: 4-byte little-endian length + bytes."""
    parts = []
    for v in values.reshape(-1).tolist():
        raw = v if isinstance(v, bytes) else str(v).encode("utf-8")
        parts.append(struct.pack("<I", len(raw)) + raw)
    return b"".join(parts)


def decode_bytes_tensor(raw: bytes, count: int, name: str) -> list[bytes]:
    """The inverse of :func:`encode_bytes_tensor` (``count`` elements expected)."""
    out, pos = [], 0
    while pos < len(raw):
        if pos + 4 > len(raw):
            raise RequestError(f"Binary data of input {name!r} ends inside an element length.")
        (n,) = struct.unpack_from("<I", raw, pos)
        pos += 4
        if pos + n > len(raw):
            raise RequestError(f"Binary data of input {name!r} ends inside an element.")
        out.append(raw[pos : pos + n])
        pos += n
    if len(out) != count:
        raise RequestError(
            f"Input {name!r} declares {count} elements in its shape but its binary data "
            f"holds {len(out)}."
        )
    return out


def _split_binary(body: bytes, header_length: str | None) -> tuple[bytes, bytes]:
    if header_length is None:
        return body, b""
    if not header_length.isdigit() or int(header_length) > len(body):
        raise RequestError(
            f"{HEADER_LENGTH}: {header_length!r} is not a length within the body of "
            f"{len(body)} bytes."
        )
    n = int(header_length)
    return body[:n], body[n:]


def _shape_of(entry: dict[str, Any], name: str) -> tuple[int, ...]:
    shape = entry.get("shape")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise RequestError(
            f"Input {name!r} needs 'shape': a list of non-negative integers, got {shape!r}."
        )
    return tuple(shape)


def _input_array(
    entry: dict[str, Any], spec: TensorSpec, binary: bytes, offset: int
) -> tuple[np.ndarray, int]:
    name = spec.name
    shape = _shape_of(entry, name)
    datatype = entry.get("datatype")
    dtype = numpy_dtype_of_kserve(str(datatype), name)
    expected = kserve_datatype(spec.dtype)
    if str(datatype) != expected:
        raise RequestError(
            f"Input {name!r} has datatype {datatype}, but the model expects {expected} "
            f"({spec.describe()})."
        )
    count = int(np.prod(shape)) if shape else 1
    params = entry.get("parameters") or {}
    size = params.get("binary_data_size") if isinstance(params, dict) else None
    if size is not None:
        if not isinstance(size, int) or size < 0 or offset + size > len(binary):
            raise RequestError(
                f"Input {name!r} declares binary_data_size={size!r} but the body has "
                f"{len(binary) - offset} binary bytes left."
            )
        raw = binary[offset : offset + size]
        offset += size
        if spec.is_string:
            arr = np.empty(count, dtype=object)
            arr[:] = decode_bytes_tensor(raw, count, name)
            arr = arr.reshape(shape)
        else:
            itemsize = np.dtype(dtype).itemsize
            if len(raw) != count * itemsize:
                raise RequestError(
                    f"Input {name!r}: shape {list(shape)} of {datatype} needs "
                    f"{count * itemsize} bytes, binary_data_size is {len(raw)}."
                )
            arr = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
        return coerce(spec, arr), offset
    if "data" not in entry:
        raise RequestError(f"Input {name!r} has no 'data' (nor binary_data_size).")
    try:
        flat = np.asarray(entry["data"], dtype=object if spec.is_string else None)
    except (ValueError, TypeError):
        raise RequestError(f"Input {name!r}: 'data' is not a rectangular array.") from None
    if flat.size != count:
        raise RequestError(
            f"Input {name!r} has shape {list(shape)} ({count} elements) but 'data' holds "
            f"{flat.size}."
        )
    if not spec.is_string and flat.dtype.kind in "OUSV":
        raise RequestError(
            f"Input {name!r} is {datatype}, but 'data' holds non-numbers. Send numbers."
        )
    if dtype == "bool" and flat.dtype.kind != "b":
        raise RequestError(f"Input {name!r} is BOOL: send true/false values.")
    return coerce(spec, flat.reshape(shape)), offset


def parse_infer(
    body: bytes, header_length: str | None, specs: list[TensorSpec], output_names: list[str]
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Input arrays of an infer request, and the request (for ``id`` and output selection)."""
    head, binary = _split_binary(body, header_length)
    if not head.strip():
        raise RequestError("The request body is empty; send an inference request JSON object.")
    try:
        request = json.loads(head)
    except (ValueError, RecursionError) as e:
        raise RequestError(f"The request body is not valid JSON ({type(e).__name__}).") from None
    if not isinstance(request, dict) or not isinstance(request.get("inputs"), list):
        raise RequestError(
            "An inference request is a JSON object with 'inputs': a list of "
            "{name, shape, datatype, data} tensors."
        )
    by_name = {s.name: s for s in specs}
    arrays: dict[str, np.ndarray] = {}
    offset = 0
    for i, entry in enumerate(request["inputs"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise RequestError(f"inputs[{i}] must be an object with a string 'name'.")
        name = entry["name"]
        if name not in by_name:
            raise RequestError(
                f"Unexpected inference input {name!r}; the model's inputs are {list(by_name)}."
            )
        if name in arrays:
            raise RequestError(f"Input {name!r} is given twice.")
        arrays[name], offset = _input_array(entry, by_name[name], binary, offset)
    missing = [n for n in by_name if n not in arrays]
    if missing:
        raise RequestError(
            f"Missing input(s) {missing}; the model takes {', '.join(s.describe() for s in specs)}."
        )
    if offset != len(binary):
        raise RequestError(
            f"The body has {len(binary) - offset} binary bytes that no input declares."
        )
    rows = {int(a.shape[0]) for a in arrays.values()}
    if len(rows) > 1:
        raise RequestError(f"The inputs have different batch sizes {sorted(rows)}.")
    outputs = request.get("outputs")
    if outputs is not None:
        if not isinstance(outputs, list) or not all(
            isinstance(o, dict) and isinstance(o.get("name"), str) for o in outputs
        ):
            raise RequestError("'outputs' must be a list of {name} objects.")
        unknown = [o["name"] for o in outputs if o["name"] not in output_names]
        if unknown:
            raise RequestError(
                f"Unexpected inference output(s) {unknown}; the model's outputs are {output_names}."
            )
    if "id" in request and not isinstance(request["id"], str):
        raise RequestError("'id' must be a string.")
    return arrays, request


def _wants_binary(request: dict[str, Any], name: str) -> bool:
    for out in request.get("outputs") or []:
        if out["name"] == name:
            params = out.get("parameters") or {}
            if isinstance(params, dict) and "binary_data" in params:
                return bool(params["binary_data"])
    params = request.get("parameters") or {}
    return isinstance(params, dict) and bool(params.get("binary_data_output", False))


def format_infer(
    server: Any, outputs: dict[str, np.ndarray], request: dict[str, Any]
) -> tuple[dict[str, Any], bytes]:
    """The response JSON and the binary tail (empty unless binary outputs were asked for)."""
    specs = {s.name: s for s in server.runner.outputs}
    chosen = [o["name"] for o in request.get("outputs") or []] or list(specs)
    entries, blobs = [], []
    for name in chosen:
        value = outputs[name]
        spec = specs[name]
        entry: dict[str, Any] = {
            "name": name,
            "datatype": kserve_datatype(spec.dtype),
            "shape": list(value.shape),
        }
        if _wants_binary(request, name):
            raw = (
                encode_bytes_tensor(value)
                if spec.is_string
                else np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<")).tobytes()
            )
            entry["parameters"] = {"binary_data_size": len(raw)}
            blobs.append(raw)
        elif spec.is_string:
            entry["data"] = [v.decode() if isinstance(v, bytes) else v for v in value.ravel()]
        else:
            entry["data"] = value.ravel().tolist()
        entries.append(entry)
    response: dict[str, Any] = {"model_name": server.name, "model_version": server.version}
    if "id" in request:
        response["id"] = request["id"]
    response["outputs"] = entries
    return response, b"".join(blobs)


def _tensor_metadata(spec: TensorSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "datatype": kserve_datatype(spec.dtype),
        "shape": [-1 if d is None else d for d in spec.shape],
    }


def model_metadata(server: Any) -> dict[str, Any]:
    """``GET /v2/models/{name}``."""
    return {
        "name": server.name,
        "versions": [server.version],
        "platform": server.runner.platform,
        "inputs": [_tensor_metadata(s) for s in server.runner.inputs],
        "outputs": [_tensor_metadata(s) for s in server.runner.outputs],
    }


def add_routes(app: Any, server: Any) -> None:
    """Register the ``/v2`` routes on a FastAPI ``app`` for a ``ModelServer``."""
    from starlette.responses import Response

    from torchbridge import __version__
    from torchbridge.serving.app import json_bytes, json_response, model_routes

    def find(name: str, version: str | None) -> None:
        server.lookup(name, version, _not_found(version))

    async def live() -> Any:
        """Liveness: 200 while the process serves."""
        return json_response({"live": True})

    async def ready() -> Any:
        """Readiness: 200 once the model is loaded (it is loaded before the app starts)."""
        return json_response({"ready": True})

    async def server_metadata() -> Any:
        """Server metadata: name, version, extensions."""
        return json_response(
            {"name": "torchbridge", "version": __version__, "extensions": ["binary_tensor_data"]}
        )

    async def metadata(request: Any, name: str, version: str | None) -> Any:
        find(name, version)
        return json_response(model_metadata(server))

    async def model_ready(request: Any, name: str, version: str | None) -> Any:
        find(name, version)
        return json_response({"name": server.name, "ready": True})

    async def infer(request: Any, name: str, version: str | None) -> Any:
        find(name, version)
        body = await server.read_body(request)
        inputs, parsed = parse_infer(
            body,
            request.headers.get(HEADER_LENGTH.lower()),
            server.runner.inputs,
            [s.name for s in server.runner.outputs],
        )
        outputs = await server.infer(inputs)
        response, tail = format_infer(server, outputs, parsed)
        if not tail:
            return json_response(response)
        head = json_bytes(response)
        return Response(
            head + tail,
            media_type="application/octet-stream",
            headers={HEADER_LENGTH: str(len(head))},
        )

    app.add_api_route("/v2/health/live", live, methods=["GET"], tags=["kserve-v2"])
    app.add_api_route("/v2/health/ready", ready, methods=["GET"], tags=["kserve-v2"])
    app.add_api_route("/v2", server_metadata, methods=["GET"], tags=["kserve-v2"])
    for suffix, handler, method, extra in (
        ("", metadata, "GET", None),
        ("/ready", model_ready, "GET", None),
        ("/infer", infer, "POST", _INFER_BODY),
    ):
        latest, versioned = model_routes(handler)
        for prefix, endpoint, kind in (
            ("/v2/models/{name}", latest, ""),
            ("/v2/models/{name}/versions/{version}", versioned, "_version"),
        ):
            app.add_api_route(
                prefix + suffix,
                endpoint,
                methods=[method],
                tags=["kserve-v2"],
                openapi_extra=extra,
                name=f"kserve_{handler.__name__}{kind}",
            )
