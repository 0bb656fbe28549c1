"""``torchbridge.data``: tf.data's ``Dataset`` for PyTorch.

Sources, transformations with tf.data's semantics, parallel map/interleave,
prefetch, resumable iterators; elements are torch tensors (and ``str`` /
NumPy string arrays for text). A ``Dataset`` goes straight into
``Model.fit`` / ``evaluate`` / ``predict`` and is a torch ``IterableDataset``.
"""

from torchbridge.data.dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset
from torchbridge.data.iterator import DatasetIterator
from torchbridge.data.ops._call import PipelineFunctionError
from torchbridge.data.options import Options, ThreadingOptions
from torchbridge.data.sources.csv import CsvDataset
from torchbridge.data.sources.fixed_length import FixedLengthRecordDataset
from torchbridge.data.sources.make_csv import make_csv_dataset
from torchbridge.data.sources.text import TextLineDataset
from torchbridge.data.sources.tfrecord import TFRecordDataset
from torchbridge.data.spec import TensorSpec

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN

__all__ = [
    "AUTOTUNE",
    "CsvDataset",
    "Dataset",
    "DatasetIterator",
    "FixedLengthRecordDataset",
    "INFINITE_CARDINALITY",
    "Options",
    "PipelineFunctionError",
    "TFRecordDataset",
    "TensorSpec",
    "TextLineDataset",
    "ThreadingOptions",
    "UNKNOWN_CARDINALITY",
    "experimental",
    "make_csv_dataset",
]


def __getattr__(name: str) -> object:
    """``experimental`` (tf.data.experimental's helpers, with the TFRecord/Example
    parsers of ``torchbridge.io``) is imported on first use."""
    if name == "experimental":
        import importlib

        return importlib.import_module("torchbridge.data.experimental")
    raise AttributeError(f"module 'torchbridge.data' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
