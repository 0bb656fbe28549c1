"""``SentenceEncoder``: sentence embeddings (sentence-transformers models) the Keras way.

::

    enc = torchbridge.hf.SentenceEncoder.from_pretrained(folder)  # an ST folder or a checkpoint
    vectors = enc.encode(texts, batch_size=32, normalize_embeddings=False)   # = SentenceTransformer
    enc.similarity(vectors_a, vectors_b)         # cosine similarity matrix
    enc.search(queries, corpus, top_k=5)         # as sentence_transformers.util.semantic_search
    enc.compile()                                # AdamW(2e-5); in-batch negatives loss, scale 20
    enc.fit(pairs, epochs=1)                     # (anchor, positive[, negative]) rows
    enc.save("encoder")                          # SentenceTransformer("encoder") loads it

* **Embeddings.** The encoder's token vectors are pooled with the attention mask:
  ``mean`` by default, or what a sentence-transformers folder's ``modules.json`` and
  ``1_Pooling/config.json`` say (``cls``, ``max``, ``mean``, ``mean_sqrt_len_tokens``,
  ``lasttoken``), then L2-normalized when the folder has a ``Normalize`` module (or
  ``normalize_embeddings=True``). Texts are cut at the folder's ``max_seq_length``.
  :meth:`encode` gives what ``SentenceTransformer(folder).encode(texts)`` gives.
* **Fine-tuning** (:meth:`fit`) uses sentence-transformers' ``MultipleNegativesRankingLoss``:
  for a batch of ``(anchor, positive[, negative])`` rows, the cosine similarity of each
  anchor with every positive (and negative) of the batch, times ``scale`` (20), is a row of
  logits whose right class is the anchor's own positive; the loss is their cross-entropy
  and ``accuracy`` the share of anchors that rank their positive first.
* **Rows** for ``fit`` / ``evaluate``: a list of ``(anchor, positive[, negative])`` tuples,
  a list of dicts or a dict of columns with ``anchor`` / ``positive`` [/ ``negative``], or a
  ``datasets.Dataset`` whose first two (three) columns are those (sentence-transformers'
  rule). Bad rows raise :class:`~torchbridge.errors.InputError` naming the row and field.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from torchbridge.errors import InputError
from torchbridge.hf._imports import require_transformers
from torchbridge.hf._task_common import default_optimizer, read_meta, write_meta
from torchbridge.hf.model import HFModel
from torchbridge.hf.sentence_folder import check_pooling, pool, read_folder, write_folder
from torchbridge.hf.text_batches import forward_inputs, hf_dataset_kind

__all__ = ["SentenceEncoder"]

FORMAT_VERSION = 1
_FORMAT = "torchbridge.hf.SentenceEncoder"
_COLUMNS = ("anchor", "positive", "negative")


def _encoder_features(
    tokenizer: Any, texts: Sequence[str], max_length: int, inputs: set[str] | None
) -> dict[str, Tensor]:
    enc = tokenizer(
        list(texts), padding=True, truncation="longest_first", max_length=max_length,
        return_tensors="pt",
    )  # fmt: skip
    return {
        k: v
        for k, v in enc.items()
        if k in ("input_ids", "attention_mask", "token_type_ids")
        and (inputs is None or k in inputs or k == "input_ids")
    }


class _Embed(nn.Module):
    """The encoder + pooling (+ normalization): features → sentence vectors."""

    def __init__(self, encoder: nn.Module, pooling: tuple[str, ...], normalize: bool) -> None:
        super().__init__()
        self.encoder = encoder
        self.pooling = pooling
        self.normalize = normalize

    def forward(self, **features: Tensor) -> Tensor:
        out = self.encoder(**features)
        hidden = getattr(out, "last_hidden_state", None)
        if hidden is None:
            hidden = out[0]
        mask = features.get("attention_mask")
        if mask is None:
            mask = torch.ones(hidden.shape[:2], dtype=torch.long, device=hidden.device)
        vectors = pool(hidden, mask, self.pooling)
        if self.normalize:
            vectors = nn.functional.normalize(vectors, p=2, dim=-1)
        return vectors


class _PairScores(nn.Module):
    """Columns ``a_*``, ``b_*`` [, ``c_*``] of token tensors → the in-batch similarity logits
    ``scale * cos(anchor_i, candidate_j)`` (candidates: the positives, then the negatives)."""

    def __init__(self, embed: _Embed, scale: float) -> None:
        super().__init__()
        self.embed = embed
        self.scale = float(scale)

    def forward(self, **columns: Tensor) -> Tensor:
        groups: dict[str, dict[str, Tensor]] = {}
        for key, value in columns.items():
            prefix, name = key.split("_", 1)
            groups.setdefault(prefix, {})[name] = value
        vectors = [self.embed(**groups[p]) for p in sorted(groups)]
        anchors = nn.functional.normalize(vectors[0], p=2, dim=-1)
        candidates = nn.functional.normalize(torch.cat(vectors[1:]), p=2, dim=-1)
        return self.scale * anchors @ candidates.T


class _PairCollator:
    """Rows ``{"a": text, "b": text[, "c": text]}`` → tokenized columns + ``labels``
    (``arange(batch)``: each anchor's positive is its own row's)."""

    def __init__(self, owner: SentenceEncoder) -> None:
        self.owner = owner

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, Tensor]:
        o = self.owner
        out: dict[str, Tensor] = {}
        for prefix in rows[0]:
            texts = [o._prepare(r[prefix]) for r in rows]
            for k, v in _encoder_features(o.tokenizer, texts, o.max_length, o._inputs).items():
                out[f"{prefix}_{k}"] = v
        out["labels"] = torch.arange(len(rows))
        return out


def _as_text(value: Any, row: int, field: str) -> str:
    if not isinstance(value, str):
        raise InputError(
            f"Row {row}, field {field!r}: expected a string, got {type(value).__name__}."
        )
    if not value.strip():
        raise InputError(f"Row {row}, field {field!r} is empty; drop the row or give a text.")
    return value


class SentenceEncoder:
    """A tokenizer + an encoder + pooling (see the module docstring)."""

    def __init__(
        self,
        model: HFModel,
        tokenizer: Any,
        pooling: str | Sequence[str] = "mean",
        normalize: bool = False,
        max_length: int | None = None,
        lowercase: bool = False,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.pooling = check_pooling(pooling)
        self.normalize = bool(normalize)
        limit = getattr(tokenizer, "model_max_length", None)
        self.max_length = int(
            max_length or (limit if isinstance(limit, int) and limit < 10**6 else 512)
        )
        self.lowercase = bool(lowercase)
        self._inputs = forward_inputs(model)
        self.embedder = _Embed(model.module, self.pooling, self.normalize)
        self.trainer: Any = None  # the Keras model fit() trains (built by compile)

    @classmethod
    def from_pretrained(
        cls,
        checkpoint: str | os.PathLike[str],
        pooling: str | Sequence[str] | None = None,
        normalize: bool | None = None,
        max_length: int | None = None,
        tokenizer: Any = None,
        **kwargs: Any,
    ) -> SentenceEncoder:
        """A sentence-transformers folder (its pooling, normalization and ``max_seq_length``)
        or any encoder checkpoint (mean pooling); ``kwargs`` go to ``AutoModel.from_pretrained``.
        ``pooling`` / ``normalize`` / ``max_length`` override what the folder says."""
        from torchbridge.hf.pretrained import from_pretrained as model_from_pretrained

        transformers = require_transformers("SentenceEncoder.from_pretrained")
        source = os.fspath(checkpoint)
        folder = read_folder(source)
        meta = read_meta(source, _FORMAT, FORMAT_VERSION)
        encoder_path = folder.encoder_path if folder is not None else source
        model = model_from_pretrained(encoder_path, task=transformers.AutoModel, **kwargs)
        if tokenizer is None:
            tokenizer = transformers.AutoTokenizer.from_pretrained(encoder_path)
        return cls(
            model,
            tokenizer,
            pooling or (folder.pooling if folder else meta.get("pooling", "mean")),
            normalize if normalize is not None else bool(folder and folder.normalize),
            max_length or (folder.max_length if folder else None) or meta.get("max_length"),
            bool(folder and folder.lowercase),
        )

    # --- embeddings ------------------------------------------------------------------------------
    def _prepare(self, text: str) -> str:
        return text.lower() if self.lowercase else text

    def encode(
        self,
        texts: str | Sequence[str],
        batch_size: int = 32,
        normalize_embeddings: bool = False,
    ) -> np.ndarray:
        """Sentence vectors as float32 NumPy: ``(len(texts), dim)``, or ``(dim,)`` for one
        text (``SentenceTransformer.encode``'s defaults)."""
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        for i, t in enumerate(items):
            if not isinstance(t, str):
                raise InputError(f"Text {i}: expected a string, got {type(t).__name__}.")
        if not items:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in items], kind="stable")
        module = self.model.module
        device = self.model.device
        out = np.zeros((len(items), self.dimension), dtype=np.float32)
        was_training = module.training
        module.eval()
        try:
            with torch.inference_mode():
                for s in range(0, len(items), batch_size):
                    rows = order[s : s + batch_size]
                    texts_ = [self._prepare(items[i]) for i in rows]
                    features = _encoder_features(
                        self.tokenizer, texts_, self.max_length, self._inputs
                    )
                    vectors = self.embedder(**{k: v.to(device) for k, v in features.items()})
                    if normalize_embeddings:
                        vectors = nn.functional.normalize(vectors, p=2, dim=-1)
                    out[rows] = vectors.float().cpu().numpy()
        finally:
            module.train(was_training)
        return out[0] if single else out

    def predict(self, texts: str | Sequence[str], batch_size: int = 32) -> np.ndarray:
        """:meth:`encode` with its defaults."""
        return self.encode(texts, batch_size=batch_size)

    @property
    def dimension(self) -> int:
        """The length of a sentence vector."""
        hidden = int(self.model.config.hidden_size)
        return hidden * len(self.pooling)

    def _vectors(self, x: Any) -> Tensor:
        if isinstance(x, str) or (isinstance(x, (list, tuple)) and x and isinstance(x[0], str)):
            x = self.encode(x)
        t = torch.as_tensor(np.asarray(x, dtype=np.float32))
        return t[None] if t.ndim == 1 else t

    def similarity(self, a: Any, b: Any) -> np.ndarray:
        """Cosine similarities ``(len(a), len(b))`` of texts or vectors."""
        va = nn.functional.normalize(self._vectors(a), p=2, dim=-1)
        vb = nn.functional.normalize(self._vectors(b), p=2, dim=-1)
        return (va @ vb.T).numpy()

    def search(self, queries: Any, corpus: Any, top_k: int = 10) -> list[list[dict[str, Any]]]:
        """For each query (a text or a vector) the ``top_k`` closest corpus entries by cosine
        similarity, as ``sentence_transformers.util.semantic_search`` gives them: a list per
        query of ``{"corpus_id": int, "score": float}``, best first."""
        scores = torch.from_numpy(self.similarity(queries, corpus))
        k = min(int(top_k), scores.shape[1])
        values, indices = torch.topk(scores, k, dim=1, largest=True, sorted=True)
        return [
            [{"corpus_id": int(i), "score": float(v)} for v, i in zip(vs, ids, strict=True)]
            for vs, ids in zip(values.tolist(), indices.tolist(), strict=True)
        ]

    # --- fine-tuning -----------------------------------------------------------------------------
    def compile(
        self,
        optimizer: Any = None,
        loss: Any = None,
        metrics: Any = ("accuracy",),
        scale: float = 20.0,
        **kwargs: Any,
    ) -> None:
        """Builds the pair model :meth:`fit` trains and compiles it: ``AdamW(2e-5,
        weight_decay=0.01)`` (no decay on biases and norms), in-batch negatives
        cross-entropy on ``scale`` × cosine similarities, accuracy."""
        from torchbridge.losses import SparseCategoricalCrossentropy
        from torchbridge.models.model import Model

        scorer = _PairScores(self.embedder, scale)
        self.trainer = Model.wrap(scorer)
        self.trainer.compile(
            optimizer=default_optimizer(2e-5) if optimizer is None else optimizer,
            loss=SparseCategoricalCrossentropy(from_logits=True) if loss is None else loss,
            metrics=list(metrics) if metrics is not None else None,
            **kwargs,
        )

    def read_pairs(self, x: Any, what: str = "fit") -> list[dict[str, str]]:
        """Rows → ``{"a": anchor, "b": positive[, "c": negative]}`` dicts, checked."""
        if hf_dataset_kind(x) is not None:
            names = list(getattr(x, "column_names", []) or [])
            if len(names) < 2:
                raise InputError(
                    f"{what}: the dataset has {names}; it needs (anchor, positive) columns "
                    "first (and optionally a negative)."
                )
            cols = names[:3] if len(names) >= 3 and "label" not in names[:3] else names[:2]
            raw: list[Any] = [tuple(r[c] for c in cols) for r in x]
        elif isinstance(x, Mapping):
            cols = [c for c in _COLUMNS if c in x]
            if cols[:2] != ["anchor", "positive"]:
                raise InputError(
                    f"{what}: x has the fields {list(x)}; give 'anchor' and 'positive' (and "
                    "optionally 'negative') columns."
                )
            raw = list(zip(*(x[c] for c in cols), strict=True))
        elif isinstance(x, (list, tuple)):
            raw = list(x)
        else:
            raise InputError(f"{what}: x must be (anchor, positive) pairs, got {type(x).__name__}.")
        if not raw:
            raise InputError(f"{what} got no rows: pass at least one (anchor, positive) pair.")
        out = []
        width = None
        for i, row in enumerate(raw):
            if isinstance(row, Mapping):
                if "anchor" not in row or "positive" not in row:
                    raise InputError(
                        f"Row {i} has the fields {list(row)}; give 'anchor' and 'positive'."
                    )
                texts = [row[c] for c in _COLUMNS if c in row]
                names_ = [c for c in _COLUMNS if c in row]
            elif isinstance(row, (list, tuple)):
                texts, names_ = list(row), list(_COLUMNS[: len(row)])
            else:
                raise InputError(
                    f"Row {i}: expected an (anchor, positive) pair, got {type(row).__name__}."
                )
            if len(texts) not in (2, 3):
                raise InputError(
                    f"Row {i} has {len(texts)} texts; give (anchor, positive) or (anchor, "
                    "positive, negative)."
                )
            if width is not None and len(texts) != width:
                raise InputError(
                    f"Row {i} has {len(texts)} texts but row 0 has {width}; give every row "
                    "a negative or none."
                )
            width = len(texts)
            out.append(
                {p: _as_text(t, i, n) for p, t, n in zip("abc", texts, names_, strict=False)}
            )
        return out

    def _loader(self, x: Any, batch_size: int | None, shuffle: bool, what: str) -> Any:
        from torchbridge.hf.ragged import rows_loader

        rows = self.read_pairs(x, what)
        return rows_loader(rows, None, batch_size, shuffle, _PairCollator(self), None)

    def _require_compiled(self, what: str) -> Any:
        if self.trainer is None:
            from torchbridge.errors import NotCompiledError

            raise NotCompiledError(f"Call compile() before {what}(): e.g. encoder.compile().")
        return self.trainer

    def fit(
        self,
        x: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_data: Any = None,
        shuffle: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Keras's ``fit`` on ``(anchor, positive[, negative])`` rows: in-batch negatives
        (the other rows' positives, and every negative, are the wrong answers; larger
        batches give more of them)."""
        trainer = self._require_compiled("fit")
        data = self._loader(x, batch_size, shuffle, "fit")
        if validation_data is not None:
            validation_data = self._loader(validation_data, batch_size, False, "validation_data")
        return trainer.fit(
            data,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation_data,
            **kwargs,
        )

    def evaluate(
        self, x: Any = None, batch_size: int | None = None, verbose: Any = "auto"
    ) -> dict[str, float]:
        """The in-batch negatives loss and accuracy on ``(anchor, positive[, negative])``
        rows (batches in order)."""
        trainer = self._require_compiled("evaluate")
        data = self._loader(x, batch_size, False, "evaluate")
        logs = trainer.evaluate(data, verbose=verbose, return_dict=True)
        return {k: float(v) for k, v in logs.items()}

    # --- saving ----------------------------------------------------------------------------------
    def merge_and_save(self, directory: str | os.PathLike[str]) -> None:
        """:meth:`save` with the ``peft`` adapter (``lora=`` / ``peft_config=`` of
        :meth:`from_pretrained`) merged into a copy of the weights: a plain ``transformers``
        folder; this model keeps its adapter (:mod:`torchbridge.hf.peft_support`)."""
        from torchbridge.hf.peft_support import merge_and_save

        merge_and_save(self, directory)

    def save(self, directory: str | os.PathLike[str]) -> None:
        """A sentence-transformers folder (``SentenceTransformer(directory)`` loads it and gives
        the same vectors) that :meth:`from_pretrained` loads back."""
        path = os.fspath(directory)
        os.makedirs(path, exist_ok=True)
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        write_folder(
            path,
            int(self.model.config.hidden_size),
            self.pooling,
            self.normalize,
            self.max_length,
            self.lowercase,
        )
        write_meta(
            path,
            _FORMAT,
            FORMAT_VERSION,
            {"pooling": list(self.pooling), "max_length": self.max_length},
        )
