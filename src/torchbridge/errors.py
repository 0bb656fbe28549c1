"""The torchbridge exception hierarchy.

Every error a user can trigger says what was wrong (the offending name, shape
or value) and what to do about it. Each class also derives from the built-in
exception a Python user would catch for that situation, so ``except
ValueError`` keeps working::

    TorchbridgeError
    ├── NotCompiledError        (RuntimeError)  fit/evaluate before compile()
    ├── UnknownNameError        (ValueError)    a string name that resolves to nothing
    ├── InputError              (ValueError)    data that cannot be used as given
    │   └── LossInputError                      labels/predictions a loss cannot take
    ├── DataLossError           (ValueError)    a truncated or corrupted TFRecord file
    ├── UnknownClassError       (ValueError)    a saved config names an unknown class
    ├── SavedFormatError        (ValueError)    a damaged, crafted or unknown model file
    ├── ConvertError            (ValueError)    `torchbridge convert` cannot do what was asked
    ├── DownloadError           (OSError)       get_file could not fetch a file
    ├── BackendLayerError       (NotImplementedError)  a JAX/Flax/TF-only layer
    └── NonFiniteLossError      (FloatingPointError)  a NaN/inf loss stopped training
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "TorchbridgeError",
    "UnknownClassError",
    "SavedFormatError",
    "NotCompiledError",
    "UnknownNameError",
    "InputError",
    "LossInputError",
    "NonFiniteLossError",
    "DataLossError",
    "ConvertError",
    "DownloadError",
    "BackendLayerError",
]


class TorchbridgeError(Exception):
    """Base class of every error raised by torchbridge."""


class NotCompiledError(TorchbridgeError, RuntimeError):
    """A method that needs ``compile()`` was called first."""


class UnknownNameError(TorchbridgeError, ValueError):
    """A string identifier (loss, metric, optimizer ...) that is not registered."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        known = sorted(set(known))
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        if not close:
            lowered = {k.lower(): k for k in known}
            close = [
                lowered[m]
                for m in difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
            ]
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(
            f"Unknown {kind} {name!r}.{hint} Known {kind} names: {', '.join(known)}. "
            f"You can also pass a {kind} object or callable instead of a string."
        )
        self.kind = kind
        self.name = name
        self.suggestions = close


class UnknownClassError(TorchbridgeError, ValueError):
    """A saved config names a class that is neither built in nor registered."""


class SavedFormatError(TorchbridgeError, ValueError):
    """A saved model file that is not torchbridge's format, is damaged, or is too new."""


class ConvertError(TorchbridgeError, ValueError):
    """``torchbridge convert`` cannot do what was asked (file missing, unknown extension ...)."""


class DownloadError(TorchbridgeError, OSError):
    """``get_file`` could not fetch a file that is not in the cache yet."""


class BackendLayerError(TorchbridgeError, NotImplementedError):
    """A Keras layer that needs another backend (JAX, Flax, TensorFlow) was created."""


class InputError(TorchbridgeError, ValueError):
    """Data passed to fit/evaluate/predict (or a layer) that cannot be used as given."""


class LossInputError(InputError):
    """Labels or predictions that the chosen loss cannot accept."""


class DataLossError(TorchbridgeError, ValueError):
    """A TFRecord file is truncated or a record's checksum does not match.

    The message names the file and the byte offset of the bad record (as
    ``tf.errors.DataLossError`` does); ``Dataset.ignore_errors()`` skips it.
    """


class NonFiniteLossError(TorchbridgeError, FloatingPointError):
    """Training produced a NaN or infinite loss."""
