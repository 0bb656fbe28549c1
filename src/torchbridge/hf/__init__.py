"""``torchbridge.hf``: Hugging Face Transformers models, tokenizers and datasets, the Keras way.

* :class:`HFModel`, :func:`wrap`, :func:`from_pretrained` — any
  ``transformers.PreTrainedModel`` under ``compile / fit / evaluate /
  predict`` (``torchbridge.Model.wrap(model)`` gives the same ``HFModel``: the
  wrapper :mod:`torchbridge.hf.model` registers with ``Model.wrap``).
* :class:`Tokenize`, :func:`text_dataset`, :func:`prepare_dataset` —
  tokenization in ``torchbridge.data`` pipelines, dynamic padding, length
  bucketing, ``datasets`` input (``fit(hf_dataset)`` works directly, through the
  adapter :mod:`torchbridge.hf.dataset_adapter` registers with the engine).
* :class:`TextClassifier` — tokenizer + model + label names: fit / evaluate /
  predict on raw text, save to a directory plain ``transformers`` loads;
  single-label, multi-label (``problem_type``) and regression, texts or sentence pairs.
* :class:`TokenClassifier` — the same for named-entity recognition: rows of words
  and tags, seqeval scores, ``pipeline("ner")``-shaped predictions.
* :class:`ImageClassifier` — image classification: an image folder, images +
  labels or a ``datasets`` Dataset, the checkpoint's image processor,
  ``pipeline("image-classification")``-shaped predictions.
* :class:`QuestionAnswerer` — extractive question answering: SQuAD rows (v1 / v2),
  long contexts in overlapping windows, SQuAD exact match / F1,
  ``pipeline("question-answering")``-shaped answers.
* :class:`MultipleChoice` — rows of a context and any number of choices (ragged
  choices padded per batch and masked), accuracy, the chosen choice and its scores.
* :class:`SentenceEncoder` — sentence embeddings equal to sentence-transformers' (its
  folders' pooling and normalization), similarity search, in-batch negatives fine-tuning.
* :func:`apply_peft`, :func:`merge_and_save` — parameter-efficient fine-tuning with
  ``peft`` (LoRA, prefix tuning ...): ``lora=`` / ``peft_config=`` on
  :func:`from_pretrained` and every task model, adapters saved and merged
  (:mod:`torchbridge.hf.peft_support`).

``transformers``, ``tokenizers`` and ``datasets`` are optional
(``pip install 'torchbridge[hf]'``): importing this module imports none of
them; the functions that need one import it when called.
"""

from __future__ import annotations

from torchbridge.hf import dataset_adapter  # noqa: F401  (registers the ``datasets`` adapter)
from torchbridge.hf._imports import is_pretrained_model
from torchbridge.hf.bundle import TextClassifier
from torchbridge.hf.causal_lm import CausalLM
from torchbridge.hf.data import prepare_dataset, quantile_boundaries, text_dataset
from torchbridge.hf.image_classifier import ImageClassifier
from torchbridge.hf.masked_lm import MaskedLM
from torchbridge.hf.model import TASKS, HFModel, infer_task, wrap
from torchbridge.hf.multiple_choice import MultipleChoice
from torchbridge.hf.peft_support import apply_peft, merge_and_save
from torchbridge.hf.pretrained import from_pretrained
from torchbridge.hf.question_answerer import QuestionAnswerer
from torchbridge.hf.sentence_encoder import SentenceEncoder
from torchbridge.hf.seq2seq_lm import Seq2SeqLM
from torchbridge.hf.token_classifier import TokenClassifier
from torchbridge.hf.tokenization import Tokenize

__all__ = [
    "CausalLM",
    "HFModel",
    "ImageClassifier",
    "MaskedLM",
    "MultipleChoice",
    "QuestionAnswerer",
    "Seq2SeqLM",
    "SentenceEncoder",
    "TASKS",
    "TextClassifier",
    "TokenClassifier",
    "Tokenize",
    "apply_peft",
    "from_pretrained",
    "infer_task",
    "is_pretrained_model",
    "merge_and_save",
    "prepare_dataset",
    "quantile_boundaries",
    "text_dataset",
    "wrap",
]
