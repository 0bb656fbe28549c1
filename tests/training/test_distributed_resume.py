"""A distributed fit interrupted and resumed under torchrun ends where an uninterrupted one
does; resuming with another number of processes is refused (CPU, gloo)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

WORKER = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    import torch
    import torchbridge as keras
    from torchbridge import distribute

    backup, out, stop_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    distribute.init()

    class Interrupt(keras.callbacks.Callback):
        started = False

        def on_train_batch_begin(self, batch, logs=None):
            if not self.started and distribute.rank() == 0:
                print("FIRST_STEP", int(self.model.optimizer.iterations), flush=True)
            self.started = True

        def on_train_batch_end(self, batch, logs=None):
            if stop_at and self.model.optimizer.iterations == stop_at:
                raise KeyboardInterrupt  # the same step on every rank

    rs = np.random.RandomState(0)
    x = rs.normal(size=(96, 4)).astype("float32")
    y = (x @ rs.normal(size=(4, 1))).astype("float32")
    torch.manual_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="mse")
    callbacks = [keras.callbacks.BackupAndRestore(backup, save_freq=1), Interrupt()]
    try:
        model.fit(x, y, batch_size=16, epochs=3, shuffle=True, verbose=0, callbacks=callbacks)
    except KeyboardInterrupt:
        distribute.shutdown()
        sys.exit(3)
    except Exception as e:
        print("ERROR", type(e).__name__, e, flush=True)
        distribute.shutdown()
        sys.exit(4)
    if distribute.rank() == 0:
        np.savez(out, *model.get_weights())
    distribute.shutdown()
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    return env


def _run(tmp: Path, nproc: int, backup: str, out: str, stop_at: int) -> subprocess.CompletedProcess:
    script = tmp / "worker.py"
    script.write_text(WORKER)
    cmd = [sys.executable, str(script), str(tmp / backup), str(tmp / out), str(stop_at)]
    if nproc > 1:
        cmd[1:1] = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
    return subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_an_interrupted_two_process_fit_resumes_to_the_same_weights(tmp_path: Path) -> None:
    control = _run(tmp_path, 2, "control_backup", "control.npz", 0)
    assert control.returncode == 0, control.stdout[-2000:] + control.stderr[-2000:]
    first = _run(tmp_path, 2, "backup", "resumed.npz", 8)  # mid-epoch 2 (6 steps per epoch)
    assert first.returncode != 0 and not (tmp_path / "resumed.npz").exists()
    assert (tmp_path / "backup" / "training_metadata.json").exists()
    resumed = _run(tmp_path, 2, "backup", "resumed.npz", 0)
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    # it continued from the last backup (step 7: step 8's hooks were interrupted), mid-epoch
    assert "FIRST_STEP 7" in resumed.stdout, resumed.stdout[-2000:]
    expected, got = np.load(tmp_path / "control.npz"), np.load(tmp_path / "resumed.npz")
    for key in expected.files:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


@pytest.mark.slow
def test_resuming_with_another_number_of_processes_is_refused(tmp_path: Path) -> None:
    first = _run(tmp_path, 2, "backup", "out.npz", 8)
    assert first.returncode != 0
    single = _run(tmp_path, 1, "backup", "out.npz", 0)
    assert single.returncode == 4
    assert "running on 2 process(es); this one runs on 1" in single.stdout
