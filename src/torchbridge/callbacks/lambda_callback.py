"""``LambdaCallback``: a callback built from plain functions, one per hook.

The functions take the hook's positional arguments: ``on_epoch_begin`` /
``on_epoch_end`` get ``(epoch, logs)``, ``on_train_begin`` / ``on_train_end``
get ``(logs)``, ``on_train_batch_begin`` / ``on_train_batch_end`` get
``(batch, logs)``. Any other hook of :class:`Callback` is passed by keyword
(``on_test_end=fn``). Hooks left out do nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchbridge.callbacks.callback import Callback

__all__ = ["LambdaCallback"]

Hook = Callable[..., Any]


class LambdaCallback(Callback):
    """Build a callback on the fly from functions, e.g. ``LambdaCallback(on_epoch_end=f)``."""

    _lazy_batch_logs = False  # the user's functions get filled dicts

    def __init__(
        self,
        on_epoch_begin: Hook | None = None,
        on_epoch_end: Hook | None = None,
        on_train_begin: Hook | None = None,
        on_train_end: Hook | None = None,
        on_train_batch_begin: Hook | None = None,
        on_train_batch_end: Hook | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        # Like Keras, every keyword becomes an instance attribute, which shadows
        # the class's no-op hook of the same name.
        self.__dict__.update(kwargs)
        named = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for name, fn in named.items():
            if fn is not None:
                setattr(self, name, fn)
