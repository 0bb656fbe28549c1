"""When a callback's checkpoint is written: after every callback has run the current hook.

A callback that saves in ``on_train_batch_end`` / ``on_epoch_end`` (``BackupAndRestore``,
``ModelCheckpoint``) hands the write to :func:`save_after_hooks`: during ``fit()`` the
trainer runs it once the whole hook has been dispatched, and after it has recorded that
an epoch is over, so the file holds every callback's effect of that batch or epoch
(a ``ReduceLROnPlateau`` listed after the saving callback included) and counters
consistent with the optimizer. Outside ``fit()`` the write happens at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["save_after_hooks"]


def save_after_hooks(
    callback: Any, action: Callable[[], None], hook: str, index: int | None = None
) -> None:
    """Run ``action`` (``callback``'s save) once the hook ``hook(index)`` has been run by
    every callback; an error it raises names the callback and hook, as a hook's would."""
    from torchbridge.callbacks.callback_list import annotate_callback_error

    def run() -> None:
        try:
            action()
        except Exception as e:
            annotate_callback_error(e, callback, hook, index)
            raise

    defer = getattr(getattr(callback.model, "_trainer", None), "defer_until_hooks_end", None)
    if defer is None:
        action()
    else:
        defer(run)
