"""``CausalLM``: next-token language modelling (GPT-2, Llama, Qwen ...) the Keras way.

::

    lm = torchbridge.hf.CausalLM.from_pretrained(path, block_size=128)
    lm.compile()                                   # AdamW(2e-5); the model's own loss; accuracy
    lm.fit(texts, epochs=3)                        # raw texts (or a datasets.Dataset "text")
    lm.evaluate(texts)                             # loss, accuracy, perplexity
    lm.generate("Once upon", max_new_tokens=20, stream=True, stop_strings=["."])
    lm.predict(["Once upon"])                      # as pipeline("text-generation")
    lm.save("lm")                                  # pipeline("text-generation", model="lm") loads it

* **Chunking.** Texts are tokenized (no truncation), concatenated and cut into
  blocks of ``block_size`` tokens — the guide's ``group_texts``
  (:func:`torchbridge.hf._task_common.group_texts`); the labels are the inputs
  (the model shifts them).
* **Perplexity** is ``exp`` of the mean cross-entropy over every predicted token
  of the evaluation blocks (exact, not a mean of batch means).
* **generate / predict** tokenize prompts without special tokens (as the
  text-generation pipeline does), pad them on the left, and call the model's
  ``generate`` with its generation config; ``max_new_tokens``, ``num_beams``,
  ``do_sample``, ``temperature``, ``generation_config`` ... pass through.
  ``stop_strings`` stop generation (transformers' stopping criterion);
  ``stream=True`` prints tokens to the console as they come
  (``transformers.TextStreamer``, one prompt at a time). The text returned is the
  prompt followed by the decoded new tokens, as the pipeline returns it.
* **Bad input** (no rows, a row that is not a string or is empty, a dataset
  without the text column, an encoder-decoder or encoder-only checkpoint)
  raises :class:`~torchbridge.errors.InputError` before any training step.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import torch

from torchbridge.errors import InputError
from torchbridge.hf._imports import require_transformers
from torchbridge.hf._task_common import (
    batched_rows,
    compile_task_model,
    group_texts,
    load_task_model,
    mean_token_loss,
    pad_batch,
    perplexity,
    read_meta,
    require_compiled,
    split_off_validation,
    text_column,
    write_meta,
)
from torchbridge.hf.model import HFModel

__all__ = ["CausalLM"]

FORMAT_VERSION = 1
_FORMAT = "torchbridge.hf.CausalLM"
# Encoder families AutoModelForCausalLM also builds (an LM head on a bidirectional encoder
# unless the config says is_decoder=True).
_ENCODERS = frozenset(
    [
        "bert",
        "big_bird",
        "camembert",
        "data2vec-text",
        "electra",
        "ernie",
        "megatron-bert",
        "rembert",
        "roberta",
        "roberta-prelayernorm",
        "roc_bert",
        "roformer",
        "xlm-roberta",
        "xlm-roberta-xl",
        "xmod",
    ]
)


def _max_positions(config: Any) -> int | None:
    for name in ("n_positions", "max_position_embeddings", "seq_length"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


class CausalLM:
    """A tokenizer + a causal language model (see the module docstring)."""

    def __init__(
        self,
        model: HFModel,
        tokenizer: Any,
        block_size: int | None = None,
        text_column: str = "text",
    ) -> None:
        config = model.config
        if getattr(config, "is_encoder_decoder", False) or model.task not in (None, "causal-lm"):
            raise InputError(
                f"CausalLM needs a decoder-only language model; {type(model.module).__name__} "
                f"is a {model.task or 'bare'} model. Load a causal LM checkpoint (GPT-2, "
                "Llama ...), or use Seq2SeqLM for encoder-decoders (T5, BART)."
            )
        if (
            not getattr(config, "is_decoder", True)
            and getattr(config, "model_type", "") in _ENCODERS
        ):
            raise InputError(
                f"CausalLM got {type(model.module).__name__} built from an encoder checkpoint "
                f"({config.model_type}, bidirectional: is_decoder=False), which does not predict "
                "the next token. Load a decoder-only checkpoint (GPT-2, Llama ...), or pass "
                "is_decoder=True to from_pretrained to train it as a decoder."
            )
        if not callable(getattr(model.module, "generate", None)):
            raise InputError(f"{type(model.module).__name__} cannot generate text.")
        self.model = model
        self.tokenizer = tokenizer
        if tokenizer.pad_token_id is None:  # GPT-2 style: pad with the end-of-text token
            tokenizer.pad_token = tokenizer.eos_token
        if getattr(config, "pad_token_id", None) is None and tokenizer.pad_token_id is not None:
            config.pad_token_id = tokenizer.pad_token_id
            generation_config = getattr(model.module, "generation_config", None)
            if generation_config is not None:
                generation_config.pad_token_id = tokenizer.pad_token_id
        limit = _max_positions(config)
        if block_size is None:
            block_size = min(128, limit) if limit else 128
        if limit and block_size > limit:
            raise InputError(
                f"block_size={block_size} is longer than the model's {limit} positions; "
                f"give block_size <= {limit}."
            )
        self.block_size = int(block_size)
        self.text_column = text_column

    @classmethod
    def from_pretrained(
        cls,
        checkpoint: str | os.PathLike[str],
        block_size: int | None = None,
        text_column: str | None = None,
        tokenizer: Any = None,
        **kwargs: Any,
    ) -> CausalLM:
        """A causal LM checkpoint (a folder or Hub name) and its tokenizer; ``kwargs`` go to
        ``AutoModelForCausalLM.from_pretrained``. A folder written by :meth:`save`
        restores its settings too.

        ``lora=dict(r=8, ...)`` or ``peft_config=`` (any ``peft`` config) add a ``peft``
        adapter: only it trains, :meth:`save` writes it and :meth:`merge_and_save` merges it;
        a folder holding an adapter loads it (:mod:`torchbridge.hf.peft_support`)."""
        source = os.fspath(checkpoint)
        meta = read_meta(source, _FORMAT, FORMAT_VERSION)
        model = load_task_model(source, "causal-lm", "CausalLM", **kwargs)
        if tokenizer is None:
            transformers = require_transformers("CausalLM.from_pretrained")
            tokenizer = transformers.AutoTokenizer.from_pretrained(source)
        return cls(
            model,
            tokenizer,
            block_size or meta.get("block_size"),
            text_column or meta.get("text_column", "text"),
        )

    # --- texts → blocks ------------------------------------------------------------------------
    def blocks(self, texts: Sequence[str]) -> dict[str, list[list[int]]]:
        """Texts → ``input_ids`` / ``attention_mask`` / ``labels`` blocks of ``block_size``."""
        enc = self.tokenizer(list(texts))
        columns = {k: enc[k] for k in ("input_ids", "attention_mask") if k in enc}
        grouped = group_texts(columns, self.block_size)
        grouped["labels"] = [list(b) for b in grouped["input_ids"]]
        return grouped

    def _data(self, x: Any, what: str) -> dict[str, list[list[int]]]:
        texts = text_column(x, self.text_column, what)
        assert texts is not None
        blocks = self.blocks(texts)
        if not blocks["input_ids"] or len(blocks["input_ids"][0]) < 2:
            raise InputError(
                f"{what}: the texts give fewer than 2 tokens in all; give longer texts."
            )
        return blocks

    # --- the Keras API -----------------------------------------------------------------------
    def compile(
        self, optimizer: Any = None, loss: Any = None, metrics: Any = ("accuracy",), **kwargs: Any
    ) -> None:
        """``Model.compile``; defaults: ``AdamW(2e-5, weight_decay=0.01)`` (no decay on biases
        and norms), the model's own loss, next-token accuracy."""
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
        """Keras's ``fit`` on raw texts (chunked into blocks); the history."""
        require_compiled(self.model, "lm", "fit")
        blocks = self._data(x, "fit")
        if validation_split:
            blocks, held_out = split_off_validation(blocks, validation_split, "blocks")
            validation_data = (held_out,)
        elif validation_data is not None:
            validation_data = (self._data(validation_data, "validation_data"),)
        return self.model.fit(
            blocks,
            batch_size=batch_size,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation_data,
            shuffle=shuffle,
            **kwargs,
        )

    def evaluate(
        self, x: Any = None, batch_size: int | None = None, verbose: Any = "auto"
    ) -> dict[str, float]:
        """The loss and compiled metrics, and ``perplexity`` (exp of the mean token loss)."""
        require_compiled(self.model, "lm", "evaluate")
        blocks = self._data(x, "evaluate")
        logs = dict(
            self.model.evaluate(blocks, batch_size=batch_size, verbose=verbose, return_dict=True)
        )
        pad = int(self.tokenizer.pad_token_id or 0)
        batches = [pad_batch(b, pad) for b in batched_rows(blocks, batch_size or 32)]
        mean, _ = mean_token_loss(self.model, batches, shift=True)
        logs["perplexity"] = perplexity(mean)
        return logs

    # --- generation ------------------------------------------------------------------------------
    def _encode_prompts(self, prompts: Sequence[str]) -> dict[str, torch.Tensor]:
        side = self.tokenizer.padding_side
        self.tokenizer.padding_side = "left"
        try:
            return dict(
                self.tokenizer(
                    list(prompts), add_special_tokens=False, padding=True, return_tensors="pt"
                )
            )
        finally:
            self.tokenizer.padding_side = side

    def generate(
        self,
        prompts: str | Sequence[str],
        max_new_tokens: int | None = None,
        *,
        stream: bool = False,
        stop_strings: str | Sequence[str] | None = None,
        batch_size: int = 16,
        **kwargs: Any,
    ) -> str | list[str]:
        """Continue each prompt: the prompt followed by the generated text (a str for a str,
        a list for a list). Other keyword arguments go to ``generate``."""
        single = isinstance(prompts, str)
        items: list[str] = [prompts] if isinstance(prompts, str) else list(prompts)
        if not items:
            raise InputError("generate got no prompts: pass a string or a list of strings.")
        for i, p in enumerate(items):
            if not isinstance(p, str):
                raise InputError(
                    f"Prompt {i}: expected a string, got {type(p).__name__}; pass text prompts."
                )
        options = dict(kwargs)
        if max_new_tokens is not None:
            options["max_new_tokens"] = int(max_new_tokens)
        if stop_strings is not None:
            options["stop_strings"] = (
                [stop_strings] if isinstance(stop_strings, str) else list(stop_strings)
            )
            options["tokenizer"] = self.tokenizer
        if stream:
            transformers = require_transformers("CausalLM.generate(stream=True)")
            batch_size = 1
            options["streamer"] = transformers.TextStreamer(
                self.tokenizer, skip_prompt=True, skip_special_tokens=True
            )
        out: list[str] = []
        for start in range(0, len(items), batch_size):
            chunk = items[start : start + batch_size]
            enc = self._encode_prompts(chunk)
            ids = self.model.generate(enc, **options)
            sequences = ids.sequences if hasattr(ids, "sequences") else ids
            width = enc["input_ids"].shape[1]
            for prompt, seq in zip(chunk, sequences.cpu().tolist(), strict=True):
                out.append(prompt + self.tokenizer.decode(seq[width:], skip_special_tokens=True))
        return out[0] if single else out

    def predict(self, prompts: str | Sequence[str], **kwargs: Any) -> Any:
        """As ``pipeline("text-generation")``: ``[{"generated_text": ...}]`` for a prompt,
        one such list per prompt for a list (``generate``'s arguments pass through)."""
        texts = self.generate(prompts, **kwargs)
        if isinstance(texts, str):
            return [{"generated_text": texts}]
        return [[{"generated_text": t}] for t in texts]

    # --- saving ----------------------------------------------------------------------------------
    def merge_and_save(self, directory: str | os.PathLike[str]) -> None:
        """:meth:`save` with the ``peft`` adapter (``lora=`` / ``peft_config=``) merged into a
        copy of the weights: a plain ``transformers`` folder; this model keeps its adapter."""
        from torchbridge.hf.peft_support import merge_and_save

        merge_and_save(self, directory)

    def save(self, directory: str | os.PathLike[str]) -> None:
        """A folder ``transformers.pipeline("text-generation", model=directory)``,
        ``AutoModelForCausalLM`` and :meth:`from_pretrained` load."""
        path = os.fspath(directory)
        os.makedirs(path, exist_ok=True)
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        write_meta(
            path,
            _FORMAT,
            FORMAT_VERSION,
            {"block_size": self.block_size, "text_column": self.text_column},
        )
