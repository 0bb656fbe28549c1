"""TextVectorization against Keras's (TensorFlow backend), in one run.

200,000 lines of real English text: random windows of 5-30 consecutive
words from the Python documentation shipped with the interpreter
(``pydoc_data.topics``: capitals, punctuation, quotes, code fragments). Both
layers, with the default standardize/split:

* ``adapt`` on the whole list of lines (a new layer each round);
* transform in ``output_mode="int"`` with ``output_sequence_length=64``;
* ``adapt`` + transform in ``output_mode="tf_idf"`` (the output is a dense
  (batch, vocabulary) matrix, so the lines are transformed in batches).
  Keras's tf_idf ``adapt`` takes minutes (it deduplicates each row in a
  ``tf.map_fn``), so it is timed in the first round only and that time is
  reused in the later rounds.

Transforms run on batches of ``--batch`` lines (both libraries get the same
NumPy arrays of ``str``; Keras is called eagerly, as ``layer(batch)``), and
every output is read once (a NumPy ``sum``), so lazily zeroed memory is paid
for inside the timing. The outputs are checked equal before timing. Rounds alternate which library goes
first; medians of the timings and of the per-round ratios are printed.

Run: .venv/bin/python bench/text_vectorization.py [--lines 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def make_lines(n: int) -> np.ndarray:
    from pydoc_data.topics import topics

    words = " ".join(topics[k] for k in sorted(topics)).split()
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 31, n)
    starts = rng.integers(0, len(words) - 31, n)
    lines = [" ".join(words[s : s + k]) for s, k in zip(starts.tolist(), lengths.tolist())]
    return np.array(lines, dtype=object)


def batches(lines: np.ndarray, size: int) -> list[np.ndarray]:
    return [lines[i : i + size] for i in range(0, len(lines), size)]


_KERAS_TFIDF: dict[str, object] = {}


def run_keras(lines: np.ndarray, parts: list[np.ndarray]) -> dict[str, float]:
    import keras

    out: dict[str, float] = {}
    start = time.perf_counter()
    layer = keras.layers.TextVectorization(output_sequence_length=64)
    layer.adapt(lines)
    out["adapt"] = time.perf_counter() - start
    start = time.perf_counter()
    for part in parts:
        np.asarray(layer(part)).sum()
    out["int64"] = time.perf_counter() - start
    if not _KERAS_TFIDF:  # minutes (a map_fn over the rows): timed in the first round only
        start = time.perf_counter()
        tfidf = keras.layers.TextVectorization(output_mode="tf_idf")
        tfidf.adapt(lines)
        _KERAS_TFIDF["layer"] = tfidf
        _KERAS_TFIDF["time"] = time.perf_counter() - start
    tfidf = _KERAS_TFIDF["layer"]
    out["tfidf_adapt"] = float(_KERAS_TFIDF["time"])  # type: ignore[arg-type]
    start = time.perf_counter()
    for part in parts:
        np.asarray(tfidf(part)).sum()  # type: ignore[operator]
    out["tfidf"] = time.perf_counter() - start
    return out


def run_torchbridge(lines: np.ndarray, parts: list[np.ndarray]) -> dict[str, float]:
    from torchbridge.layers.preprocessing.text_vectorization import TextVectorization

    out: dict[str, float] = {}
    start = time.perf_counter()
    layer = TextVectorization(output_sequence_length=64)
    layer.adapt(lines)
    out["adapt"] = time.perf_counter() - start
    start = time.perf_counter()
    for part in parts:
        layer(part).numpy().sum()
    out["int64"] = time.perf_counter() - start
    start = time.perf_counter()
    tfidf = TextVectorization(output_mode="tf_idf")
    tfidf.adapt(lines)
    out["tfidf_adapt"] = time.perf_counter() - start
    start = time.perf_counter()
    for part in parts:
        tfidf(part).numpy().sum()
    out["tfidf"] = time.perf_counter() - start
    return out


def check_equal(lines: np.ndarray) -> None:
    import keras

    from torchbridge.layers.preprocessing.text_vectorization import TextVectorization

    sample = lines[:5000]
    for kwargs in ({"output_sequence_length": 64}, {"output_mode": "tf_idf"}):
        theirs = keras.layers.TextVectorization(**kwargs)
        ours = TextVectorization(**kwargs)
        theirs.adapt(sample)
        ours.adapt(sample)
        assert theirs.get_vocabulary() == ours.get_vocabulary(), kwargs
        np.testing.assert_allclose(
            ours(sample[:512]).numpy(), np.asarray(theirs(sample[:512])), rtol=1e-6
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1024)
    args = parser.parse_args()
    lines = make_lines(args.lines)
    parts = batches(lines, args.batch)
    check_equal(lines)
    results: dict[str, list[dict[str, float]]] = {"keras": [], "torchbridge": []}
    for r in range(args.rounds):
        order = [("keras", run_keras), ("torchbridge", run_torchbridge)]
        for name, fn in order if r % 2 == 0 else order[::-1]:
            results[name].append(fn(lines, parts))
    n = args.lines
    tokens = sum(len(s.split()) for s in lines.tolist())
    print(
        f"{n} lines ({tokens / n:.1f} words a line), batches of {args.batch}, "
        f"{args.rounds} rounds, {os.cpu_count()} CPUs"
    )
    print(
        f"{'step':<26}{'Keras s':>10}{'ours s':>10}{'Keras lines/s':>15}{'ours lines/s':>15}"
        f"{'ratio':>8}"
    )
    rows = [
        ("adapt (int vocabulary)", "adapt"),
        ("transform int, length 64", "int64"),
        ("adapt (tf_idf)", "tfidf_adapt"),
        ("transform tf_idf", "tfidf"),
    ]
    for label, key in rows:
        k = statistics.median(x[key] for x in results["keras"])
        t = statistics.median(x[key] for x in results["torchbridge"])
        ratio = statistics.median(
            a[key] / b[key] for a, b in zip(results["keras"], results["torchbridge"])
        )
        print(f"{label:<26}{k:>10.3f}{t:>10.3f}{n / k:>15,.0f}{n / t:>15,.0f}{ratio:>8.2f}")
    for label, keys in (
        ("adapt + int/64", ("adapt", "int64")),
        ("adapt + tf_idf", ("tfidf_adapt", "tfidf")),
    ):
        ratio = statistics.median(
            sum(a[k] for k in keys) / sum(b[k] for k in keys)
            for a, b in zip(results["keras"], results["torchbridge"])
        )
        print(f"{label:<26}{'':>50}{ratio:>8.2f}")
    print("ratio = Keras time / torchbridge time (higher is better for torchbridge)")


if __name__ == "__main__":
    main()
