"""``MaskedLM``: masked language modelling (BERT, RoBERTa, DistilBERT ...) the Keras way.

::

    mlm = torchbridge.hf.MaskedLM.from_pretrained(path)      # whole_word_mask=, block_size=
    mlm.compile()                                  # AdamW(2e-5); the model's own loss; accuracy
    mlm.fit(texts, epochs=3)                       # raw texts (or a datasets.Dataset "text")
    mlm.evaluate(texts)                            # loss, accuracy, perplexity
    mlm.predict("The capital of France is [MASK].")   # as pipeline("fill-mask")
    mlm.save("mlm")                                # pipeline("fill-mask", model="mlm") loads it

* **Rows.** Each text is one row, truncated to ``max_length``; with
  ``block_size`` the texts are concatenated and cut into blocks instead (the
  guide's ``group_texts``).
* **Dynamic masking.** Every batch is masked when it is drawn, so each epoch
  sees new masks: ``transformers.DataCollatorForLanguageModeling`` (its rules:
  ``mlm_probability`` of the non-special tokens chosen — 15% by default —, of
  those 80% replaced by the mask token, 10% by a random token, 10% kept; only
  chosen tokens are scored). ``whole_word_mask=True`` chooses whole words (all
  their sub-tokens, always replaced by the mask token — the collator's rule).
  :attr:`MaskedLM.collator` is that collator.
* **evaluate** masks with a fixed seed (``mask_seed``), so two evaluations of the
  same model agree; ``perplexity`` is ``exp`` of the mean cross-entropy over every
  masked token.
* **predict** gives what ``pipeline("fill-mask")`` gives (``score``, ``token``,
  ``token_str``, ``sequence``; ``top_k``, ``targets``): the pipeline's own pre- and
  post-processing around a batched forward pass.
* **Bad input** (no rows, a row that is not a string or is empty, a dataset
  without the text column, a checkpoint without a masked-LM head) raises
  :class:`~torchbridge.errors.InputError` before any training step.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.hf._imports import require_transformers
from torchbridge.hf._task_common import (
    compile_task_model,
    group_texts,
    load_task_model,
    mean_token_loss,
    perplexity,
    read_meta,
    require_compiled,
    sequence_logits,
    split_off_validation,
    text_column,
    write_meta,
)
from torchbridge.hf.model import HFModel
from torchbridge.hf.text_batches import forward_inputs

__all__ = ["MaskedLM"]

FORMAT_VERSION = 1
_FORMAT = "torchbridge.hf.MaskedLM"


class _PadOffsets:
    """The collator, given rows whose ``offset_mapping`` is padded to the batch's longest
    (``tokenizer.pad`` pads the other columns but not that one)."""

    def __init__(self, collator: Any) -> None:
        self.collator = collator

    def __call__(self, rows: list[dict[str, Any]]) -> Any:
        longest = max(len(r["input_ids"]) for r in rows)
        padded = []
        for r in rows:
            offsets = [list(o) for o in r["offset_mapping"]]
            padded.append({**r, "offset_mapping": offsets + [[0, 0]] * (longest - len(offsets))})
        return self.collator(padded)


class MaskedLM:
    """A tokenizer + a masked language model (see the module docstring)."""

    def __init__(
        self,
        model: HFModel,
        tokenizer: Any,
        mlm_probability: float = 0.15,
        whole_word_mask: bool = False,
        block_size: int | None = None,
        max_length: int | None = None,
        text_column: str = "text",
        mask_seed: int = 0,
    ) -> None:
        if model.task != "masked-lm":
            raise InputError(
                f"MaskedLM needs a masked language model; {type(model.module).__name__} is a "
                f"{model.task or 'bare'} model. Load a masked-LM checkpoint (BERT, RoBERTa ...)."
            )
        if tokenizer.mask_token_id is None:
            raise InputError(
                "The tokenizer has no mask token, which masked language modelling needs; use "
                "the checkpoint's own tokenizer (or one with mask_token set)."
            )
        if not 0.0 < mlm_probability < 1.0:
            raise InputError(f"mlm_probability must be in (0, 1), got {mlm_probability}.")
        if whole_word_mask and not getattr(tokenizer, "is_fast", False):
            raise InputError(
                "whole_word_mask needs a fast tokenizer (offset mappings): load it with "
                "AutoTokenizer.from_pretrained(path, use_fast=True)."
            )
        self.model = model
        self.tokenizer = tokenizer
        self.mlm_probability = float(mlm_probability)
        self.whole_word_mask = bool(whole_word_mask)
        self.block_size = block_size
        limit = getattr(tokenizer, "model_max_length", None)
        self.max_length = max_length or (limit if isinstance(limit, int) and limit < 10**6 else 512)
        self.text_column = text_column
        self.mask_seed = int(mask_seed)
        self._inputs = forward_inputs(model)
        self._pipe: Any = None

    @classmethod
    def from_pretrained(
        cls,
        checkpoint: str | os.PathLike[str],
        mlm_probability: float | None = None,
        whole_word_mask: bool | None = None,
        block_size: int | None = None,
        max_length: int | None = None,
        text_column: str | None = None,
        tokenizer: Any = None,
        **kwargs: Any,
    ) -> MaskedLM:
        """A masked-LM checkpoint (a folder or Hub name) and its tokenizer; ``kwargs`` go to
        ``AutoModelForMaskedLM.from_pretrained``. A folder written by :meth:`save`
        restores its settings too.

        ``lora=dict(r=8, ...)`` or ``peft_config=`` (any ``peft`` config) add a ``peft``
        adapter: only it trains, :meth:`save` writes it and :meth:`merge_and_save` merges it;
        a folder holding an adapter loads it (:mod:`torchbridge.hf.peft_support`)."""
        source = os.fspath(checkpoint)
        meta = read_meta(source, _FORMAT, FORMAT_VERSION)
        model = load_task_model(source, "masked-lm", "MaskedLM", **kwargs)
        if tokenizer is None:
            transformers = require_transformers("MaskedLM.from_pretrained")
            tokenizer = transformers.AutoTokenizer.from_pretrained(source)
        return cls(
            model,
            tokenizer,
            mlm_probability if mlm_probability is not None else meta.get("mlm_probability", 0.15),
            whole_word_mask
            if whole_word_mask is not None
            else bool(meta.get("whole_word_mask", False)),
            block_size or meta.get("block_size"),
            max_length or meta.get("max_length"),
            text_column or meta.get("text_column", "text"),
        )

    # --- texts → rows → masked batches ------------------------------------------------------------
    def collator(self, seed: int | None = None) -> Any:
        """The masking collator (``DataCollatorForLanguageModeling``) with this model's rules;
        ``seed`` fixes its masks (``None``: torch's global generator, new masks each call)."""
        transformers = require_transformers("MaskedLM")
        collator = transformers.DataCollatorForLanguageModeling(
            self.tokenizer,
            mlm=True,
            mlm_probability=self.mlm_probability,
            whole_word_mask=self.whole_word_mask,
            mask_replace_prob=1.0 if self.whole_word_mask else 0.8,
            random_replace_prob=0.0 if self.whole_word_mask else 0.1,
            seed=seed,
        )
        return _PadOffsets(collator) if self.whole_word_mask else collator

    def rows(self, texts: Sequence[str]) -> dict[str, list[Any]]:
        """Texts → token rows (``input_ids``, ``attention_mask``, ``special_tokens_mask`` [,
        ``offset_mapping`` for whole-word masking]): one per text, or ``block_size`` blocks."""
        options: dict[str, Any] = {"return_special_tokens_mask": True}
        if self.whole_word_mask:
            options["return_offsets_mapping"] = True
        if self.block_size is None:
            options.update(truncation=True, max_length=self.max_length)
        enc = self.tokenizer(list(texts), **options)
        keep = ["input_ids", "attention_mask", "special_tokens_mask", "offset_mapping"]
        if self._inputs is None or "token_type_ids" in self._inputs:
            keep.append("token_type_ids")
        columns = {k: list(enc[k]) for k in keep if k in enc}
        if self.block_size is not None:
            columns = group_texts(columns, int(self.block_size))
        return columns

    def _data(self, x: Any, what: str) -> dict[str, list[Any]]:
        texts = text_column(x, self.text_column, what)
        assert texts is not None
        return self.rows(texts)

    # --- the Keras API -----------------------------------------------------------------------------
    def compile(
        self, optimizer: Any = None, loss: Any = None, metrics: Any = ("accuracy",), **kwargs: Any
    ) -> None:
        """``Model.compile``; defaults: ``AdamW(2e-5, weight_decay=0.01)`` (no decay on biases
        and norms), the model's own loss, accuracy on the masked tokens."""
        compile_task_model(self.model, optimizer, loss, metrics, 2e-5, **kwargs)

    def fit(
        self,
        x: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Keras's ``fit`` on raw texts, masked anew in every batch of every epoch."""
        require_compiled(self.model, "mlm", "fit")
        rows = self._data(x, "fit")
        if validation_split:
            rows, held_out = split_off_validation(rows, validation_split, "rows")
            validation_data = (held_out,)
        elif validation_data is not None:
            validation_data = (self._data(validation_data, "validation_data"),)
        return self.model.fit(
            rows,
            batch_size=batch_size,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation_data,
            shuffle=shuffle,
            collate_fn=self.collator(),
            **kwargs,
        )

    def masked_batches(
        self, x: Any, batch_size: int | None = None, seed: int | None = None
    ) -> list[dict[str, torch.Tensor]]:
        """The batches :meth:`evaluate` scores: the rows masked with ``seed`` (default
        ``mask_seed``), in order."""
        return self._masked(self._data(x, "evaluate"), batch_size, seed)

    def _masked(
        self, rows: dict[str, list[Any]], batch_size: int | None, seed: int | None
    ) -> list[dict[str, torch.Tensor]]:
        collate = self.collator(self.mask_seed if seed is None else seed)
        n, size = len(rows["input_ids"]), batch_size or 32
        return [
            dict(collate([{k: v[i] for k, v in rows.items()} for i in range(s, min(s + size, n))]))
            for s in range(0, n, size)
        ]

    def evaluate(
        self, x: Any = None, batch_size: int | None = None, verbose: Any = "auto"
    ) -> dict[str, float]:
        """The loss and compiled metrics on seeded masks, and ``perplexity`` (exp of the mean
        loss over every masked token)."""
        require_compiled(self.model, "mlm", "evaluate")
        rows = self._data(x, "evaluate")
        logs = dict(
            self.model.evaluate(
                rows,
                batch_size=batch_size or 32,
                verbose=verbose,
                return_dict=True,
                collate_fn=self.collator(self.mask_seed),
            )
        )
        mean, _ = mean_token_loss(self.model, self._masked(rows, batch_size, None), shift=False)
        logs["perplexity"] = perplexity(mean)
        return logs

    # --- fill-mask ---------------------------------------------------------------------------------
    def _pipeline(self) -> Any:
        if self._pipe is None:
            require_transformers("MaskedLM.predict")
            from transformers.pipelines.fill_mask import FillMaskPipeline

            module: Any = self.model.module
            self._pipe = FillMaskPipeline(
                model=module, tokenizer=self.tokenizer, device=self.model.device
            )
        return self._pipe

    def predict(
        self,
        inputs: str | Sequence[str],
        top_k: int = 5,
        targets: str | Sequence[str] | None = None,
        batch_size: int = 32,
    ) -> Any:
        """As ``pipeline("fill-mask")``: for a text with one mask token a list of ``top_k``
        dicts (``score``, ``token``, ``token_str``, ``sequence``); with several masks one
        such list per mask; for a list of texts one result per text."""
        single = isinstance(inputs, str)
        items = [inputs] if single else list(inputs)
        if not items:
            raise InputError("predict got no texts.")
        mask = self.tokenizer.mask_token
        for i, text in enumerate(items):
            if not isinstance(text, str) or mask not in text:
                raise InputError(
                    f"Text {i} has no mask token {mask!r}: put {mask} where a word should be "
                    "predicted."
                )
        pipe = self._pipeline()
        _, _, post = pipe._sanitize_parameters(top_k=top_k, targets=targets)
        prepared = [pipe.preprocess(text) for text in items]
        logits = self._forward([p["input_ids"][0] for p in prepared], batch_size)
        results = []
        for p, row in zip(prepared, logits, strict=True):
            outputs = {"input_ids": p["input_ids"], "logits": torch.from_numpy(row)[None]}
            results.append(pipe.postprocess(outputs, **post))
        return results[0] if single else results

    def _forward(self, ids: list[torch.Tensor], batch_size: int) -> list[np.ndarray]:
        """Logits of each sequence (batched by similar length, right-padded, eval mode)."""
        pad = self.tokenizer.pad_token_id or 0
        return sequence_logits(self.model, ids, batch_size, pad, self._inputs)

    # --- saving ------------------------------------------------------------------------------------
    def merge_and_save(self, directory: str | os.PathLike[str]) -> None:
        """:meth:`save` with the ``peft`` adapter (``lora=`` / ``peft_config=``) merged into a
        copy of the weights: a plain ``transformers`` folder; this model keeps its adapter."""
        from torchbridge.hf.peft_support import merge_and_save

        merge_and_save(self, directory)

    def save(self, directory: str | os.PathLike[str]) -> None:
        """A folder ``transformers.pipeline("fill-mask", model=directory)``,
        ``AutoModelForMaskedLM`` and :meth:`from_pretrained` load."""
        path = os.fspath(directory)
        os.makedirs(path, exist_ok=True)
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        write_meta(
            path,
            _FORMAT,
            FORMAT_VERSION,
            {
                "mlm_probability": self.mlm_probability,
                "whole_word_mask": self.whole_word_mask,
                "block_size": self.block_size,
                "max_length": self.max_length,
                "text_column": self.text_column,
            },
        )
