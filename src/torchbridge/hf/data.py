"""Text data for ``fit``: tokenized, dynamically padded, optionally length-bucketed batches.

* :func:`text_dataset` — texts (+ labels) in memory → a ``torchbridge.data``
  pipeline of ``(x, y)`` batches (``x`` alone without labels): tokenized once
  with one batched tokenizer call, then ``shuffle`` → ``padded_batch`` (each
  batch padded to its longest text) or ``bucket_by_sequence_length`` (texts of
  similar length batched together, so far less padding).
* :func:`prepare_dataset` — a Hugging Face ``datasets.Dataset`` (map-style)
  or ``IterableDataset`` (streaming) → the same kind of pipeline. Columns are
  read one batch at a time (``ds[indices]``, one Arrow read); a text column is
  tokenized per batch (one tokenizer call); the label column becomes ``y``;
  model input columns (``input_ids``, ``attention_mask`` ...) become the ``x``
  dict; other columns (raw text, ids) are dropped. ``collate_fn=`` takes any
  Transformers data collator (``DataCollatorWithPadding(tokenizer)``,
  ``DataCollatorForLanguageModeling`` ...) instead of torchbridge's padding.
  ``model.fit(hf_dataset)`` calls it (through :mod:`torchbridge.hf.dataset_adapter`).
* :func:`hf_dataset_kind` — recognises ``datasets`` objects without importing
  ``datasets``.
* :func:`quantile_boundaries` — bucket boundaries that split a length
  distribution into groups of about equal size.

Padding values: ``input_ids`` get the tokenizer's ``pad_token_id``;
``attention_mask`` / ``token_type_ids`` 0; ``special_tokens_mask`` 1; ragged
label sequences -100 (ignored by Hugging Face losses). Without a tokenizer,
``input_ids`` are padded with 0 only when an ``attention_mask`` hides the
padding; otherwise the error points at ``prepare_dataset(ds, tokenizer)``.
The padding side follows ``tokenizer.padding_side``.

Shuffling: map-style data is permuted once per pass (pass *k* uses seed
``(seed, k)``, so each epoch has a new, reproducible order); streaming data
goes through a ``shuffle`` buffer. Iterators are resumable like every
``torchbridge.data`` pipeline (``get_state`` / ``set_state``).

Bad input gets an :class:`~torchbridge.errors.InputError` naming the fix: a
missing text/label column (with the columns that exist and the argument to
set), texts longer than ``max_length`` / the tokenizer's ``model_max_length``
with ``truncation=False``, labels outside ``num_labels``, string labels.

The code lives in :mod:`torchbridge.hf.text_batches` (``text_dataset`` and the shared
pieces), :mod:`torchbridge.hf.row_batches` and :mod:`torchbridge.hf.prepare`
(``prepare_dataset``); this module re-exports their public names.
"""

from __future__ import annotations

from torchbridge.hf.prepare import prepare_dataset
from torchbridge.hf.text_batches import (
    IGNORE_INDEX,
    MODEL_INPUT_COLUMNS,
    check_label_range,
    hf_dataset_kind,
    labels_to_tensor,
    quantile_boundaries,
    text_dataset,
)

__all__ = [
    "IGNORE_INDEX",
    "MODEL_INPUT_COLUMNS",
    "check_label_range",
    "hf_dataset_kind",
    "labels_to_tensor",
    "prepare_dataset",
    "quantile_boundaries",
    "text_dataset",
]
