"""``IndexLookup``: the vocabulary machinery shared by ``StringLookup`` and ``IntegerLookup``.

Keras's ``IndexLookup`` (not exported by Keras either) maps tokens to indices
through a vocabulary that is given (``vocabulary=`` / ``set_vocabulary``) or
learned by ``adapt``. The index layout, as in Keras:

* ``output_mode="int"`` with a ``mask_token``: index 0 is the mask;
* then ``num_oov_indices`` out-of-vocabulary slots (several OOV slots: a
  string goes to ``FarmHash Fingerprint64 % num_oov_indices`` — SipHash with
  ``salt`` — an integer to ``value % num_oov_indices``, or FarmHash of its
  decimal string with ``oov_method="farmhash"``);
* then the tokens, most frequent first, ties broken by the token itself,
  largest first; ``max_tokens`` counts the special slots.

In the other output modes there is no mask slot and mask tokens in the input
are dropped. ``tf_idf`` weights are ``log(1 + num_documents / (1 +
document_count))``; the OOV slots get the mean of the learned weights.

Lookups run on NumPy/dict operations: strings through one ``dict`` lookup per
token, integers through ``searchsorted`` on the sorted vocabulary. The
vocabulary is saved with the model through ``get_assets`` / ``set_assets``;
the idf weights are also a non-persistent buffer (their size follows the
vocabulary, so they are not part of the safetensors weights).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import chain, repeat
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.layers.preprocessing._encoding import encode_categorical
from torchbridge.layers.preprocessing.base import PreprocessingLayer
from torchbridge.layers.symbolic import in_probe

__all__ = ["IndexLookup", "OUTPUT_MODES"]

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_DROP = -2  # lookup value of the mask token outside "int" mode: dropped by the encoders
_GROUP = 4096  # scalar elements of an adapt dataset are grouped into batches of this size


def _normalize_output_mode(owner: str, output_mode: Any) -> str:
    if output_mode == "binary":
        output_mode = "multi_hot"
    if output_mode == "tf-idf":
        output_mode = "tf_idf"
    if output_mode not in OUTPUT_MODES:
        raise ValueError(
            f"{owner}: `output_mode` must be one of {', '.join(map(repr, OUTPUT_MODES))}; "
            f"received output_mode={output_mode!r}."
        )
    return output_mode


def _listify(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        x = x.tolist()
    return x


def _is_scalar(x: Any) -> bool:
    return isinstance(x, (str, bytes)) or np.isscalar(x) or getattr(x, "ndim", None) == 0


class IndexLookup(PreprocessingLayer):
    """Maps tokens to indices with a vocabulary (base of StringLookup / IntegerLookup)."""

    _string_vocab = True  # False for IntegerLookup

    def __init__(
        self,
        max_tokens: int | None,
        num_oov_indices: int,
        mask_token: Any,
        oov_token: Any,
        vocabulary_dtype: str,
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        name: str | None = None,
        salt: Any = None,
        vocabulary_size: int | None = None,
        has_input_vocabulary: bool | None = None,
        encoding: str = "utf-8",
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"{owner}: if set, `max_tokens` must be greater than 1 (it counts the mask and "
                f"OOV slots); received max_tokens={max_tokens}."
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{owner}: `pad_to_max_tokens=True` needs `max_tokens` to be set.")
        if num_oov_indices < 0:
            raise ValueError(
                f"{owner}: `num_oov_indices` must be >= 0; received "
                f"num_oov_indices={num_oov_indices}."
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"{owner}: `oov_method` must be 'floormod' or 'farmhash'; received "
                f"oov_method={oov_method!r}."
            )
        if salt is not None:
            if not self._string_vocab and oov_method != "farmhash":
                raise ValueError(
                    f"{owner}: `salt` can only be used with oov_method='farmhash'; received "
                    f"oov_method={oov_method!r}."
                )
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(salt[0]), int(salt[1])]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            else:
                raise ValueError(
                    f"{owner}: `salt` must be one integer or a tuple of 2 integers; received "
                    f"salt={salt!r}."
                )
        output_mode = _normalize_output_mode(owner, output_mode)
        if invert and output_mode != "int":
            raise ValueError(
                f"{owner}: `invert=True` needs output_mode='int'; received "
                f"output_mode={output_mode!r}."
            )
        if sparse and output_mode == "int":
            raise ValueError(
                f"{owner}: `sparse` may only be True when `output_mode` is 'one_hot', "
                "'multi_hot', 'count' or 'tf_idf'; received sparse=True and output_mode='int'."
            )
        if sparse:
            raise ValueError(
                f"{owner}: `sparse=True` is not supported: torchbridge returns dense tensors. "
                "Leave sparse=False (call .to_sparse() on the output if you need it)."
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{owner}: `idf_weights` should only be set when output_mode='tf_idf'; "
                f"received output_mode={output_mode!r}."
            )
        super().__init__(name=name, **kwargs)

        self.invert = bool(invert)
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self.encoding = encoding
        self._frozen_vocab_size = vocabulary_size
        # As Keras: a file path is read now and not kept in the config.
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = (
            (vocabulary is not None) if has_input_vocabulary is None else bool(has_input_vocabulary)
        )
        if self.invert:
            self._default_value: int = -1
        elif self.num_oov_indices == 1:
            self._default_value = self._oov_start_index()
        else:
            self._default_value = -1  # no OOV slot (an error) or several (hashed later)
        self._mask_value = 0 if self.output_mode == "int" else _DROP

        self._tokens: list[Any] = []
        self._cache: dict[str, Any] = {}
        self._report_assets = True  # False inside a TextVectorization, which saves them itself
        self.register_buffer("idf_weights", None, persistent=False)
        self.reset_state()

        if self.output_mode == "tf_idf" and self._has_input_vocabulary and idf_weights is None:
            raise ValueError(
                f"{owner}: with a `vocabulary` in output_mode='tf_idf', `idf_weights` must "
                "also be given."
            )
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # --- index layout -------------------------------------------------------------------------
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def _special_tokens(self) -> list[Any]:
        return [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The size of the vocabulary, mask and OOV slots included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[Any]:
        """The vocabulary in index order (with the mask and OOV tokens unless told otherwise)."""
        if not include_special_tokens:
            return list(self._tokens)
        return self._special_tokens() + list(self._tokens)

    def _depth(self) -> int:
        if self.pad_to_max_tokens:
            assert self.max_tokens is not None
            return self.max_tokens
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f"Layer '{self.name}' ({type(self).__name__}): with output_mode="
                f"{self.output_mode!r} and pad_to_max_tokens=False the vocabulary must be set "
                "before the layer is called: pass `vocabulary=` or call `adapt()` first."
            )
        return int(self._frozen_vocab_size)

    def _record_vocabulary_size(self) -> None:
        new_size = self.vocabulary_size()
        if (
            self.output_mode != "int"
            and not self.pad_to_max_tokens
            and self._frozen_vocab_size is not None
            and new_size != self._frozen_vocab_size
        ):
            raise RuntimeError(
                f"Layer '{self.name}' ({type(self).__name__}): with output_mode="
                f"{self.output_mode!r} and pad_to_max_tokens=False the vocabulary size cannot "
                f"change once set: it was {self._frozen_vocab_size}, the new one is {new_size}."
            )
        self._frozen_vocab_size = new_size

    # --- tokens ----------------------------------------------------------------------------
    def _decode(self, value: Any) -> Any:
        if isinstance(value, bytes):
            return value.decode(self.encoding)
        if isinstance(value, np.str_):
            return str(value)
        return value

    def _token_array(self, x: Any) -> np.ndarray:
        """``x`` as a NumPy array of tokens (``str`` objects, or int64 for integers)."""
        owner = f"Layer '{self.name}' ({type(self).__name__})"
        if self._string_vocab:
            if isinstance(x, torch.Tensor):
                raise InputError(
                    f"{owner} looks up strings; received a torch tensor of dtype {x.dtype} "
                    "(pass a list or a NumPy array of str)."
                )
            if isinstance(x, (str, bytes)):
                scalar = np.empty((), dtype=object)
                scalar[()] = self._decode(x)
                return scalar
            if isinstance(x, np.ndarray) and x.dtype.kind == "U":
                return x.astype(object)
            arr: np.ndarray = np.array(x, dtype=object) if not isinstance(x, np.ndarray) else x
            if arr.dtype.kind == "S":
                arr = arr.astype(object)
            if arr.dtype.kind != "O":
                raise InputError(
                    f"{owner} looks up strings; received an array of dtype {arr.dtype}."
                )
            flat = arr.reshape(-1).tolist()
            if not all(type(v) is str for v in flat):
                decoded = []
                for v in flat:
                    if not isinstance(v, (str, bytes)):
                        raise InputError(
                            f"{owner} looks up strings; received an element of type "
                            f"{type(v).__name__} ({v!r}). Nested lists must be rectangular."
                        )
                    decoded.append(self._decode(v))
                out = np.empty(len(decoded), dtype=object)
                out[:] = decoded
                return out.reshape(arr.shape)
            return arr
        return self._int_array(x, "looks up integers")

    def _int_array(self, x: Any, what: str) -> np.ndarray:
        owner = f"Layer '{self.name}' ({type(self).__name__})"
        if isinstance(x, torch.Tensor):
            arr = x.detach().cpu().numpy()
        else:
            arr = np.asarray(x)
        if arr.dtype.kind in "iub":
            return arr.astype(np.int64, copy=False)
        if arr.dtype.kind == "f":
            return arr.astype(np.int64)
        raise InputError(f"{owner} {what}; received values of dtype {arr.dtype}.")

    def _set_tokens(self, tokens: list[Any]) -> None:
        self._tokens = tokens
        self._cache = {}

    def _str_table(self) -> dict[Any, int]:
        table = self._cache.get("str")
        if table is None:
            start = self._token_start_index()
            table = {t: i for i, t in enumerate(self._tokens, start)}
            if self.mask_token is not None:
                table[self.mask_token] = self._mask_value
            self._cache["str"] = table
        return table

    def _bytes_table(self) -> dict[bytes, int]:
        """The string table keyed by UTF-8 bytes (TextVectorization's fast path)."""
        table = self._cache.get("bytes")
        if table is None:
            table = {
                (k.encode(self.encoding) if isinstance(k, str) else k): v
                for k, v in self._str_table().items()
            }
            self._cache["bytes"] = table
        return table

    def _int_table(self) -> tuple[np.ndarray, np.ndarray]:
        table = self._cache.get("int")
        if table is None:
            keys = np.asarray(self._tokens, dtype=np.int64).reshape(-1)
            order = np.argsort(keys, kind="stable")
            table = (keys[order], order.astype(np.int64) + self._token_start_index())
            self._cache["int"] = table
        return table

    def _vocab_array(self) -> np.ndarray:
        arr = self._cache.get("vocab")
        if arr is None:
            vocab = self.get_vocabulary()
            if self._string_vocab:
                arr = np.empty(len(vocab), dtype=object)
                arr[:] = vocab
            else:
                arr = np.asarray(vocab, dtype=np.int64)
            self._cache["vocab"] = arr
        return arr

    # --- lookups -------------------------------------------------------------------------------
    def _lookup_flat(self, flat: Any, bytes_keys: bool = False) -> np.ndarray:
        """Indices (int64) of a flat list of str/bytes tokens, or of a 1-D int64 array."""
        if self._string_vocab:
            table = self._bytes_table() if bytes_keys else self._str_table()
            n = len(flat)
            ids = np.fromiter(
                map(table.get, flat, repeat(self._default_value)), dtype=np.int64, count=n
            )
        else:
            keys, values = self._int_table()
            x = flat
            if len(keys):
                pos = np.minimum(np.searchsorted(keys, x), len(keys) - 1)
                ids = np.where(keys[pos] == x, values[pos], self._default_value)
            else:
                ids = np.full(x.shape, self._default_value, dtype=np.int64)
            if self.mask_token is not None:
                ids[x == int(self.mask_token)] = self._mask_value
        if self.num_oov_indices != 1:
            missing = np.flatnonzero(ids == -1)
            if missing.size:
                ids[missing] = self._oov_indices(flat, missing)
        return ids

    def _oov_indices(self, flat: Any, positions: np.ndarray) -> np.ndarray:
        if self.num_oov_indices == 0:
            if in_probe():  # shape inference on stand-in values: any in-range index
                return np.zeros(positions.size, dtype=np.int64)
            if self._string_vocab:
                values = [self._decode(flat[i]) for i in positions[:10].tolist()]
            else:
                values = flat[positions[:10]].tolist()
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): with num_oov_indices=0 every "
                f"input must be in the vocabulary; found out-of-vocabulary values {values}"
                f"{' ...' if positions.size > 10 else ''}. Set num_oov_indices=1 to map them "
                "to an OOV index."
            )
        from torchbridge.layers.preprocessing.hashing import hash_to_bins

        n = self.num_oov_indices
        if self._string_vocab:
            arr = np.empty(positions.size, dtype=object)
            arr[:] = [flat[i] for i in positions.tolist()]
            buckets = hash_to_bins(arr, n, self.salt)
        elif self.oov_method != "farmhash":
            buckets = np.mod(flat[positions], n)
        else:
            arr = np.empty(positions.size, dtype=object)
            arr[:] = [str(v) for v in flat[positions].tolist()]
            buckets = hash_to_bins(arr, n, self.salt)
        return buckets.astype(np.int64) + self._oov_start_index()

    def _invert_lookup(self, inputs: Any) -> Any:
        idx = self._int_array(inputs, "inverts indices: it takes integer indices")
        vocab = self._vocab_array()
        valid = (idx >= 0) & (idx < len(vocab))
        if self._string_vocab:
            out = np.empty(idx.shape, dtype=object)
            out[...] = self.oov_token
            out[valid] = vocab[idx[valid]]
            return out
        out_int = np.full(idx.shape, self.oov_token, dtype=np.int64)
        out_int[valid] = vocab[idx[valid]]
        return self._to_torch(out_int, inputs)

    @staticmethod
    def _to_torch(arr: np.ndarray, like: Any) -> torch.Tensor:
        out = torch.from_numpy(arr if arr.flags.c_contiguous else arr.copy())
        if isinstance(like, torch.Tensor) and like.device.type != "cpu":
            out = out.to(like.device)
        return out

    def _encode(self, ids: torch.Tensor) -> torch.Tensor:
        """Keras's encoding of looked-up indices in the non-"int" output modes."""
        depth = self._depth()
        dropped = ids == _DROP
        drop = bool(dropped.any())
        width = depth + 1 if drop else depth
        if drop:  # mask tokens go to an extra last slot that is cut off afterwards
            ids = torch.where(dropped, torch.full_like(ids, depth), ids)
        if self.output_mode == "tf_idf":
            idf = self.idf_weights
            if idf is None:
                raise RuntimeError(
                    f"Layer '{self.name}' ({type(self).__name__}): output_mode='tf_idf' needs "
                    "idf weights: call adapt() or set_vocabulary(vocabulary, idf_weights)."
                )
            idf = idf.to(ids.device)
            if drop:
                idf = torch.cat([idf, idf.new_zeros(1)])
            out = encode_categorical(ids, "tf_idf", width, idf_weights=idf)
        else:
            out = encode_categorical(ids, self.output_mode, width, dtype=torch.int64)
        return out[..., :depth] if drop else out

    def forward(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(inputs, (list, tuple, str, bytes)):
            inputs = (
                self._token_array(inputs)
                if not self.invert
                else self._int_array(inputs, "inverts indices: it takes integer indices")
            )
        return super().forward(inputs, *args, **kwargs)

    def call(self, inputs: Any) -> Any:
        if self.invert:
            return self._invert_lookup(inputs)
        if self.output_mode != "int":
            self._depth()  # fails early, as Keras, when the depth is not known yet
        keys = self._token_array(inputs)
        flat = keys.reshape(-1)
        ids = self._lookup_flat(flat.tolist() if self._string_vocab else flat)
        out = self._to_torch(ids.reshape(keys.shape), inputs)
        if self.output_mode == "int":
            return out
        return self._encode(out)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        input_shape = tuple(input_shape)
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return (*input_shape[:-1], depth)
            return (*input_shape, depth)
        return (*input_shape[:-1], depth)

    # --- vocabulary given -------------------------------------------------------------------
    def _read_vocabulary_file(self, path: str) -> list[Any]:
        if not os.path.exists(path):
            raise ValueError(f"Vocabulary file {path} does not exist.")
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        out: list[Any] = []
        for i, raw in enumerate(lines):
            line = raw[:-1] if raw.endswith(b"\r") else raw
            if not line:
                raise ValueError(
                    f"Invalid content in {path}: empty line found at line {i + 1} (one term "
                    "per line, no blank lines)."
                )
            text = line.decode(self.encoding)
            out.append(text if self._string_vocab else int(text))
        return out

    def _as_token_list(self, vocabulary: Any) -> list[Any]:
        vocab = _listify(vocabulary)
        if not isinstance(vocab, (list, tuple)):
            raise ValueError(
                f"{type(self).__name__}: `vocabulary` must be a list, tuple, 1-D array or a "
                f"file path; received {type(vocabulary).__name__}."
            )
        if self._string_vocab:
            return [self._decode(v) for v in vocab]
        return [int(v) for v in vocab]

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Set the vocabulary (a list/array of terms or a file path) and the idf weights."""
        owner = type(self).__name__
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{owner}: `idf_weights` must be set if output_mode='tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                f"{owner}: `idf_weights` should only be set if output_mode='tf_idf'; received "
                f"output_mode={self.output_mode!r}."
            )
        if isinstance(vocabulary, str):
            if self.output_mode == "tf_idf":
                raise ValueError(
                    f"{owner}: output_mode='tf_idf' does not support loading a vocabulary "
                    "from a file."
                )
            tokens = self._read_vocabulary_file(vocabulary)
            repeated = [t for t, c in Counter(tokens).items() if c > 1]
            if repeated:
                raise ValueError(
                    f"{owner}: the vocabulary file {vocabulary} repeats terms: {repeated[:20]}."
                )
            self._set_tokens(tokens)
            self._record_vocabulary_size()
            return

        vocab = self._as_token_list(vocabulary)
        if not vocab:
            raise ValueError(f"{owner}: cannot set an empty vocabulary.")
        token_start = self._token_start_index()
        special = self._special_tokens()
        found_special = vocab[:token_start] == special
        tokens = vocab[token_start:] if found_special else vocab
        repeated = [t for t, c in Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(
                f"{owner}: the vocabulary has repeated terms; make it unique. The repeated "
                f"terms are: {repeated[:20]}."
            )
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                f"{owner}: found the reserved mask token {self.mask_token!r} at vocabulary "
                f"index {len(vocab) - 1 - vocab[::-1].index(self.mask_token)}. The vocabulary "
                "does not need to include the mask and OOV tokens: remove them, or put them "
                f"only at the start in exactly this order: {special}."
            )
        if self.oov_token is not None and self.invert and self.oov_token in tokens:
            raise ValueError(
                f"{owner}: found the reserved OOV token {self.oov_token!r} at vocabulary "
                f"index {len(vocab) - 1 - vocab[::-1].index(self.oov_token)}. The vocabulary "
                "does not need to include the mask and OOV tokens: remove them, or put them "
                f"only at the start in exactly this order: {special}."
            )
        new_size = token_start + len(tokens)
        if self.max_tokens is not None and new_size > self.max_tokens:
            raise ValueError(
                f"{owner}: the vocabulary ({new_size} entries with the special tokens) is "
                f"larger than max_tokens={self.max_tokens}."
            )
        self._set_tokens(tokens)
        self._record_vocabulary_size()

        if self.output_mode == "tf_idf":
            weights = np.asarray(_listify(idf_weights), dtype=np.float64)
            if weights.ndim != 1:
                raise ValueError(
                    f"{owner}: `idf_weights` must be 1-D; received shape {weights.shape}."
                )
            if len(weights) != len(vocab):
                raise ValueError(
                    f"{owner}: `idf_weights` must have the length of the vocabulary: "
                    f"len(idf_weights) is {len(weights)}; len(vocabulary) is {len(vocab)}."
                )
            front = 0 if found_special else token_start
            front_value = 0.0 if found_special else float(np.average(weights))
            back = 0
            if self.pad_to_max_tokens and self.max_tokens is not None:
                back = self.max_tokens - front - len(weights)
            padded = np.pad(weights, (front, back), constant_values=(front_value, 0.0))
            self.idf_weights = torch.as_tensor(padded.astype(np.float32))

    # --- adapt ---------------------------------------------------------------------------------
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary (and document frequencies) from ``data``.

        As Keras: a list/array is one batch whose elements are the documents
        (rank 1) or whose rows are (rank 2); in a dataset each element is a
        batch and a rank-1 batch is ONE document (this only matters for
        ``tf_idf``); a scalar element is a document of one token.
        """
        if isinstance(data, (list, tuple, np.ndarray, torch.Tensor, str, bytes)) or np.isscalar(
            data
        ):
            arr = self._token_array(data)
            if arr.ndim <= 1:
                arr = arr.reshape(-1, 1)
            super().adapt(arr, batch_size, steps)
        else:
            super().adapt(self._adapt_elements(data, steps), batch_size, None)

    def _adapt_elements(self, data: Iterable[Any], steps: int | None) -> Iterator[Any]:
        pending: list[Any] = []
        for i, element in enumerate(data):
            if steps is not None and i >= steps:
                break
            if _is_scalar(element):
                pending.append(element.item() if hasattr(element, "item") else element)
                if len(pending) >= _GROUP:
                    yield self._token_array(pending).reshape(-1, 1)
                    pending = []
            else:
                yield element
        if pending:
            yield self._token_array(pending).reshape(-1, 1)

    def reset_state(self) -> None:
        self._token_counts: Counter[Any] = Counter()
        self._document_counts: Counter[Any] = Counter()
        self._num_documents = 0

    def update_state(self, batch: Any) -> None:
        self._check_adaptable()
        arr = self._token_array(batch)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)  # a 1-D batch is one document, as Keras
        self._count(arr.reshape(arr.shape[0], -1).tolist())

    def _check_adaptable(self) -> None:
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' ({type(self).__name__}): it was given a "
                "fixed vocabulary with the `vocabulary` argument."
            )

    def _count(self, documents: list[list[Any]]) -> None:
        """Add the tokens of ``documents`` (lists of tokens) to the adapt statistics."""
        self._token_counts.update(chain.from_iterable(documents))
        if self.output_mode == "tf_idf":
            self._document_counts.update(chain.from_iterable(map(set, documents)))
            self._num_documents += len(documents)

    def _add_counts(
        self,
        token_counts: dict[Any, int],
        document_counts: dict[Any, int] | None,
        num_documents: int,
    ) -> None:
        """Add counts computed elsewhere (TextVectorization's vectorised tokenizer)."""
        self._token_counts.update(token_counts)
        if self.output_mode == "tf_idf":
            self._document_counts.update(document_counts or {})
            self._num_documents += num_documents

    def finalize_state(self) -> None:
        if self._has_input_vocabulary or not self._token_counts:
            self._record_vocabulary_size()
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special, None)
                if isinstance(special, str):
                    counts.pop(special.encode(self.encoding), None)
        # Most frequent first; ties: the larger token first (Keras's lexsort, reversed).
        ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens:
            ranked = ranked[: self.max_tokens - self._token_start_index()]
        keys = [k for k, _ in ranked]
        tokens = [self._decode(k) for k in keys] if self._string_vocab else [int(k) for k in keys]
        if self.output_mode == "tf_idf":
            df = np.array([self._document_counts.get(k, 0) for k in keys], dtype=np.float64)
            idf = np.log(1.0 + self._num_documents / (1.0 + df)).astype(np.float32)
            mean = np.float32(idf.astype(np.float64).mean()) if idf.size else np.float32("nan")
            padded = np.concatenate(
                [np.full(self._token_start_index(), mean, dtype=np.float32), idf]
            )
            if self.pad_to_max_tokens and self.max_tokens is not None:
                padded = np.pad(padded, (0, max(self.max_tokens - padded.size, 0)))
            self.idf_weights = torch.as_tensor(padded)
        self._set_tokens(tokens)
        self.reset_state()
        self._record_vocabulary_size()

    # --- saving ------------------------------------------------------------------------------
    def get_assets(self) -> dict[str, Any]:
        """The vocabulary (special tokens included) and the idf weights, JSON-able."""
        return self._vocabulary_assets() if self._report_assets else {}

    def _vocabulary_assets(self) -> dict[str, Any]:
        if not self._tokens:
            return {}
        assets: dict[str, Any] = {"vocabulary": self.get_vocabulary(include_special_tokens=True)}
        if self.idf_weights is not None:
            assets["idf_weights"] = [float(v) for v in self.idf_weights.tolist()]
        return assets

    def set_assets(self, assets: dict[str, Any]) -> None:
        if not assets or "vocabulary" not in assets:
            return
        vocab = self._as_token_list(assets["vocabulary"])
        self._set_tokens(vocab[self._token_start_index() :])
        if assets.get("idf_weights") is not None:
            self.idf_weights = torch.tensor(assets["idf_weights"], dtype=torch.float32)
        self._record_vocabulary_size()
        self._is_adapted = not self._has_input_vocabulary

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "invert": self.invert,
                "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices,
                "oov_token": self.oov_token,
                "mask_token": self.mask_token,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary_dtype": self.vocabulary_dtype,
                "idf_weights": _listify(self.input_idf_weights),
                "vocabulary": _listify(self.input_vocabulary),
                "vocabulary_size": self._frozen_vocab_size,
                "oov_method": self.oov_method,
                "salt": self.salt,
            }
        )
        return config

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, output_mode={self.output_mode!r}, "
            f"vocabulary_size={self.vocabulary_size()}"
        )
