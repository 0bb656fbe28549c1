"""The FastAPI app: one model behind TF Serving's REST API and the KServe v2 protocol.

* :class:`ServerConfig` — batching (``max_batch_size``, ``batch_timeout_ms``),
  limits (``max_body_bytes``, ``request_timeout_s``), the served version.
* :class:`ModelServer` — what the routes share: the runner, the
  :class:`~torchbridge.serving.batching.DynamicBatcher`, the metrics, body
  reading under the size limit, model/version lookup, and ``infer`` (queue a
  request, wait at most ``request_timeout_s``).
* :func:`create_app` — builds the app: routes from
  :mod:`~torchbridge.serving.tfserving` and :mod:`~torchbridge.serving.kserve`,
  ``/metrics``, the error handlers (every error body is ``{"error": "..."}``
  with a 4xx status for anything a client can send), and a small ASGI
  middleware that counts requests and writes one JSON log line per request
  (logger ``torchbridge.serving``). Shutting the app down (uvicorn's graceful
  shutdown, then the lifespan's end) lets queued requests finish.

FastAPI is imported only by :func:`create_app`.
"""

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from torchbridge.errors import InputError
from torchbridge.serving.batching import DynamicBatcher
from torchbridge.serving.errors import (
    DeadlineExceededError,
    ModelNotFoundError,
    PayloadTooLargeError,
    RequestError,
)
from torchbridge.serving.metrics import CONTENT_TYPE, ServingMetrics
from torchbridge.serving.runner import ModelRunner

__all__ = [
    "ServerConfig",
    "ModelServer",
    "create_app",
    "json_bytes",
    "json_response",
    "model_routes",
    "LOGGER_NAME",
]

LOGGER_NAME = "torchbridge.serving"
_log = logging.getLogger(LOGGER_NAME)


@dataclass
class ServerConfig:
    """How the server batches and what it accepts."""

    max_batch_size: int = 32
    batch_timeout_ms: float = 2.0
    max_body_bytes: int = 16 * 1024 * 1024
    request_timeout_s: float = 30.0
    version: str = "1"

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1:
            raise InputError(f"max_body_bytes must be positive, got {self.max_body_bytes}.")
        if not self.request_timeout_s > 0:
            raise InputError(f"request_timeout_s must be positive, got {self.request_timeout_s}.")
        if not str(self.version).isdigit():
            raise InputError(f"version must be a number (TF Serving's), got {self.version!r}.")


def json_bytes(content: Any) -> bytes:
    """Compact JSON; NaN/Infinity written as TF Serving and Triton write them."""
    return json.dumps(content, separators=(",", ":"), allow_nan=True).encode("utf-8")


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    """A Starlette response carrying :func:`json_bytes` of ``content``."""
    from starlette.responses import Response

    return Response(json_bytes(content), status, headers, media_type="application/json")


def model_routes(handler: Callable[..., Awaitable[Any]]) -> tuple[Any, Any]:
    """FastAPI endpoints for ``handler(request, name, version)``: one for
    ``.../models/{name}...`` (``version=None``), one for ``.../versions/{version}...``."""
    from fastapi import Request

    async def latest(request: Request, name: str):  # type: ignore[no-untyped-def]
        return await handler(request, name, None)

    async def versioned(request: Request, name: str, version: str):  # type: ignore[no-untyped-def]
        return await handler(request, name, version)

    latest.__doc__ = versioned.__doc__ = handler.__doc__
    return latest, versioned


class ModelServer:
    """The served model and what every route needs."""

    def __init__(self, runner: ModelRunner, name: str, config: ServerConfig | None = None):
        self.runner = runner
        self.name = str(name)
        self.config = config or ServerConfig()
        self.metrics = ServingMetrics()
        self.batcher = DynamicBatcher(
            runner.run,
            max_batch_size=self.config.max_batch_size,
            max_delay_ms=self.config.batch_timeout_ms,
            on_batch=self.metrics.observe_batch,
        )
        self.input_names = [s.name for s in runner.inputs]

    @property
    def version(self) -> str:
        return str(self.config.version)

    def lookup(self, name: str, version: str | None, spelling: str) -> None:
        """Raise :class:`ModelNotFoundError` unless ``name``/``version`` is what is served."""
        if name != self.name or (version not in (None, "", self.version)):
            what = spelling.format(name=name, version=version)
            raise ModelNotFoundError(
                f"{what}. This server serves model {self.name!r} version {self.version}."
            )

    async def read_body(self, request: Any) -> bytes:
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLargeError(
                f"Request body of {int(declared)} bytes is over this server's limit of {limit} "
                "bytes; send fewer examples per request (or start the server with a larger "
                "--max-body-bytes)."
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLargeError(
                    f"Request body is over this server's limit of {limit} bytes; send fewer "
                    "examples per request."
                )
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def parse_json(body: bytes) -> Any:
        if not body.strip():
            raise RequestError("The request body is empty; send a JSON object.")
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as e:
            raise RequestError(
                f"The request body is not valid JSON ({type(e).__name__}: {str(e)[:120]})."
            ) from None

    async def infer(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Queue ``inputs`` for the batcher; the outputs for these rows."""
        future = self.batcher.submit(inputs)
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(future), timeout=self.config.request_timeout_s
            )
        except asyncio.TimeoutError:
            future.cancel()
            raise DeadlineExceededError(
                f"The model did not answer within {self.config.request_timeout_s:g} s "
                "(request_timeout_s); the server is overloaded or the request too large."
            ) from None
        except (InputError, ValueError, TypeError, IndexError, KeyError) as e:
            raise RequestError(
                f"The model could not run on this input: {type(e).__name__}: {str(e)[:300]}"
            ) from None


class _ObserveRequests:
    """ASGI middleware: request counter, latency histogram and one JSON log line per request."""

    def __init__(self, app: Any, metrics: ServingMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def send_and_record(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        self.metrics.request_started()
        try:
            await self.app(scope, receive, send_and_record)
        finally:
            seconds = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = str(scope.get("method", ""))
            self.metrics.request_finished(route, method, status[0], seconds)
            if _log.isEnabledFor(logging.INFO):
                client = scope.get("client") or ("", 0)
                _log.info(
                    json.dumps(
                        {
                            "ts": round(time.time(), 3),
                            "method": method,
                            "path": scope.get("path", ""),
                            "route": route,
                            "status": status[0],
                            "ms": round(seconds * 1000.0, 3),
                            "client": client[0],
                        }
                    )
                )


def create_app(runner: ModelRunner, name: str = "model", config: ServerConfig | None = None) -> Any:
    """A FastAPI app serving ``runner`` as model ``name`` (both protocols, ``/metrics``)."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import Response
    from starlette.exceptions import HTTPException

    from torchbridge.serving import kserve, tfserving

    server = ModelServer(runner, name, config)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield
        # uvicorn has already waited for in-flight requests; finish anything still queued.
        await asyncio.get_running_loop().run_in_executor(None, server.batcher.close)

    app = FastAPI(
        title="torchbridge serve",
        description="TF Serving REST API and KServe v2 (Open Inference Protocol) for one model.",
        version=server.version,
        lifespan=lifespan,
    )
    app.state.server = server

    def error(status: int, message: str) -> Response:
        return json_response({"error": message}, status)  # type: ignore[no-any-return]

    @app.exception_handler(RequestError)
    async def _request_error(request: Request, exc: RequestError) -> Response:
        return error(exc.status_code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error(400, f"Bad request: {exc.errors()!s:.300}")

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404:
            detail = f"No route {request.url.path!r}. See /docs for the API."
        return error(exc.status_code, detail)

    @app.get("/metrics", tags=["metrics"])
    async def metrics() -> Response:
        """Prometheus metrics (text exposition format)."""
        return Response(server.metrics.render(), media_type=CONTENT_TYPE)

    tfserving.add_routes(app, server)
    kserve.add_routes(app, server)
    app.add_middleware(_ObserveRequests, metrics=server.metrics)
    return app
