"""``with_options``: attach :class:`~torchbridge.data.options.Options` to a pipeline; the
elements pass through unchanged (``Dataset.options()`` merges them)."""

from __future__ import annotations

from typing import Any

from torchbridge.data.dataset import Dataset
from torchbridge.data.ops._unary import UnaryDataset

__all__ = ["WithOptionsDataset"]


class WithOptionsDataset(UnaryDataset):
    def __init__(self, input_dataset: Dataset, options: Any) -> None:
        from torchbridge.data.options import Options

        if not isinstance(options, Options):
            raise TypeError(
                "with_options takes a torchbridge.data.Options (tf.data.Options), got "
                f"{type(options).__name__}."
            )
        super().__init__(input_dataset)
        self._own_options = options

    def _iterator(self) -> Any:
        return self._input._iterator()
