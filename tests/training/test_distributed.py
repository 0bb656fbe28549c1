"""Distributed fit/evaluate/predict under torchrun (CPU, gloo) against one process.

Each test starts ``python -m torch.distributed.run`` on a small script (written
under ``tmp_path``) and compares what every rank saved with a plain single-process
run of the same script: final weights (2 processes × 16 examples per step vs one
process × 32), epoch logs, EarlyStopping's stop epoch, evaluate and predict, and
that only rank 0 wrote the CSV log and the checkpoint.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

WORKER = textwrap.dedent(
    """
    import contextlib, io, json, os, sys
    import numpy as np
    import torch
    import torchbridge as keras
    from torchbridge import distribute

    out, n, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    strategy = sys.argv[4] if len(sys.argv) > 4 else "ddp"
    distribute.init()
    rank = distribute.rank()
    if strategy == "fsdp":  # Keras's ModelParallel: FSDP2 over the batch axis
        mesh = keras.distribution.DeviceMesh((distribute.world_size(),), ["batch"])
        layout_map = keras.distribution.LayoutMap(mesh)
        layout_map[".*kernel"] = ("batch", None)
        keras.distribution.set_distribution(keras.distribution.ModelParallel(layout_map=layout_map))
    rs = np.random.RandomState(0)
    x = rs.normal(size=(n, 4)).astype("float32")
    y = (x @ rs.normal(size=(4, 1)) + 0.1).astype("float32")
    torch.manual_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    cbs = [keras.callbacks.CSVLogger(os.path.join(out, f"log-{rank}.csv")),
           keras.callbacks.ModelCheckpoint(os.path.join(out, f"ckpt-{rank}.weights.h5"),
                                           save_weights_only=True),
           keras.callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=1e9)]
    hist = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, callbacks=cbs,
                     validation_data=(x[:40], y[:40]))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):  # the progress bar: rank 0 only
        ev = model.evaluate(x, y, batch_size=32, verbose=1, return_dict=True)
    pred = model.predict(x, batch_size=32, verbose=0)
    # A torchbridge Dataset: every rank reads the same global batches and keeps its slice.
    ds = keras.data.Dataset.from_tensor_slices((x, y)).shuffle(64, seed=3).batch(32)
    model.fit(ds, epochs=1, verbose=0)
    ev_ds = model.evaluate(ds, verbose=0, return_dict=True)
    pred_ds = model.predict(keras.data.Dataset.from_tensor_slices(x).batch(32), verbose=0)
    np.savez(os.path.join(out, f"rank{rank}.npz"), *model.get_weights(), pred=pred,
             pred_ds=pred_ds)
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump({"history": hist.history, "epochs": hist.epoch, "evaluate": ev, "evaluate_ds": ev_ds,
                   "world": distribute.world_size(),
                   "progbar": len(buf.getvalue())}, f)
    keras.distribution.set_distribution(None)
    distribute.shutdown()
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    return env


def _run(tmp: Path, nproc: int, n: int, epochs: int, strategy: str = "ddp") -> Path:
    script = tmp / "worker.py"
    script.write_text(WORKER)
    out = tmp / f"out{nproc}"
    out.mkdir()
    cmd = [sys.executable, str(script), str(out), str(n), str(epochs), strategy]
    if nproc > 1:
        cmd[1:1] = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
    if nproc == 1:  # the reference runs in this process (no second torch import)
        with mock.patch.object(sys, "argv", cmd[1:]):
            runpy.run_path(str(script), run_name="__main__")
        return out
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def _load(out: Path, rank: int) -> tuple[list[np.ndarray], np.ndarray, dict]:
    import json

    data = np.load(out / f"rank{rank}.npz")
    weights = [data[f"arr_{i}"] for i in range(len(data.files) - 2)]
    preds = np.concatenate([data["pred"], data["pred_ds"]])
    return weights, preds, json.loads((out / f"rank{rank}.json").read_text())


def _compare(tmp_path: Path, nproc: int, n: int, strategy: str = "ddp") -> None:
    single = _run(tmp_path, 1, n, 5, strategy)
    multi = _run(tmp_path, nproc, n, 5, strategy)
    w1, p1, j1 = _load(single, 0)
    assert j1["world"] == 1 and j1["epochs"] == [0, 1]  # EarlyStopping after 2 epochs
    for rank in range(nproc):
        w, p, j = _load(multi, rank)
        assert j["world"] == nproc
        assert (j["progbar"] > 0) == (rank == 0)
        assert j["epochs"] == j1["epochs"]  # every rank stopped at the same epoch
        for a, b in zip(w, w1, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)
        for key, values in j1["history"].items():
            np.testing.assert_allclose(j["history"][key], values, rtol=1e-6, err_msg=key)
        for which in ("evaluate", "evaluate_ds"):
            for key, value in j1[which].items():
                np.testing.assert_allclose(j[which][key], value, rtol=1e-6, err_msg=which + key)
        assert p.shape == p1.shape
        np.testing.assert_allclose(p, p1, atol=1e-6, rtol=0)
    # Only rank 0 writes files.
    assert (multi / "log-0.csv").read_text().count("\n") == 3
    assert (multi / "ckpt-0.weights.h5").exists()
    for rank in range(1, nproc):
        assert not (multi / f"ckpt-{rank}.weights.h5").exists()
        assert not (multi / f"log-{rank}.csv").exists()


def test_two_processes_equal_one_process_on_the_global_batch(tmp_path: Path) -> None:
    # 101 examples, batch 32: the last global batch of 5 splits 3 + 2 (weighted exactly).
    _compare(tmp_path, 2, 101)


@pytest.mark.slow
def test_four_processes_equal_one_process_on_the_global_batch(tmp_path: Path) -> None:
    _compare(tmp_path, 4, 101)


def test_fsdp2_model_parallel_equals_one_process(tmp_path: Path) -> None:
    _compare(tmp_path, 2, 101, "fsdp")


MISMATCH = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    import torchbridge as keras
    from torchbridge import distribute
    from torchbridge.errors import InputError

    distribute.init()
    x = np.arange(64, dtype="float32").reshape(32, 2)
    ds = keras.data.Dataset.from_tensor_slices((x, x[:, :1])).shuffle(32, seed=distribute.rank())
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    try:
        model.fit(ds.batch(8), verbose=0)
    except InputError as e:
        assert "set_random_seed" in str(e)
        open(os.path.join(sys.argv[1], f"refused-{distribute.rank()}"), "w").close()
    distribute.shutdown()
    """
)


def test_ranks_reading_different_batches_is_an_error(tmp_path: Path) -> None:
    script = tmp_path / "mismatch.py"
    script.write_text(MISMATCH)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    proc = subprocess.run(
        [*cmd, str(script), str(tmp_path)], env=_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.glob("refused-*")) == ["refused-0", "refused-1"]
