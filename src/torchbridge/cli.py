"""The ``torchbridge`` command.

* ``torchbridge demo [...]`` — the main job (fine-tune MiniLM on spam);
  ``torchbridge demo digits [...]`` — the Keras convnet on digits;
* ``torchbridge run SCRIPT.py [ARGS ...]`` — run an unchanged Keras script
  with ``import keras`` resolving to torchbridge;
* ``torchbridge convert SRC DST [...]`` — convert a saved model between formats
  (see :mod:`torchbridge.convert`) and check the two files predict the same.
"""

from __future__ import annotations

import argparse
import importlib
import os
import runpy
import sys

__all__ = ["main"]

USAGE = """usage: torchbridge demo [--train-size N] [--epochs N] [--max-length N] [--output-dir DIR]
                        [--verbose 0|1|2]   (fine-tune the pretrained MiniLM on spam)
       torchbridge demo digits [--epochs N] ...   (the Keras convnet on 8x8 digits)
       torchbridge run SCRIPT.py [ARGS ...]   (run a Keras script: `import keras` gets torchbridge)
       torchbridge convert SRC DST [--no-compile] [--overwrite] [--seed N] [--atol X]
                        (SRC .keras/.h5/.torchbridge -> DST .keras/.torchbridge/.safetensors/.weights.h5;
                         SRC a Hugging Face folder with tf_model.h5 -> DST a PyTorch folder)
       torchbridge predict MODEL --input FILE.txt|jsonl|csv [--output OUT.jsonl] [--batch-size N]
                        (one JSON line per input: outputs, or label + scores for a classifier)
       torchbridge evaluate MODEL DATA.csv|jsonl [--label-column label] [--json]
                        (the compiled model's loss and metrics; a TextClassifier's accuracy)
       torchbridge serve MODEL [--name N] [--port P] [--host H] [--backend eager|onnx]
                        [--max-batch-size B] [--batch-timeout-ms T] [--ui]
                        (TF Serving REST + KServe v2 over HTTP; see docs/serving.md)
       torchbridge export MODEL [OUT] [--format onnx|torch|litert|openvino] [--triton DIR]
                        [--name N] [--max-batch-size B] [--opset N] [--text]
                        (OUT .onnx/.pt2/.tflite/.xml; --triton: a Triton model repository)
       torchbridge migrate PATH... [--write] [--diff] [--check]
                        (rewrite TensorFlow 2 / tf.keras code for torchbridge; see docs/migrate.md)"""


def run_script(argv: list[str]) -> int:
    """Run ``argv[0]`` as ``__main__`` with ``keras`` bound to torchbridge."""
    if not argv or not os.path.isfile(argv[0]):
        print(f"torchbridge run: no script {argv[0] if argv else ''!r}.\n{USAGE}", file=sys.stderr)
        return 2
    import torchbridge

    saved = {name: sys.modules.get(name) for name in ("keras",)}
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.modules["keras"] = torchbridge
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
    try:
        runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return 0


def convert_command(argv: list[str]) -> int:
    """``torchbridge convert``: 0 on success, 1 when parity fails, 2 on a usage/file error."""
    parser = argparse.ArgumentParser(
        prog="torchbridge convert",
        description="Convert a saved model to another format and check both predict the same.",
    )
    parser.add_argument(
        "src",
        help="a .keras, .h5 or .torchbridge model file, or a Hugging Face folder with TF weights",
    )
    parser.add_argument("dst", help="a .keras, .torchbridge, .safetensors or .weights.h5 path")
    parser.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep the compile config and optimizer state (default) or drop them",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing DST")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random parity inputs")
    parser.add_argument("--atol", type=float, default=1e-5, help="parity tolerance (1e-5)")
    try:
        opts = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    from torchbridge.convert import ConvertError, convert

    try:
        report = convert(
            opts.src,
            opts.dst,
            compile=opts.compile,
            overwrite=opts.overwrite,
            seed=opts.seed,
            atol=opts.atol,
        )
    except ConvertError as e:
        print(f"torchbridge convert: {e}", file=sys.stderr)
        return 2
    print(report.format())
    if report.max_abs_diff is not None and not report.passed:
        print(
            f"torchbridge convert: {opts.dst!r} does not predict like {opts.src!r} "
            f"(max |diff| {report.max_abs_diff:.3e} > atol {opts.atol:g}).",
            file=sys.stderr,
        )
        return 1
    return 0


# Commands that live in their own modules: name -> "module:function" (imported only when
# that command runs, so `torchbridge --help` and `run` stay cheap). Each function takes
# the remaining argv and returns the exit status.
COMMANDS: dict[str, str] = {
    "predict": "torchbridge.predict_command:predict_main",
    "evaluate": "torchbridge.predict_command:evaluate_main",
    "serve": "torchbridge.serving.command:main",
    "export": "torchbridge.export.command:main",
    "migrate": "torchbridge.migrate.command:main",
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    command, rest = args[0], args[1:]
    if command == "demo":
        if rest[:1] == ["digits"]:
            from torchbridge.demos.digits import main as digits_main

            digits_main(rest[1:])
        else:
            from torchbridge.demos.minilm_spam import main as demo_main

            demo_main(rest)
        return 0
    if command == "run":
        return run_script(rest)
    if command == "convert":
        return convert_command(rest)
    if command in COMMANDS:
        module_name, _, function_name = COMMANDS[command].partition(":")
        function = getattr(importlib.import_module(module_name), function_name)
        return int(function(rest))
    print(f"torchbridge: unknown command {command!r}; try 'torchbridge --help'.", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
