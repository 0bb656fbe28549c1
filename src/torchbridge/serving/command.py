"""``torchbridge serve MODEL``: the command-line front of :mod:`torchbridge.serving`.

Loads the model (:func:`~torchbridge.serving.runner.load_runner`), builds the
app (:func:`~torchbridge.serving.app.create_app`) and runs it under uvicorn
with graceful shutdown (Ctrl-C / SIGTERM: no new connections; requests in
flight and queued finish, up to ``--graceful-timeout-s``). Request logs are
one JSON object per line on stderr (uvicorn's access log is off).
``--ui`` hands the loaded runner to :func:`torchbridge.serving.ui.launch_ui`
(the Gradio app) instead of starting the REST server.

``main(argv) -> int``: 2 for a usage error or a model that cannot be loaded;
after a graceful shutdown on SIGTERM/SIGINT uvicorn re-raises the signal, so
the process ends as killed by it (status 143 / 130), as supervisors expect.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torchbridge serve",
        description="Serve a saved model with TF Serving's REST API and KServe v2 "
        "(/v1/models/NAME:predict, /v2/models/NAME/infer, /metrics).",
    )
    parser.add_argument("model", help="a .keras/.h5/.torchbridge file or a TextClassifier folder")
    parser.add_argument("--name", help="model name in the URLs (default: the file's stem)")
    parser.add_argument("--port", type=int, default=8501, help="port (8501, TF Serving's REST)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--backend", choices=("eager", "onnx"), default="eager")
    parser.add_argument(
        "--max-batch-size",
        type=int,
        default=32,
        help="dynamic batching: most rows per model call (1 turns batching off)",
    )
    parser.add_argument(
        "--batch-timeout-ms",
        type=float,
        default=2.0,
        help="dynamic batching: longest wait for more requests to join a batch (2 ms)",
    )
    parser.add_argument(
        "--max-body-bytes", type=int, default=16 * 1024 * 1024, help="request size limit (16 MiB)"
    )
    parser.add_argument(
        "--request-timeout-s", type=float, default=30.0, help="per-request time limit (30 s)"
    )
    parser.add_argument("--model-version", default="1", help="the version served (1)")
    parser.add_argument(
        "--graceful-timeout-s",
        type=float,
        default=30.0,
        help="on shutdown, how long requests in flight may take to finish (30 s)",
    )
    parser.add_argument(
        "--log-level", default="info", choices=("debug", "info", "warning", "error")
    )
    parser.add_argument("--ui", action="store_true", help="start the Gradio UI for the model")
    return parser


def _default_name(path: str) -> str:
    base = os.path.basename(os.path.normpath(path))
    for suffix in (".keras", ".h5", ".hdf5", ".torchbridge", ".onnx"):
        if base.endswith(suffix):
            return base[: -len(suffix)] or "model"
    return base or "model"


def _configure_logging(level: str) -> None:
    from torchbridge.serving.app import LOGGER_NAME

    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        opts = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    from torchbridge.errors import TorchbridgeError
    from torchbridge.serving.app import ServerConfig, create_app
    from torchbridge.serving.runner import load_runner

    name = opts.name or _default_name(opts.model)
    try:
        config = ServerConfig(
            max_batch_size=opts.max_batch_size,
            batch_timeout_ms=opts.batch_timeout_ms,
            max_body_bytes=opts.max_body_bytes,
            request_timeout_s=opts.request_timeout_s,
            version=str(opts.model_version),
        )
        runner = load_runner(opts.model, backend=opts.backend)
    except (TorchbridgeError, OSError, ImportError) as e:
        print(f"torchbridge serve: {e}", file=sys.stderr)
        return 2
    if opts.ui:
        from torchbridge.serving.ui import launch_ui

        result: Any = launch_ui(runner, host=opts.host, port=opts.port, title=name)
        return int(result) if isinstance(result, int) else 0
    try:
        import uvicorn
    except ImportError:
        print(
            "torchbridge serve needs FastAPI and uvicorn: pip install 'torchbridge[serve]'.",
            file=sys.stderr,
        )
        return 2
    _configure_logging(opts.log_level)
    try:
        app = create_app(runner, name, config)
    except ImportError as e:
        print(f"torchbridge serve: {e}; pip install 'torchbridge[serve]'.", file=sys.stderr)
        return 2
    print(
        f"torchbridge serve: model {name!r} ({opts.backend}) on http://{opts.host}:{opts.port} "
        f"— TF Serving /v1/models/{name}:predict, KServe /v2/models/{name}/infer, /metrics",
        file=sys.stderr,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=opts.host,
            port=opts.port,
            log_level=opts.log_level,
            access_log=False,
            timeout_graceful_shutdown=int(opts.graceful_timeout_s),
        )
    )
    server.run()
    return 0
