"""``StringLookup``: Keras's string → index layer (and back with ``invert=True``).

Inputs are Python/NumPy strings of any shape (a ``str``, a list, a NumPy
array of ``str``/``bytes``). ``output_mode="int"`` returns an int64 tensor of
the input's shape; ``one_hot`` / ``multi_hot`` / ``count`` return int64 and
``tf_idf`` float32 tensors, as Keras on TensorFlow. With ``invert=True`` the
layer takes indices and returns a NumPy array of ``str`` (torch has no string
tensors). See :mod:`torchbridge.layers.preprocessing.index_lookup` for the
vocabulary rules.
"""

from __future__ import annotations

from typing import Any

from torchbridge.layers.preprocessing.index_lookup import IndexLookup

__all__ = ["StringLookup"]


class StringLookup(IndexLookup):
    """Keras's ``StringLookup``: map strings to indices through a vocabulary."""

    _string_vocab = True

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary_dtype="string",
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            encoding=encoding,
            name=name,
            salt=salt,
            **kwargs,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["vocabulary_dtype"]  # strings have one dtype; Keras does not expose it
        config["encoding"] = self.encoding
        return config
