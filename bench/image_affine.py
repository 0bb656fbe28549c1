"""ops.image.affine_transform: the fused ``grid_sample`` path (float images) against the
previous gather-based sampler, loaded from a file holding the old module.

Run::

    git show d193961:src/torchbridge/ops/image_transform.py > /tmp/old_image_transform.py
    .venv/bin/python bench/image_affine.py [/tmp/old_image_transform.py]

One thread, 32x128x128x3 float32 images, a rotation + translation per image; median of
5 interleaved rounds; also prints the largest difference between the two outputs.
"""

from __future__ import annotations

import importlib.util
import math
import statistics
import sys
import time

import torch

import torchbridge.ops.image_transform as new


def main() -> None:
    torch.set_num_threads(1)
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/old_image_transform.py"
    spec = importlib.util.spec_from_file_location("old_image_transform", path)
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    x = torch.rand(32, 128, 128, 3)
    th = 0.3
    row = [math.cos(th), -math.sin(th), 20.0, math.sin(th), math.cos(th), -10.0, 0.0, 0.0]
    t = torch.tensor(row).repeat(32, 1)
    for fill_mode in ("constant", "reflect"):
        a = old.affine_transform(x, t, fill_mode=fill_mode)
        b = new.affine_transform(x, t, fill_mode=fill_mode)
        times: dict[str, list[float]] = {"old": [], "new": []}
        for _ in range(5):
            for name, mod in (("old", old), ("new", new)):
                start = time.perf_counter()
                mod.affine_transform(x, t, fill_mode=fill_mode)
                times[name].append(time.perf_counter() - start)
        o, n = (statistics.median(times[k]) * 1e3 for k in ("old", "new"))
        diff = float((a - b).abs().max())
        print(f"{fill_mode:9} old {o:6.1f} ms  new {n:6.1f} ms  x{o / n:.1f}  max|diff| {diff:.1e}")


if __name__ == "__main__":
    main()
