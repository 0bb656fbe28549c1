"""Keras on TensorFlow against torchbridge, program by program (issue 17).

Each program (plain Keras code under bench/programs/, the project's examples/, or a corpus
program from ``.corpus/runnable/``) runs in a fresh subprocess under real Keras
(``KERAS_BACKEND=tensorflow``) and under torchbridge (``keras`` bound to torchbridge, as
``torchbridge run`` does), interleaved in rounds with alternating order. Both sides are
measured the same way: ``Model.fit`` is wrapped to time the whole call (wall clock) and to
add a callback that counts training steps and records the process CPU time spent inside
fit; ``Model.evaluate``'s last result is the final metric. Ratios are per round
(Keras fit seconds / torchbridge fit seconds: above 1 means torchbridge is faster) and
the table shows their median.

    .venv/bin/python bench/keras_speed.py [--rounds 3] [--programs text_cnn bilstm ...]
                                          [--threads N] [--json results.json] [--list]

Corpus programs are named ``corpus:NAME`` and run through ../shared/corpus/run.py (their
fit time is that script's ``fit_seconds``; no step count).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROGRAMS_DIR = os.path.join(HERE, "programs")
CORPUS_RUN = os.path.join(ROOT, "..", "shared", "corpus", "run.py")
CORPUS_DIR = os.path.join(ROOT, ".corpus", "runnable")

EX = "run_example.py"
PROGRAMS: dict[str, list[str]] = {
    "text_cnn": ["text_cnn.py"],
    "bilstm": ["bilstm.py"],
    "transformer": ["transformer.py"],
    "convnet_augment": ["convnet_augment.py"],
    "structured": ["structured.py"],
    "ex_convnet_digits": [EX, "convnet_digits", "epochs=8"],
    "ex_text_conv1d": [EX, "text_classification_conv1d", "epochs=4", "train_size=2000"],
    "ex_bilstm": [EX, "bidirectional_lstm", "epochs=3", "train_size=800", "sequence_length=32"],
    "ex_image_pipeline": [EX, "image_pipeline", "epochs=8"],
    "ex_tfidf_bigrams": [EX, "text_tfidf_bigrams", "epochs=4", "train_size=2000"],
}
DEFAULT = list(PROGRAMS)


# ----------------------------------------------------------------------------- child side
def _child(framework: str, script: str, argv: list[str]) -> None:
    """Run ``script`` under ``framework`` with fit/evaluate instrumented; print ``RESULT {json}``."""
    result: dict[str, Any] = {"fit_seconds": 0.0, "fit_cpu_seconds": 0.0, "steps": 0, "epochs": 0}
    threads = int(os.environ.get("KERAS_SPEED_THREADS", "0"))
    if framework == "keras":
        os.environ["KERAS_BACKEND"] = "tensorflow"
        import keras

        if threads:
            import tensorflow as tf

            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
    else:
        import torchbridge as keras

        if threads:
            import torch

            torch.set_num_threads(threads)

    class Counter(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            result["steps"] += 1

        def on_epoch_end(self, epoch, logs=None):
            result["epochs"] += 1

    original_fit, original_evaluate = keras.Model.fit, keras.Model.evaluate

    def fit(self, *args, **kwargs):
        kwargs["callbacks"] = [*list(kwargs.get("callbacks") or []), Counter()]
        wall, cpu = time.perf_counter(), time.process_time()
        history = original_fit(self, *args, **kwargs)
        result["fit_seconds"] += time.perf_counter() - wall
        result["fit_cpu_seconds"] += time.process_time() - cpu
        result["history_last"] = {k: float(v[-1]) for k, v in history.history.items() if v}
        return history

    def evaluate(self, *args, **kwargs):
        as_dict = kwargs.pop("return_dict", False)
        out = original_evaluate(self, *args, return_dict=True, **kwargs)
        result["evaluate"] = {k: float(v) for k, v in out.items()}
        if as_dict:
            return out
        values = list(out.values())
        return values[0] if len(values) == 1 else values

    keras.Model.fit, keras.Model.evaluate = fit, evaluate
    path = os.path.join(PROGRAMS_DIR, script)
    if framework == "keras":
        import runpy

        sys.argv = [path, *argv]
        sys.path.insert(0, PROGRAMS_DIR)
        runpy.run_path(path, run_name="__main__")
    else:
        from torchbridge.cli import run_script

        code = run_script([path, *argv])
        if code:
            raise SystemExit(code)
    print("RESULT " + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------- parent side
def _run(framework: str, name: str, threads: int = 0) -> dict[str, Any]:
    env = dict(os.environ, PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="2")
    if threads:
        env.update(KERAS_SPEED_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    if name.startswith("corpus:"):
        program = os.path.join(CORPUS_DIR, name.split(":", 1)[1] + ".py")
        fw = "keras" if framework == "keras" else "torchbridge"
        command = [sys.executable, CORPUS_RUN, "--framework", fw, program]
    else:
        script, *argv = PROGRAMS[name]
        command = [sys.executable, __file__, "--child", framework, script, *argv]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - start
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"status": "fail", "error": " | ".join(tail), "wall_seconds": wall}
    result = json.loads(lines[-1][len("RESULT ") :])
    if name.startswith("corpus:"):
        result["evaluate"] = result.get("evaluate_last") or {}
        if result.get("status") != "ok":
            return {"status": "fail", "error": str(result.get("error")), "wall_seconds": wall}
    result.update(status="ok", wall_seconds=wall)
    return result


def _metric(result: dict[str, Any]) -> str:
    values = result.get("evaluate") or {
        k: v for k, v in (result.get("history_last") or {}).items() if k.startswith("val_")
    }
    if isinstance(values, list):
        values = {f"m{i}": v for i, v in enumerate(values)}
    parts = [f"{k} {v:.3f}" for k, v in values.items() if k != "loss" or len(values) == 1]
    return ", ".join(parts) or "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--programs", nargs="+", default=DEFAULT, help="names; corpus:NAME too")
    parser.add_argument("--json", default=None, help="write every run's result here")
    parser.add_argument(
        "--threads", type=int, default=0, help="CPU threads for both (0: each library's default)"
    )
    parser.add_argument("--list", action="store_true", help="list the program names and exit")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args.child[2:])
        return
    if args.list:
        print("\n".join(DEFAULT))
        return
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name in args.programs:
        runs[name] = {"keras": [], "torchbridge": []}
        for r in range(args.rounds):
            order = ["keras", "torchbridge"] if r % 2 == 0 else ["torchbridge", "keras"]
            for framework in order:
                result = _run(framework, name, args.threads)
                runs[name][framework].append(result)
                print(
                    f"  {name} round {r + 1} {framework}: "
                    + (
                        f"fit {result['fit_seconds']:.2f} s "
                        f"(cpu {result.get('fit_cpu_seconds', 0):.2f} s), {_metric(result)}"
                        if result["status"] == "ok"
                        else f"FAILED {result['error']}"
                    ),
                    file=sys.stderr,
                    flush=True,
                )
    print(
        "| program | Keras-TF fit s | torchbridge fit s | Keras/tb fit time | Keras/tb CPU s "
        "| steps/s Keras / tb | Keras-TF metric | torchbridge metric |"
    )
    print("|---|---:|---:|---:|---:|---|---|---|")
    for name, both in runs.items():
        ok = [
            (k, t)
            for k, t in zip(both["keras"], both["torchbridge"])
            if k["status"] == "ok" and t["status"] == "ok"
        ]
        if not ok:
            fails = [r["error"] for side in both.values() for r in side if r["status"] != "ok"]
            print(f"| {name} | failed: {fails[0][:120] if fails else '?'} | | | | | | |")
            continue
        kfit = statistics.median(k["fit_seconds"] for k, _ in ok)
        tfit = statistics.median(t["fit_seconds"] for _, t in ok)
        ratio = statistics.median(k["fit_seconds"] / t["fit_seconds"] for k, t in ok)
        cpu = "-"
        if all(k.get("fit_cpu_seconds") and t.get("fit_cpu_seconds") for k, t in ok):
            cpu = f"{statistics.median(k['fit_cpu_seconds'] / t['fit_cpu_seconds'] for k, t in ok):.2f}"
        rates = "-"
        if ok[0][0].get("steps"):
            krate = statistics.median(k["steps"] / k["fit_seconds"] for k, _ in ok)
            trate = statistics.median(t["steps"] / t["fit_seconds"] for _, t in ok)
            rates = f"{krate:.0f} / {trate:.0f}"
        print(
            f"| {name} | {kfit:.2f} | {tfit:.2f} | **{ratio:.2f}** | {cpu} | {rates} "
            f"| {_metric(ok[-1][0])} | {_metric(ok[-1][1])} |"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(runs, handle, indent=1)


if __name__ == "__main__":
    main()
