"""``keras.optimizers.legacy``: the Keras 2 names, which raise as they do in Keras 3.

Keras 3 keeps ``keras.optimizers.legacy.Adam`` (and ``Adagrad``, ``Ftrl``,
``Optimizer``, ``RMSprop``, ``SGD``) importable, but creating one raises an
``ImportError``; so does torchbridge, naming the replacement.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"]


class LegacyOptimizerWarning:
    """Stands for every Keras 2 legacy optimizer; instantiating it raises ``ImportError``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ImportError(
            "`keras.optimizers.legacy` is not supported in Keras 3 (nor in torchbridge). Use "
            "the optimizer of the same name in `keras.optimizers` (e.g. "
            "`keras.optimizers.Adam`), which takes the same arguments apart from the removed "
            "`decay`."
        )


Adagrad = Adam = Ftrl = Optimizer = RMSprop = SGD = LegacyOptimizerWarning
