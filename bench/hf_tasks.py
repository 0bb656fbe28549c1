"""Task models against the Transformers ``Trainer``: fit + evaluate time per task (issue 19).

For each task, the same tiny checkpoint (built here: BERT / GPT-2 / T5 with hidden size 64,
2 layers, a WordPiece tokenizer trained on the synthetic data), the same synthetic data, batch
size, epochs and learning rate, trained two ways, timed from the raw rows to the end of the
evaluation (tokenization and the task's metrics included; loading the model is not):

  Trainer     the task guide's recipe: ``datasets.Dataset.map(preprocess)``, the guide's
              data collator, ``Trainer.train()`` (no evaluation or saving during training,
              ``report_to=[]``, ``dataloader_num_workers=0``, ``use_cpu=True``), then
              ``Trainer.evaluate()`` with the guide's metric (accuracy, seqeval, perplexity;
              seq2seq: ``Seq2SeqTrainer`` with ``predict_with_generate`` and sacrebleu BLEU)
  torchbridge the task model: ``from_pretrained`` → ``compile`` → ``fit(raw rows)`` →
              ``evaluate(raw rows)`` (its default metrics)

Both get the same optimizer, ``torch.optim.AdamW(lr, eps=1e-8, weight_decay=0)`` built on
the model's parameters, a constant learning rate and no gradient clipping. Progress output
goes to a buffer. Rounds interleave the two (rotating which goes first); medians are
reported, and the ratio Trainer seconds / torchbridge seconds (> 1: torchbridge faster;
issue 19's target is ≥ 1.2).

Run: .venv/bin/python bench/hf_tasks.py [--rounds 3] [--tasks text-classification ...]
     [--rows 512] [--epochs 2] [--batch 16] [--threads 2]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

LR = 5e-4
WORDS = [
    "the",
    "a",
    "red",
    "blue",
    "green",
    "cat",
    "dog",
    "bird",
    "runs",
    "jumps",
    "sleeps",
    "eats",
    "quickly",
    "slowly",
    "today",
    "tomorrow",
    "in",
    "on",
    "under",
    "house",
    "tree",
    "river",
    "city",
    "paris",
    "london",
    "john",
    "mary",
    "works",
    "plays",
]
ENTITIES = {"paris": "LOC", "london": "LOC", "john": "PER", "mary": "PER"}
TAGS = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
SETTINGS: dict[str, Any] = {}


@contextlib.contextmanager
def quiet() -> Any:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


# --- data and checkpoints --------------------------------------------------------------------
def sentences(n: int, seed: int) -> list[list[str]]:
    r = random.Random(seed)
    return [[r.choice(WORDS) for _ in range(r.randint(6, 20))] for _ in range(n)]


def make_checkpoints(root: str) -> dict[str, str]:
    import transformers
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    corpus = [" ".join(s) for s in sentences(200, 99)]
    tok.train_from_iterator(
        corpus, trainers.WordPieceTrainer(vocab_size=200, special_tokens=special)
    )
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", eos_token="[SEP]", model_max_length=128,
    )  # fmt: skip
    vocab, pad = len(tokenizer), tokenizer.pad_token_id
    torch.manual_seed(0)
    bert = transformers.BertConfig(
        vocab_size=vocab, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=128, max_position_embeddings=128, pad_token_id=pad,
    )  # fmt: skip
    gpt = transformers.GPT2Config(
        vocab_size=vocab, n_embd=64, n_layer=2, n_head=4, n_positions=128,
        bos_token_id=cls_id, eos_token_id=sep_id, pad_token_id=pad,
    )  # fmt: skip
    t5 = transformers.T5Config(
        vocab_size=vocab, d_model=64, d_ff=128, d_kv=16, num_layers=2, num_heads=4,
        pad_token_id=pad, eos_token_id=sep_id, decoder_start_token_id=pad,
    )  # fmt: skip
    out = {}
    for name, model in (
        ("bert", transformers.BertForMaskedLM(bert)),
        ("gpt", transformers.GPT2LMHeadModel(gpt)),
        ("t5", transformers.T5ForConditionalGeneration(t5)),
    ):
        path = os.path.join(root, name)
        model.save_pretrained(path)
        tokenizer.save_pretrained(path)
        out[name] = path
    return out


def adamw(module: torch.nn.Module) -> torch.optim.Optimizer:
    return torch.optim.AdamW(module.parameters(), lr=LR, eps=1e-8, weight_decay=0.0)


def trainer_args(**extra: Any) -> Any:
    from transformers import Seq2SeqTrainingArguments

    return Seq2SeqTrainingArguments(
        output_dir=os.path.join(tempfile.gettempdir(), "torchbridge_bench_hf_tasks"),
        per_device_train_batch_size=SETTINGS["batch"],
        per_device_eval_batch_size=SETTINGS["batch"],
        num_train_epochs=SETTINGS["epochs"],
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
        **extra,
    )


def _trainer(model: Any, train: Any, evaluation: Any, collator: Any, **kw: Any) -> Any:
    from transformers import Seq2SeqTrainer

    return Seq2SeqTrainer(
        model=model,
        args=kw.pop("args", None) or trainer_args(),
        train_dataset=train,
        eval_dataset=evaluation,
        data_collator=collator,
        optimizers=(adamw(model), None),
        **kw,
    )


# --- text classification ---------------------------------------------------------------------
def cls_data(n: int, seed: int) -> tuple[list[str], list[int]]:
    rows = sentences(n, seed)
    return [" ".join(r) for r in rows], [int("cat" in r or "dog" in r) for r in rows]


def tc_trainer(ckpt: dict[str, str], train: Any, test: Any) -> float:
    import datasets
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
    )

    tok = AutoTokenizer.from_pretrained(ckpt["bert"])
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(ckpt["bert"], num_labels=2)
    start = time.perf_counter()

    def prep(split: Any) -> Any:
        ds = datasets.Dataset.from_dict({"text": split[0], "label": split[1]})
        return ds.map(lambda b: tok(b["text"], truncation=True), batched=True)

    def accuracy(p: Any) -> dict[str, float]:
        return {"accuracy": float((np.argmax(p.predictions, -1) == p.label_ids).mean())}

    trainer = _trainer(
        model, prep(train), prep(test), DataCollatorWithPadding(tok), compute_metrics=accuracy
    )
    trainer.train()
    trainer.evaluate()
    return time.perf_counter() - start


def tc_torchbridge(ckpt: dict[str, str], train: Any, test: Any) -> float:
    from torchbridge import hf

    torch.manual_seed(0)
    clf = hf.TextClassifier.from_pretrained(ckpt["bert"], label_names=["no", "yes"])
    clf.compile(optimizer=adamw(clf.model.module), metrics=["accuracy"])
    start = time.perf_counter()
    clf.fit(*train, batch_size=SETTINGS["batch"], epochs=SETTINGS["epochs"], verbose=0)
    clf.evaluate(*test, batch_size=SETTINGS["batch"], verbose=0)
    return time.perf_counter() - start


# --- token classification ----------------------------------------------------------------------
def ner_data(n: int, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    rows = sentences(n, seed)
    return rows, [[f"B-{ENTITIES[w]}" if w in ENTITIES else "O" for w in r] for r in rows]


def ner_trainer(ckpt: dict[str, str], train: Any, test: Any) -> float:
    import datasets
    from seqeval.metrics import classification_report
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
    )

    tok = AutoTokenizer.from_pretrained(ckpt["bert"])
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(
        ckpt["bert"], num_labels=len(TAGS), id2label=dict(enumerate(TAGS))
    )
    start = time.perf_counter()

    def align(batch: Any) -> Any:  # the guide's tokenize_and_align_labels
        enc = tok(batch["tokens"], truncation=True, is_split_into_words=True)
        labels = []
        for i, tags in enumerate(batch["ner_tags"]):
            previous, row = None, []
            for w in enc.word_ids(batch_index=i):
                row.append(-100 if w is None or w == previous else tags[w])
                previous = w
            labels.append(row)
        enc["labels"] = labels
        return enc

    def prep(split: Any) -> Any:
        ids = [[TAGS.index(t) for t in row] for row in split[1]]
        ds = datasets.Dataset.from_dict({"tokens": split[0], "ner_tags": ids})
        return ds.map(align, batched=True)

    def seqeval(p: Any) -> dict[str, float]:
        preds = np.argmax(p.predictions, axis=2)
        true = [[TAGS[t] for t in row if t != -100] for row in p.label_ids]
        pred = [
            [TAGS[q] for q, t in zip(qs, ts, strict=True) if t != -100]
            for qs, ts in zip(preds, p.label_ids, strict=True)
        ]
        report = classification_report(true, pred, output_dict=True, zero_division=0)
        return {"f1": report["micro avg"]["f1-score"]}

    trainer = _trainer(
        model,
        prep(train),
        prep(test),
        DataCollatorForTokenClassification(tok),
        compute_metrics=seqeval,
    )
    trainer.train()
    trainer.evaluate()
    return time.perf_counter() - start


def ner_torchbridge(ckpt: dict[str, str], train: Any, test: Any) -> float:
    from torchbridge import hf

    torch.manual_seed(0)
    ner = hf.TokenClassifier.from_pretrained(ckpt["bert"], label_names=TAGS)
    ner.compile(optimizer=adamw(ner.model.module))
    start = time.perf_counter()
    ner.fit(*train, batch_size=SETTINGS["batch"], epochs=SETTINGS["epochs"], verbose=0)
    ner.evaluate(*test, batch_size=SETTINGS["batch"], verbose=0)
    return time.perf_counter() - start


# --- causal and masked language modelling ------------------------------------------------------
BLOCK = 32


def lm_data(n: int, seed: int) -> list[str]:
    return [" ".join(r) for r in sentences(n, seed)]


def _lm_trainer(ckpt: str, auto: str, mlm: bool, train: list[str], test: list[str]) -> float:
    import datasets
    import transformers
    from transformers import AutoTokenizer, DataCollatorForLanguageModeling

    tok = AutoTokenizer.from_pretrained(ckpt)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    torch.manual_seed(0)
    model = getattr(transformers, auto).from_pretrained(ckpt)
    start = time.perf_counter()

    def group_texts(examples: Any) -> Any:  # the guide's
        joined = {k: sum(examples[k], []) for k in examples}  # noqa: RUF017
        total = (len(joined["input_ids"]) // BLOCK) * BLOCK
        return {k: [t[i : i + BLOCK] for i in range(0, total, BLOCK)] for k, t in joined.items()}

    def prep(texts: list[str]) -> Any:
        ds = datasets.Dataset.from_dict({"text": texts})
        ds = ds.map(lambda b: tok(b["text"]), batched=True, remove_columns=["text"])
        return ds.map(group_texts, batched=True)

    collator = DataCollatorForLanguageModeling(tok, mlm=mlm, mlm_probability=0.15)
    trainer = _trainer(model, prep(train), prep(test), collator)
    trainer.train()
    math.exp(trainer.evaluate()["eval_loss"])
    return time.perf_counter() - start


def clm_trainer(ckpt: dict[str, str], train: Any, test: Any) -> float:
    return _lm_trainer(ckpt["gpt"], "AutoModelForCausalLM", False, train, test)


def mlm_trainer(ckpt: dict[str, str], train: Any, test: Any) -> float:
    return _lm_trainer(ckpt["bert"], "AutoModelForMaskedLM", True, train, test)


def _lm_torchbridge(task: Any, train: list[str], test: list[str]) -> float:
    task.compile(optimizer=adamw(task.model.module))
    start = time.perf_counter()
    task.fit(train, batch_size=SETTINGS["batch"], epochs=SETTINGS["epochs"], verbose=0)
    task.evaluate(test, batch_size=SETTINGS["batch"], verbose=0)
    return time.perf_counter() - start


def clm_torchbridge(ckpt: dict[str, str], train: Any, test: Any) -> float:
    from torchbridge import hf

    torch.manual_seed(0)
    return _lm_torchbridge(hf.CausalLM.from_pretrained(ckpt["gpt"], block_size=BLOCK), train, test)


def mlm_torchbridge(ckpt: dict[str, str], train: Any, test: Any) -> float:
    from torchbridge import hf

    torch.manual_seed(0)
    return _lm_torchbridge(hf.MaskedLM.from_pretrained(ckpt["bert"], block_size=BLOCK), train, test)


# --- seq2seq -----------------------------------------------------------------------------------
S2S_TARGET = 24


def s2s_data(n: int, seed: int) -> tuple[list[str], list[str]]:
    rows = sentences(n, seed)
    return [" ".join(r) for r in rows], [" ".join(reversed(r[:8])) for r in rows]


def s2s_trainer(ckpt: dict[str, str], train: Any, test: Any) -> float:
    import datasets
    import sacrebleu
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, DataCollatorForSeq2Seq

    tok = AutoTokenizer.from_pretrained(ckpt["t5"])
    torch.manual_seed(0)
    model = AutoModelForSeq2SeqLM.from_pretrained(ckpt["t5"])
    start = time.perf_counter()

    def prep(split: Any) -> Any:
        ds = datasets.Dataset.from_dict({"source": split[0], "target": split[1]})
        return ds.map(
            lambda b: tok(
                b["source"], text_target=b["target"], truncation=True, max_length=S2S_TARGET * 2
            ),
            batched=True,
            remove_columns=["source", "target"],
        )

    def bleu(p: Any) -> dict[str, float]:
        preds = np.where(p.predictions != -100, p.predictions, tok.pad_token_id)
        labels = np.where(p.label_ids != -100, p.label_ids, tok.pad_token_id)
        decoded = tok.batch_decode(preds, skip_special_tokens=True)
        refs = tok.batch_decode(labels, skip_special_tokens=True)
        return {"bleu": sacrebleu.corpus_bleu(decoded, [refs]).score}

    args = trainer_args(predict_with_generate=True, generation_max_length=S2S_TARGET)
    trainer = _trainer(
        model,
        prep(train),
        prep(test),
        DataCollatorForSeq2Seq(tok, model=model),
        compute_metrics=bleu,
        args=args,
    )
    trainer.train()
    trainer.evaluate()
    return time.perf_counter() - start


def s2s_torchbridge(ckpt: dict[str, str], train: Any, test: Any) -> float:
    from torchbridge import hf

    torch.manual_seed(0)
    s2s = hf.Seq2SeqLM.from_pretrained(
        ckpt["t5"], max_source_length=S2S_TARGET * 2, max_target_length=S2S_TARGET
    )
    s2s.compile(optimizer=adamw(s2s.model.module), metrics=[])
    start = time.perf_counter()
    s2s.fit(*train, batch_size=SETTINGS["batch"], epochs=SETTINGS["epochs"], verbose=0)
    s2s.evaluate(*test, batch_size=SETTINGS["batch"], verbose=0, text_metrics=("bleu",))
    return time.perf_counter() - start


# task → (data(n, seed), Trainer run, torchbridge run)
TASKS: dict[str, tuple[Callable[..., Any], Callable[..., float], Callable[..., float]]] = {
    "text-classification": (cls_data, tc_trainer, tc_torchbridge),
    "token-classification": (ner_data, ner_trainer, ner_torchbridge),
    "causal-lm": (lm_data, clm_trainer, clm_torchbridge),
    "masked-lm": (lm_data, mlm_trainer, mlm_torchbridge),
    "seq2seq-lm": (s2s_data, s2s_trainer, s2s_torchbridge),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS))
    parser.add_argument("--rows", type=int, default=512, help="training rows (evaluation: 1/4)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    SETTINGS.update(batch=args.batch, epochs=args.epochs)
    torch.set_num_threads(args.threads)

    import transformers
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    root = tempfile.mkdtemp(prefix="torchbridge_bench_tasks_")
    with quiet():
        ckpt = make_checkpoints(root)
    results: dict[str, dict[str, list[float]]] = {}
    for task in args.tasks:
        data, trainer_run, ours_run = TASKS[task]
        train, test = data(args.rows, 0), data(max(args.rows // 4, 8), 1)
        runs = {"Trainer": trainer_run, "torchbridge": ours_run}
        with quiet():  # warm-up: lazy imports, kernels
            small = data(args.batch * 2, 2)
            for fn in runs.values():
                fn(ckpt, small, small)
        seconds: dict[str, list[float]] = {k: [] for k in runs}
        names = list(runs)
        for r in range(args.rounds):
            for name in names[r % 2 :] + names[: r % 2]:
                with quiet():
                    seconds[name].append(runs[name](ckpt, train, test))
                print(
                    f"  {task:22s} round {r + 1}: {name:12s} {seconds[name][-1]:7.2f}s", flush=True
                )
        results[task] = seconds

    print(
        f"\ntorch {torch.__version__}, transformers {transformers.__version__}, "
        f"{torch.get_num_threads()} threads; {args.rows} training rows, batch {args.batch}, "
        f"{args.epochs} epochs, lr {LR}, {args.rounds} round(s), medians"
    )
    print(f"{'task':22s} {'Trainer s':>10s} {'torchbridge s':>14s} {'Trainer/torchbridge':>20s}")
    for task, seconds in results.items():
        t, o = statistics.median(seconds["Trainer"]), statistics.median(seconds["torchbridge"])
        print(f"{task:22s} {t:10.2f} {o:14.2f} {t / o:20.2f}")


if __name__ == "__main__":
    main()
