"""TensorFlow Serving's REST API (``/v1/models/...``) for the served model.

Routes (each also under ``/versions/{version}``): ``GET /v1/models/{name}``
(version status), ``GET .../metadata`` (the ``serving_default``
signature_def: dtypes as ``DT_*`` names, shapes with ``-1`` for free
dimensions), ``POST ...:predict`` and, where the model's output allows it,
``:classify`` (class scores -> ``[[label, score], ...]`` per example) and
``:regress`` (one number per example).

A predict body is TF Serving's: ``{"signature_name"?, "instances": [...]}``
(row format: one value per example, a ``{input_name: value}`` object per
example for several inputs) or ``{"signature_name"?, "inputs": ...}``
(columnar: one value, or ``{input_name: value}``, each with its batch axis).
The answer mirrors it: ``{"predictions": [...]}`` or ``{"outputs": ...}``.
Strings may be sent as ``{"b64": "..."}``. Errors are ``{"error": "..."}``.
"""

import base64
import binascii
from typing import Any

import numpy as np

from torchbridge.serving.errors import RequestError
from torchbridge.serving.tensors import TensorSpec, coerce, tf_dtype

__all__ = [
    "add_routes",
    "parse_predict",
    "format_predict",
    "model_status",
    "model_metadata",
    "SIGNATURE",
]

SIGNATURE = "serving_default"
_NOT_FOUND = "Servable not found for request: {kind}({name}{version})"
_PREDICT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "signature_name": {"type": "string"},
                        "instances": {"type": "array"},
                        "inputs": {},
                    },
                }
            }
        },
    }
}
_CLASSIFY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "signature_name": {"type": "string"},
                        "context": {"type": "object"},
                        "examples": {"type": "array", "items": {"type": "object"}},
                    },
                    "required": ["examples"],
                }
            }
        },
    }
}


def _spelling(version: str | None) -> str:
    if version is None:
        return "Servable not found for request: Latest({name})"
    return "Servable not found for request: Specific({name}, {version})"


def _decode_b64(value: Any) -> Any:
    """``{"b64": "..."}`` objects replaced by their bytes, anywhere in ``value``."""
    if isinstance(value, dict):
        if set(value) == {"b64"} and isinstance(value["b64"], str):
            try:
                return base64.b64decode(value["b64"], validate=True)
            except (binascii.Error, ValueError):
                raise RequestError("A {'b64': ...} value is not valid base64.") from None
        return {k: _decode_b64(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_b64(v) for v in value]
    return value


def _check_signature(body: dict[str, Any]) -> None:
    name = body.get("signature_name", SIGNATURE)
    if name not in (SIGNATURE, "", None):
        raise RequestError(
            f'Serving signature name: "{name}" not found in signature def; this model has '
            f"only {SIGNATURE!r} (leave signature_name out)."
        )


def _named(value: Any, specs: list[TensorSpec], where: str) -> dict[str, Any]:
    """``value`` as ``{input_name: value}``: a bare value is the only input's."""
    names = [s.name for s in specs]
    if isinstance(value, dict) and not (len(specs) == 1 and set(value) == {"b64"}):
        missing = [n for n in names if n not in value]
        extra = [k for k in value if k not in names]
        if extra:
            raise RequestError(
                f"{where} names input(s) {extra} that the model does not have; its inputs are "
                f"{names}."
            )
        if missing:
            raise RequestError(
                f"{where} is missing input(s) {missing}; the model takes {names} "
                f"({', '.join(s.describe() for s in specs)})."
            )
        return dict(value)
    if len(specs) != 1:
        raise RequestError(
            f"The model takes {len(specs)} inputs {names}: {where} must be an object "
            "with one entry per input name."
        )
    return {names[0]: value}


def parse_predict(body: Any, specs: list[TensorSpec]) -> tuple[dict[str, np.ndarray], bool]:
    """The input arrays of a predict body, and whether it used the row (``instances``) format."""
    if not isinstance(body, dict):
        raise RequestError(
            "The body must be a JSON object with 'instances' (row format) or 'inputs' "
            f"(columnar format), got a JSON {type(body).__name__}."
        )
    _check_signature(body)
    has_rows, has_columns = "instances" in body, "inputs" in body
    if has_rows == has_columns:
        raise RequestError(
            "Missing 'inputs' or 'instances' key"
            if not has_rows
            else "Request must contain either 'instances' or 'inputs' but not both."
        )
    if has_rows:
        rows = _decode_b64(body["instances"])
        if not isinstance(rows, list) or not rows:
            raise RequestError("'instances' must be a non-empty list, one item per example.")
        if all(isinstance(r, dict) for r in rows) and not (
            len(specs) == 1 and all(set(r) == {"b64"} for r in rows)
        ):
            named = [_named(r, specs, f"instances[{i}]") for i, r in enumerate(rows)]
            columns: dict[str, Any] = {s.name: [r[s.name] for r in named] for s in specs}
        elif len(specs) == 1:
            columns = {specs[0].name: rows}
        else:
            raise RequestError(
                f"The model takes {len(specs)} inputs {[s.name for s in specs]}: each "
                "instance must be an object with one entry per input name."
            )
    else:
        columns = _named(_decode_b64(body["inputs"]), specs, "'inputs'")
    arrays = {s.name: coerce(s, columns[s.name]) for s in specs}
    rows_per_input = {int(a.shape[0]) for a in arrays.values()}
    if len(rows_per_input) > 1:
        raise RequestError(
            f"The inputs have different batch sizes {sorted(rows_per_input)}; give every input "
            "the same number of examples."
        )
    return arrays, has_rows


def _jsonable(array: np.ndarray) -> Any:
    if array.dtype.kind in "OSU":
        return [v.decode() if isinstance(v, bytes) else v for v in array.tolist()]
    return array.tolist()


def format_predict(outputs: dict[str, np.ndarray], specs: list[TensorSpec], rows: bool) -> Any:
    """TF Serving's predict answer for ``outputs``."""
    names = [s.name for s in specs]
    if rows:
        if len(names) == 1:
            return {"predictions": _jsonable(outputs[names[0]])}
        n = int(outputs[names[0]].shape[0])
        cols = {k: _jsonable(outputs[k]) for k in names}
        return {"predictions": [{k: cols[k][i] for k in names} for i in range(n)]}
    if len(names) == 1:
        return {"outputs": _jsonable(outputs[names[0]])}
    return {"outputs": {k: _jsonable(outputs[k]) for k in names}}


def model_status(version: str) -> dict[str, Any]:
    """``GET /v1/models/{name}``: one AVAILABLE version."""
    return {
        "model_version_status": [
            {
                "version": str(version),
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
        ]
    }


def _tensor_info(spec: TensorSpec, prefix: str) -> dict[str, Any]:
    return {
        "dtype": tf_dtype(spec.dtype),
        "tensor_shape": {
            "dim": [{"size": str(-1 if d is None else d), "name": ""} for d in spec.shape],
            "unknown_rank": False,
        },
        "name": f"{prefix}{spec.name}:0",
    }


def model_metadata(server: Any) -> dict[str, Any]:
    """``GET /v1/models/{name}/metadata``: the signature_def map, as TF Serving writes it."""
    runner = server.runner
    signature = {
        "inputs": {s.name: _tensor_info(s, f"{SIGNATURE}_") for s in runner.inputs},
        "outputs": {s.name: _tensor_info(s, "StatefulPartitionedCall:") for s in runner.outputs},
        "method_name": "tensorflow/serving/predict",
    }
    return {
        "model_spec": {"name": server.name, "signature_name": "", "version": server.version},
        "metadata": {"signature_def": {"signature_def": {SIGNATURE: signature}}},
    }


def _examples(body: Any, specs: list[TensorSpec]) -> dict[str, np.ndarray]:
    if not isinstance(body, dict):
        raise RequestError("The body must be a JSON object with 'examples'.")
    _check_signature(body)
    examples = _decode_b64(body.get("examples"))
    context = _decode_b64(body.get("context", {}))
    if not isinstance(examples, list) or not examples or not isinstance(context, dict):
        raise RequestError(
            "'examples' must be a non-empty list of {feature_name: value} objects (and "
            "'context', if given, one such object)."
        )
    rows = []
    for i, example in enumerate(examples):
        if not isinstance(example, dict):
            raise RequestError(f"examples[{i}] must be an object {{feature_name: value}}.")
        rows.append(_named({**context, **example}, specs, f"examples[{i}]"))
    return {s.name: coerce(s, [r[s.name] for r in rows]) for s in specs}


def _single_output(server: Any, method: str) -> TensorSpec:
    outputs = server.runner.outputs
    spec = outputs[0] if len(outputs) == 1 else None
    last = spec.shape[-1] if spec is not None and len(spec.shape) >= 1 else None
    if method == "classify":
        ok = spec is not None and len(spec.shape) == 2 and last is not None and last >= 2
    else:
        ok = spec is not None and (len(spec.shape) == 1 or (len(spec.shape) == 2 and last == 1))
    if not ok or spec is None or spec.dtype == "string":
        shapes = ", ".join(s.describe() for s in outputs)
        raise RequestError(
            f"Model {server.name!r} has no {method} signature: its output(s) {shapes} are not "
            + (
                "one row of class scores per example"
                if method == "classify"
                else "one number per example"
            )
            + ". Use :predict."
        )
    return spec


def add_routes(app: Any, server: Any) -> None:
    """Register the ``/v1`` routes on a FastAPI ``app`` for a ``ModelServer``."""
    from torchbridge.serving.app import json_response, model_routes

    def find(name: str, version: str | None) -> None:
        server.lookup(name, version, _spelling(version))

    async def status(request: Any, name: str, version: str | None) -> Any:
        find(name, version)
        return json_response(model_status(server.version))

    async def metadata(request: Any, name: str, version: str | None) -> Any:
        find(name, version)
        return json_response(model_metadata(server))

    async def predict(request: Any, name: str, version: str | None) -> Any:
        find(name, version)
        body = server.parse_json(await server.read_body(request))
        inputs, rows = parse_predict(body, server.runner.inputs)
        outputs = await server.infer(inputs)
        return json_response(format_predict(outputs, server.runner.outputs, rows))

    async def classify(request: Any, name: str, version: str | None) -> Any:
        find(name, version)
        spec = _single_output(server, "classify")
        body = server.parse_json(await server.read_body(request))
        scores = (await server.infer(_examples(body, server.runner.inputs)))[spec.name]
        labels = server.runner.labels or [str(i) for i in range(scores.shape[-1])]
        return json_response(
            {"result": [[[labels[j], float(row[j])] for j in range(len(row))] for row in scores]}
        )

    async def regress(request: Any, name: str, version: str | None) -> Any:
        find(name, version)
        spec = _single_output(server, "regress")
        body = server.parse_json(await server.read_body(request))
        values = (await server.infer(_examples(body, server.runner.inputs)))[spec.name]
        return json_response({"result": [float(v) for v in values.reshape(len(values), -1)[:, 0]]})

    routes: list[tuple[str, Any, str, dict[str, Any] | None]] = [
        ("", status, "GET", None),
        ("/metadata", metadata, "GET", None),
        (":predict", predict, "POST", _PREDICT_BODY),
        (":classify", classify, "POST", _CLASSIFY_BODY),
        (":regress", regress, "POST", _CLASSIFY_BODY),
    ]
    for suffix, handler, method, extra in routes:
        latest, versioned = model_routes(handler)
        for prefix, endpoint, kind in (
            ("/v1/models/{name}", latest, ""),
            ("/v1/models/{name}/versions/{version}", versioned, "_version"),
        ):
            app.add_api_route(
                prefix + suffix,
                endpoint,
                methods=[method],
                tags=["tf-serving"],
                openapi_extra=extra,
                name=f"tfserving_{handler.__name__}{kind}",
            )
