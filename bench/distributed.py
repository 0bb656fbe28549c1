"""Data-parallel fit throughput: 1, 2 and 4 processes under torchrun (issue 15).

The launcher starts ``python -m torch.distributed.run --standalone
--nproc_per_node N bench/distributed.py --worker ...`` for each N and prints
samples/s, speedup over one process and efficiency (speedup / N; 1.0 = linear).
Each worker fits a fixed model (an MLP 512-1024-1024-10, ~1.6M weights, SGD,
cross-entropy) on 16,384 random samples with global batch 256 (each of N
processes computes 256 / N per step, DDP all-reduces the gradients): one warm-up
epoch, then the median of 3 timed epochs. On CPU each process uses
``--threads`` intra-op threads (default 1): the speedup is then what more
processes give, not thread-level parallelism (on a loaded 2-core machine one
process with 2 threads ran 7x slower than with 1, which would flatter N > 1).

    .venv/bin/python bench/distributed.py                 # CPU, gloo: 1, 2, 4 processes
    .venv/bin/python bench/distributed.py --device cuda   # one GPU per process, nccl
    .venv/bin/python bench/distributed.py --procs 1 2 --samples 8192
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def worker(args: argparse.Namespace) -> None:
    import numpy as np
    import torch

    if args.device == "cpu":
        torch.set_num_threads(args.threads)
    import torchbridge as keras
    from torchbridge import distribute

    distribute.init()
    device = "cpu"
    if args.device == "cuda":
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    rs = np.random.RandomState(0)
    x = rs.normal(size=(args.samples, 512)).astype("float32")
    y = rs.randint(0, 10, size=(args.samples,)).astype("int64")
    torch.manual_seed(0)
    model = keras.Sequential(
        [
            keras.Input((512,)),
            keras.layers.Dense(1024, activation="relu"),
            keras.layers.Dense(1024, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.to(device)
    model.compile(
        optimizer=keras.optimizers.SGD(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0)  # warm-up
    times = []
    for _ in range(args.epochs):
        distribute.barrier()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        distribute.barrier()
        times.append(time.perf_counter() - start)
    if distribute.is_main_process():
        with open(args.out, "w") as f:
            json.dump({"procs": distribute.world_size(), "seconds": statistics.median(times)}, f)
    distribute.shutdown()


def launch(args: argparse.Namespace) -> None:
    import torch

    results = []
    for nproc in args.procs:
        if args.device == "cuda" and nproc > torch.cuda.device_count():
            print(f"skip {nproc} processes: only {torch.cuda.device_count()} GPU(s)")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "result.json")
            cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
            cmd += [f"--nproc_per_node={nproc}", os.path.abspath(__file__), "--worker"]
            cmd += ["--out", out, "--device", args.device, "--samples", str(args.samples)]
            cmd += ["--batch", str(args.batch), "--epochs", str(args.epochs)]
            cmd += ["--threads", str(args.threads)]
            env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
            subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
            with open(out) as f:
                results.append(json.load(f))
    if not results:
        return
    base = args.samples / results[0]["seconds"] / results[0]["procs"]
    print(f"device={args.device} samples={args.samples} global batch={args.batch}")
    print("| processes | samples/s | speedup | efficiency vs linear |")
    print("|---:|---:|---:|---:|")
    for r in results:
        rate = args.samples / r["seconds"]
        print(
            f"| {r['procs']} | {rate:,.0f} | {rate / base:.2f} | {rate / base / r['procs']:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--procs", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--samples", type=int, default=16384)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads per process")
    args = parser.parse_args()
    if args.worker:
        worker(args)
    else:
        launch(args)


if __name__ == "__main__":
    main()
