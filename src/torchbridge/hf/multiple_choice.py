"""``MultipleChoice``: multiple-choice question answering (SWAG-style) the Keras way.

::

    mc = torchbridge.hf.MultipleChoice.from_pretrained(path)   # AutoModelForMultipleChoice
    mc.compile()                          # AdamW(5e-5); the model's own loss; accuracy
    mc.fit(rows, epochs=3)                # {"context", "question"?, "choices": [...], "label"}
                                          # or SWAG columns sent1 / sent2 / ending0.. / label
    mc.evaluate(rows)                     # loss, accuracy
    mc.predict(rows)                      # per row: {"label", "choice", "scores"}
    mc.save("mc")                         # AutoModelForMultipleChoice loads it

* **Rows.** A row is a context (``context`` or SWAG's ``sent1``), an optional
  question / prefix (``question``, ``prefix`` or ``sent2``), its choices
  (``choices``, or ``ending0``, ``ending1`` ... in order) and, to train, ``label``
  (the right choice's index, or its text). Rows are a list of dicts, a dict of
  columns or a ``datasets.Dataset``. Rows may have different numbers of choices.
* **Tokenization** is the transformers guide's: the context is repeated once per
  choice and paired with ``"<question> <choice>"`` (the choice alone without a
  question), the pairs are tokenized flat with ``truncation=True`` and cut back into
  one list of choices per row.
* **Ragged choices.** Each batch is padded to its longest choice and to its largest
  number of choices. A padded choice is a row of pad tokens that attends to its first
  position only (so no attention row is empty); a forward hook on the model
  (:class:`ChoiceMask`) sets the logit of every choice made only of pad tokens to the
  dtype's minimum before the loss, the metrics and the softmax see it, so a padded
  choice never wins and takes no share of the loss or the scores. Rows with equal
  numbers of choices give exactly the model's own logits and loss.
* **predict** gives, per row, the chosen ``label`` (index), ``choice`` (text) and
  ``scores`` (softmax over that row's real choices).
* **Bad input** (no rows, fewer than two choices, an empty text, a label out of range
  for its row, a checkpoint without a multiple-choice head) raises
  :class:`~torchbridge.errors.InputError` naming the row and the field, before any
  training step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from torchbridge.errors import InputError
from torchbridge.hf._imports import require_transformers
from torchbridge.hf._task_common import (
    compile_task_model,
    load_task_model,
    read_meta,
    require_compiled,
    split_off_validation,
    write_meta,
)
from torchbridge.hf.model import HFModel
from torchbridge.hf.text_batches import forward_inputs, hf_dataset_kind

__all__ = ["ChoiceMask", "MultipleChoice"]

FORMAT_VERSION = 1
_FORMAT = "torchbridge.hf.MultipleChoice"
_TOKEN_KEYS = ("input_ids", "attention_mask", "token_type_ids")


class ChoiceMask:
    """Forward hook (``register_forward_hook(..., with_kwargs=True)``) of a multiple-choice
    model: choices whose ``input_ids`` are all ``pad_id`` (padding added to rows with fewer
    choices) get the lowest logit, and the loss is recomputed on the masked logits."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = int(pad_id)

    def __call__(self, module: Any, args: Any, kwargs: Mapping[str, Any], output: Any) -> Any:
        ids = kwargs.get("input_ids")
        logits = getattr(output, "logits", None)
        if not isinstance(ids, Tensor) or ids.ndim != 3 or not isinstance(logits, Tensor):
            return None
        padded = (ids == self.pad_id).all(-1)
        logits = logits.masked_fill(padded, torch.finfo(logits.dtype).min)
        output["logits"] = logits
        labels = kwargs.get("labels")
        if isinstance(labels, Tensor):
            output["loss"] = torch.nn.functional.cross_entropy(logits.float(), labels.long())
        return output


class ChoiceCollator:
    """Row dicts of per-choice token lists (+ ``labels``) → tensors ``(batch, choices,
    tokens)`` padded to the batch's longest choice and largest number of choices (a padded
    choice: pad tokens attending to their first position, masked by :class:`ChoiceMask`)."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = int(pad_id)

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, Tensor]:
        keys = [k for k in rows[0] if k != "labels"]
        n = max(len(r["input_ids"]) for r in rows)
        length = max(len(c) for r in rows for c in r["input_ids"])
        out: dict[str, Tensor] = {}
        for key in keys:
            fill = self.pad_id if key == "input_ids" else 0
            arr = np.full((len(rows), n, length), fill, dtype=np.int64)
            for i, r in enumerate(rows):
                for j, choice in enumerate(r[key]):
                    arr[i, j, : len(choice)] = choice
                if key == "attention_mask":
                    arr[i, len(r[key]) :, 0] = 1  # padded choices: no empty attention row
            out[key] = torch.from_numpy(arr)
        if "labels" in rows[0]:
            out["labels"] = torch.tensor([int(r["labels"]) for r in rows], dtype=torch.long)
        return out


def _text(value: Any, row: int, field: str) -> str:
    if not isinstance(value, str):
        raise InputError(
            f"Row {row}, field {field!r}: expected a string, got {type(value).__name__}."
        )
    if not value.strip():
        raise InputError(f"Row {row}, field {field!r} is empty; give it a text or drop the row.")
    return value


class _Row:
    __slots__ = ("choices", "context", "label", "question")

    def __init__(
        self, context: str, question: str | None, choices: list[str], label: int | None
    ) -> None:
        self.context = context
        self.question = question
        self.choices = choices
        self.label = label


def _read_row(raw: Any, i: int, label: Any) -> _Row:
    if not isinstance(raw, Mapping):
        raise InputError(
            f"Row {i}: expected a dict with 'context', 'choices' (and 'label'), got "
            f"{type(raw).__name__}."
        )
    field = "context" if "context" in raw else "sent1"
    if field not in raw:
        raise InputError(
            f"Row {i} has no 'context' (or SWAG 'sent1') field (fields: {list(raw)}); put the "
            "text every choice continues under 'context'."
        )
    context = _text(raw[field], i, field)
    question = None
    for name in ("question", "prefix", "sent2"):
        if raw.get(name) is not None:
            question = raw[name]
            if not isinstance(question, str):
                raise InputError(
                    f"Row {i}, field {name!r}: expected a string, got {type(question).__name__}."
                )
            question = question.strip() or None
            break
    names: list[str] | None = None
    if "choices" in raw:
        values = raw["choices"]
        if isinstance(values, str) or not isinstance(values, (Sequence, np.ndarray)):
            raise InputError(
                f"Row {i}, field 'choices': expected a list of texts, got {type(values).__name__}."
            )
        values = list(values)
    else:
        names = []
        while f"ending{len(names)}" in raw:
            names.append(f"ending{len(names)}")
        values = [raw[k] for k in names]
    if len(values) < 2:
        raise InputError(
            f"Row {i}, field {'choices' if names is None else 'ending0..'!r} has "
            f"{len(values)} choice(s); a multiple-choice row needs at least 2 (give "
            "'choices': [...] or ending0, ending1, ...)."
        )
    choices = [
        _text(v, i, f"choices[{j}]" if names is None else names[j]) for j, v in enumerate(values)
    ]
    if label is None:
        label = raw.get("label", raw.get("labels"))
    return _Row(context, question, choices, None if label is None else _label(label, choices, i))


def _label(label: Any, choices: list[str], i: int) -> int:
    if isinstance(label, str) and label in choices:
        return choices.index(label)
    if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
        if 0 <= int(label) < len(choices):
            return int(label)
        raise InputError(
            f"Row {i}, field 'label': {int(label)} is out of range for a row of "
            f"{len(choices)} choices (valid 0..{len(choices) - 1}). Labels are 0-based "
            "choice indices; subtract 1 if yours start at 1."
        )
    raise InputError(
        f"Row {i}, field 'label': {label!r} is neither a choice index nor one of the row's "
        "choices; give the right choice's index (0-based)."
    )


class MultipleChoice:
    """A tokenizer + a multiple-choice model (see the module docstring)."""

    def __init__(self, model: HFModel, tokenizer: Any, max_length: int | None = None) -> None:
        if model.task != "multiple-choice":
            raise InputError(
                f"MultipleChoice needs a multiple-choice model; {type(model.module).__name__} "
                f"is a {model.task or 'bare'} model. Load the checkpoint with "
                "MultipleChoice.from_pretrained(path) (AutoModelForMultipleChoice)."
            )
        self.model = model
        self.tokenizer = tokenizer
        limit = getattr(tokenizer, "model_max_length", None)
        self.max_length = max_length or (limit if isinstance(limit, int) and limit < 10**6 else 512)
        pad = getattr(tokenizer, "pad_token_id", None)
        self.pad_id = int(pad) if isinstance(pad, int) else 0
        self._inputs = forward_inputs(model)
        self.collator = ChoiceCollator(self.pad_id)
        hooks = model.module._forward_hooks.values()
        if not any(isinstance(h, ChoiceMask) for h in hooks):
            model.module.register_forward_hook(ChoiceMask(self.pad_id), with_kwargs=True)

    @classmethod
    def from_pretrained(
        cls,
        checkpoint: str | os.PathLike[str],
        max_length: int | None = None,
        tokenizer: Any = None,
        **kwargs: Any,
    ) -> MultipleChoice:
        """A checkpoint (a folder or Hub name) loaded with ``AutoModelForMultipleChoice`` (a new
        head on an encoder checkpoint) and its tokenizer; ``kwargs`` go to ``from_pretrained``."""
        source = os.fspath(checkpoint)
        meta = read_meta(source, _FORMAT, FORMAT_VERSION)
        model = load_task_model(source, "multiple-choice", "MultipleChoice", **kwargs)
        if tokenizer is None:
            transformers = require_transformers("MultipleChoice.from_pretrained")
            tokenizer = transformers.AutoTokenizer.from_pretrained(source)
        return cls(model, tokenizer, max_length or meta.get("max_length"))

    # --- rows → tokens -------------------------------------------------------------------------
    def read_rows(self, x: Any, y: Any = None, what: str = "fit") -> list[_Row]:
        """Rows (a list of dicts, a dict of columns, a ``datasets.Dataset``), checked."""
        if hf_dataset_kind(x) is not None:
            raw: list[Any] = [dict(r) for r in x]
        elif isinstance(x, Mapping):
            lengths = {k: len(v) for k, v in x.items() if not isinstance(v, str)}
            if len(set(lengths.values())) > 1 or len(lengths) != len(x):
                raise InputError(
                    f"{what}: the columns of x have different numbers of rows {lengths}; give "
                    "one entry per row in every column (or pass a list of row dicts)."
                )
            n = next(iter(lengths.values()), 0)
            raw = [{k: v[i] for k, v in x.items()} for i in range(n)]
        elif isinstance(x, (list, tuple)):
            raw = list(x)
        else:
            raise InputError(
                f"{what}: x must be rows (a list of dicts with 'context' and 'choices'), a "
                f"dict of columns or a datasets.Dataset, got {type(x).__name__}."
            )
        if not raw:
            raise InputError(
                f"{what} got no rows: pass at least one {{'context', 'choices', 'label'}} row."
            )
        labels = None if y is None else list(y)
        if labels is not None and len(labels) != len(raw):
            raise InputError(f"{what}: x has {len(raw)} rows but y has {len(labels)} labels.")
        return [_read_row(r, i, None if labels is None else labels[i]) for i, r in enumerate(raw)]

    def encode(self, rows: Sequence[_Row]) -> list[dict[str, Any]]:
        """The guide's tokenization: (context, "question choice") pairs, flat, then one list
        of choices per row (plus ``labels`` when the rows have them)."""
        first = [r.context for r in rows for _ in r.choices]
        second = [f"{r.question} {c}" if r.question else c for r in rows for c in r.choices]
        enc = self.tokenizer(first, second, truncation=True, max_length=self.max_length)
        keys = [
            k
            for k in _TOKEN_KEYS
            if k in enc and (self._inputs is None or k in self._inputs or k == "input_ids")
        ]
        out, start = [], 0
        for r in rows:
            end = start + len(r.choices)
            item: dict[str, Any] = {k: list(enc[k][start:end]) for k in keys}
            if r.label is not None:
                item["labels"] = r.label
            out.append(item)
            start = end
        return out

    def _labelled(self, x: Any, y: Any, what: str) -> list[dict[str, Any]]:
        rows = self.read_rows(x, y, what)
        missing = [i for i, r in enumerate(rows) if r.label is None]
        if missing:
            raise InputError(
                f"{what} needs a label in every row; row {missing[0]} has no 'label' field. "
                "Give the index of the right choice as 'label' (or pass y=...)."
            )
        return self.encode(rows)

    # --- the Keras API -------------------------------------------------------------------------
    def compile(
        self, optimizer: Any = None, loss: Any = None, metrics: Any = ("accuracy",), **kwargs: Any
    ) -> None:
        """``Model.compile``; defaults: ``AdamW(5e-5, weight_decay=0.01)`` (no decay on biases
        and norms), the model's own loss (padded choices masked), accuracy."""
        compile_task_model(self.model, optimizer, loss, metrics, 5e-5, **kwargs)

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Keras's ``fit`` on rows (labels in the rows or as ``y``); every row is checked
        before the first step."""
        require_compiled(self.model, "mc", "fit")
        items = self._labelled(x, y, "fit")
        if validation_split:
            columns = {"row": items}
            kept, held_out = split_off_validation(columns, validation_split, "rows")
            items = kept["row"]
            validation_data = self._loader(held_out["row"], batch_size, False)
        elif validation_data is not None:
            vx, vy = (
                validation_data if isinstance(validation_data, tuple) else (validation_data, None)
            )
            validation_data = self._loader(
                self._labelled(vx, vy, "validation_data"), batch_size, False
            )
        return self.model.fit(
            items,
            batch_size=batch_size,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation_data,
            shuffle=shuffle,
            collate_fn=self.collator,
            **kwargs,
        )

    def _loader(self, items: list[dict[str, Any]], batch_size: int | None, shuffle: bool) -> Any:
        from torchbridge.hf.ragged import rows_loader

        return rows_loader(items, None, batch_size, shuffle, self.collator, self.pad_id)

    def evaluate(
        self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: Any = "auto"
    ) -> dict[str, float]:
        """The loss and the compiled metrics (``accuracy`` is always there)."""
        require_compiled(self.model, "mc", "evaluate")
        items = self._labelled(x, y, "evaluate")
        logs = dict(
            self.model.evaluate(
                items,
                batch_size=batch_size,
                verbose=verbose,
                return_dict=True,
                collate_fn=self.collator,
            )
        )
        if "accuracy" not in logs:
            logits = self._logits(items, batch_size or 32)
            labels = [it["labels"] for it in items]
            hits = [int(np.argmax(s)) == t for s, t in zip(logits, labels, strict=True)]
            logs["accuracy"] = float(np.mean(hits))
        return {k: float(v) for k, v in logs.items()}

    def _logits(self, items: list[dict[str, Any]], batch_size: int) -> list[np.ndarray]:
        """Each row's logits over its real choices (eval mode, no gradients)."""
        module = self.model.module
        device = self.model.device
        out: list[np.ndarray] = []
        was_training = module.training
        module.eval()
        try:
            with torch.inference_mode():
                for s in range(0, len(items), batch_size):
                    part = [
                        {k: v for k, v in it.items() if k != "labels"}
                        for it in items[s : s + batch_size]
                    ]
                    batch = {k: v.to(device) for k, v in self.collator(part).items()}
                    logits = module(**batch).logits.float().cpu().numpy()
                    out.extend(
                        row[: len(it["input_ids"])] for row, it in zip(logits, part, strict=True)
                    )
        finally:
            module.train(was_training)
        return out

    def predict(self, x: Any, batch_size: int = 32) -> Any:
        """Per row ``{"label": index, "choice": text, "scores": [...]}`` (softmax over the row's
        own choices); for a single row dict, its result alone."""
        # one row: its context is a text (a dict of columns holds a list of them)
        single = isinstance(x, Mapping) and isinstance(x.get("context", x.get("sent1")), str)
        rows = self.read_rows([x] if single else x, None, "predict")
        logits = self._logits(self.encode(rows), batch_size)
        results = []
        for row, z in zip(rows, logits, strict=True):
            p = np.exp(z - z.max())
            p = p / p.sum()
            best = int(np.argmax(p))
            results.append(
                {"label": best, "choice": row.choices[best], "scores": [float(v) for v in p]}
            )
        return results[0] if single else results

    # --- saving ----------------------------------------------------------------------------------
    def merge_and_save(self, directory: str | os.PathLike[str]) -> None:
        """:meth:`save` with the ``peft`` adapter (``lora=`` / ``peft_config=`` of
        :meth:`from_pretrained`) merged into a copy of the weights: a plain ``transformers``
        folder; this model keeps its adapter (:mod:`torchbridge.hf.peft_support`)."""
        from torchbridge.hf.peft_support import merge_and_save

        merge_and_save(self, directory)

    def save(self, directory: str | os.PathLike[str]) -> None:
        """A folder ``AutoModelForMultipleChoice`` / ``AutoTokenizer`` and :meth:`from_pretrained`
        load: the model, the tokenizer and ``torchbridge.json``."""
        path = os.fspath(directory)
        os.makedirs(path, exist_ok=True)
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        write_meta(path, _FORMAT, FORMAT_VERSION, {"max_length": self.max_length})
