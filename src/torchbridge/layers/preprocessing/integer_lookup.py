"""``IntegerLookup``: Keras's integer → index layer (and back with ``invert=True``).

Inputs are integers of any shape (a torch tensor, a NumPy array, a list); the
output is an int64 tensor (``one_hot`` / ``multi_hot`` / ``count`` int64,
``tf_idf`` float32), as Keras on TensorFlow. Several OOV slots take
``value % num_oov_indices`` (``oov_method="floormod"``) or FarmHash of the
decimal string (``"farmhash"``). See
:mod:`torchbridge.layers.preprocessing.index_lookup` for the vocabulary rules.
"""

from __future__ import annotations

from typing import Any

from torchbridge.layers.preprocessing.index_lookup import IndexLookup

__all__ = ["IntegerLookup"]


class IntegerLookup(IndexLookup):
    """Keras's ``IntegerLookup``: map integers to indices through a vocabulary."""

    _string_vocab = False

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if vocabulary_dtype != "int64":
            raise ValueError(
                "IntegerLookup: only vocabulary_dtype='int64' is supported (as in Keras); "
                f"received vocabulary_dtype={vocabulary_dtype!r}."
            )
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=None if mask_token is None else int(mask_token),
            oov_token=None if oov_token is None else int(oov_token),
            vocabulary_dtype=vocabulary_dtype,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            oov_method=oov_method,
            salt=salt,
            name=name,
            **kwargs,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
