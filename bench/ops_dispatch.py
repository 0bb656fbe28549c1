"""Per-op dispatch overhead of torchbridge.ops against calling torch directly.

Small CPU tensors (so the kernel costs little and the Python wrapper shows),
one thread. Each case times ``number`` calls of the torchbridge op and of the
torch call it wraps, interleaved in rotating order over ``rounds`` rounds; the
reported overhead is the median over rounds of (op - torch) per call, in µs.
Cases whose op is not implemented yet are listed as skipped.

Run: ``.venv/bin/python bench/ops_dispatch.py [--rounds 15] [--number 20000]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

import torchbridge.ops as ops
from torchbridge.ops._convert import to_tensors

torch.set_num_threads(1)
A = torch.randn(4, 4)
B = torch.randn(4, 4)
I32 = torch.arange(16, dtype=torch.int32).reshape(4, 4)


def _cases() -> list[tuple[str, Callable[[], Any] | None, Callable[[], Any]]]:
    def op(name: str) -> Any:
        return getattr(ops, name, None)

    add, matmul, sum_ = op("add"), op("matmul"), op("sum")
    return [
        ("add(f32, f32)", add and (lambda: add(A, B)), lambda: torch.add(A, B)),
        ("add(f32, 1.0)", add and (lambda: add(A, 1.0)), lambda: torch.add(A, 1.0)),
        ("add(i32, f32)", add and (lambda: add(I32, A)), lambda: torch.add(I32, A)),
        (
            "add(i32, f32) vs cast+add",
            add and (lambda: add(I32, A)),
            lambda: torch.add(I32.to(A.dtype), A),
        ),
        ("matmul(f32, f32)", matmul and (lambda: matmul(A, B)), lambda: torch.matmul(A, B)),
        ("sum(f32)", sum_ and (lambda: sum_(A)), lambda: torch.sum(A)),
        ("sum(f32, axis=1)", sum_ and (lambda: sum_(A, axis=1)), lambda: torch.sum(A, dim=1)),
        ("_convert.to_tensors(f32, f32)", lambda: to_tensors(A, B), lambda: (A, B)),
        ("_convert.to_tensors(f32, 1.0)", lambda: to_tensors(A, 1.0), lambda: (A, 1.0)),
        (
            "to_tensors(f32,1.0,keep_scalars)",
            lambda: to_tensors(A, 1.0, keep_scalars=True),
            lambda: (A, 1.0),
        ),
        ("_convert.to_tensors(i32, f32)", lambda: to_tensors(I32, A), lambda: (I32.to(A.dtype), A)),
        ("convert_to_tensor(tensor)", lambda: ops.convert_to_tensor(A), lambda: A),
        ("cast(f32, 'float32')", lambda: ops.cast(A, "float32"), lambda: A),
        ("cast(i32, 'float32')", lambda: ops.cast(I32, "float32"), lambda: I32.to(torch.float32)),
    ]


def _time(fn: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=20000)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, 1 thread, {args.rounds} rounds x {args.number} calls")
    print(f"{'case':28} {'torch µs':>9} {'ops µs':>9} {'added µs':>9}")
    for label, ours, theirs in _cases():
        if ours is None:
            print(f"{label:28} skipped (not implemented yet)")
            continue
        for fn in (ours, theirs):  # warm-up
            _time(fn, 1000)
        t_ours: list[float] = []
        t_torch: list[float] = []
        added: list[float] = []
        for r in range(args.rounds):
            pair = [(ours, t_ours), (theirs, t_torch)]
            if r % 2:
                pair.reverse()
            for fn, sink in pair:
                sink.append(_time(fn, args.number))
            added.append(t_ours[-1] - t_torch[-1])
        print(
            f"{label:28} {statistics.median(t_torch) * 1e6:9.2f} "
            f"{statistics.median(t_ours) * 1e6:9.2f} {statistics.median(added) * 1e6:9.2f}"
        )


if __name__ == "__main__":
    main()
