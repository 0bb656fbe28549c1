"""``torchbridge export MODEL [OUT] --format onnx|torch|litert|openvino [--triton DIR]``.

MODEL is a saved model (``.keras``, ``.h5``, ``.torchbridge``) or a Hugging Face
``TextClassifier`` bundle folder (``TextClassifier.save``). OUT is the artifact
(``.onnx``, ``.pt2``, ``.tflite``, ``.xml``). ``--triton DIR`` also writes a Triton
model repository (``DIR/<name>/config.pbtxt`` + ``DIR/<name>/1/model.onnx``; OUT may
then be left out). ``--text`` exports a bundle as raw strings in, probabilities out
(the tokenizer inside the ONNX graph, :mod:`torchbridge.export.onnx_tokenizers`).

Exit status: 0 written, 2 for a usage, file or export error (one line on stderr).
This module is the command line's, so it may load the ``hf`` bundle reader lazily.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from typing import Any

__all__ = ["main"]

FORMATS = ("onnx", "torch", "litert", "openvino")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torchbridge export",
        description="Export a saved model or TextClassifier bundle for serving.",
    )
    parser.add_argument("model", help="a .keras/.h5/.torchbridge file or a bundle folder")
    parser.add_argument("out", nargs="?", help="the artifact: .onnx, .pt2, .tflite or .xml")
    parser.add_argument("--format", choices=FORMATS, default="onnx", help="(default: onnx)")
    parser.add_argument("--triton", metavar="DIR", help="also write a Triton model repository")
    parser.add_argument("--name", help="the Triton model name (default: MODEL's file name)")
    parser.add_argument("--max-batch-size", type=int, default=32, help="Triton (default 32)")
    parser.add_argument("--opset", type=int, default=None, help="ONNX opset (default 18)")
    parser.add_argument("--text", action="store_true", help="bundle: raw strings in (ONNX)")
    parser.add_argument("--quiet", action="store_true", help="no message when written")
    return parser


def _load(path: str, text: bool) -> Any:
    if os.path.isdir(path):
        hf = importlib.import_module("torchbridge.hf")
        bundle = hf.TextClassifier.load(path)
        return bundle if text else bundle.model
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no model file or bundle folder {path!r}")
    from torchbridge.models import load_model

    return load_model(path)


def _export(model: Any, out: str, opts: argparse.Namespace) -> None:
    if opts.text:
        if opts.format != "onnx":
            raise ValueError("--text exports raw-string models to ONNX only; use --format onnx.")
        tokenizers = importlib.import_module("torchbridge.export.onnx_tokenizers")
        tokenizers.export_text_classifier(
            model, out, **({"opset": opts.opset} if opts.opset else {})
        )
        return
    kwargs: dict[str, Any] = {}
    if opts.opset is not None and opts.format == "onnx":
        kwargs["opset_version"] = opts.opset
    model.export(out, format=opts.format, verbose=False, **kwargs)


def main(argv: list[str]) -> int:
    """Run ``torchbridge export``; returns the exit status."""
    parser = _parser()
    try:
        opts = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    if opts.out is None and opts.triton is None:
        print(
            "torchbridge export: give OUT (the artifact path), --triton DIR, or both.",
            file=sys.stderr,
        )
        return 2
    if opts.triton is not None and opts.format != "onnx":
        print(
            "torchbridge export: --triton writes an ONNX model; use --format onnx.", file=sys.stderr
        )
        return 2
    name = opts.name or os.path.splitext(os.path.basename(os.path.normpath(opts.model)))[0]
    try:
        model = _load(opts.model, opts.text)
        with tempfile.TemporaryDirectory() as tmp:
            out = opts.out or os.path.join(tmp, "model.onnx")
            _export(model, out, opts)
            written = [out] if opts.out else []
            if opts.triton is not None:
                from torchbridge.export.triton import write_triton_repository

                written.append(write_triton_repository(out, opts.triton, name, opts.max_batch_size))
    except (ValueError, ImportError, OSError) as e:  # ExportError is a ValueError
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"torchbridge export: {message}", file=sys.stderr)
        return 2
    if not opts.quiet:
        for path in written:
            print(f"torchbridge export: wrote {path}")
    return 0
