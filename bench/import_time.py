"""``import torchbridge`` against ``import torch``: wall time of a fresh interpreter doing each
import, interleaved in rounds, medians and their ratio (issue 17's budget: <= 1.1x).

Bytecode caching is on (``PYTHONDONTWRITEBYTECODE`` is removed from the children's
environment and one warm-up run of each writes the ``.pyc`` files), as on a user's machine;
a bare ``python -c pass`` is measured too, so the interpreter's own start-up can be seen.

    .venv/bin/python bench/import_time.py --rounds 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

CASES = {
    "python": "pass",
    "torch": "import torch",
    "torchbridge": "import torchbridge",
}


def run_once(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("OMP_NUM_THREADS", "1")
    for code in CASES.values():  # write the bytecode caches
        run_once(code, env)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for r in range(args.rounds):
        order = list(CASES) if r % 2 == 0 else list(reversed(CASES))
        for name in order:
            times[name].append(run_once(CASES[name], env))
    med = {name: statistics.median(values) for name, values in times.items()}
    for name, value in med.items():
        spread = max(times[name]) - min(times[name])
        print(f"{name:12s} median {value * 1000:7.1f} ms   (range {spread * 1000:.1f} ms)")
    print(f"import torchbridge / import torch: {med['torchbridge'] / med['torch']:.3f}x")
    added = med["torchbridge"] - med["torch"]
    print(f"added by torchbridge: {added * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
