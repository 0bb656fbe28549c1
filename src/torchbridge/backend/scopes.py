"""``keras.name_scope`` and ``keras.device``: the two scopes Keras exports at top level.

``name_scope(name)`` prefixes the ``path`` of the layer weights created inside it
(``with name_scope("enc"): dense.build(...)`` gives ``"enc/dense/kernel"``); scopes nest
and are per thread, as in Keras. ``device(name)`` takes Keras's spellings (``"cpu"``,
``"gpu"``, ``"gpu:1"``, ``"cuda:0"``, any case) and enters ``torch.device`` as a context,
so the tensors and weights created inside land there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from torchbridge.errors import InputError

__all__ = ["current_path", "device", "name_scope"]

_local = threading.local()


def _stack() -> list[name_scope]:
    stack: list[name_scope] | None = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


class name_scope:  # Keras's spelling
    """A sub-namespace for variable paths: ``with name_scope("block1"): ...``.

    ``caller`` and ``deduplicate``: re-entering the scope of the same caller and name
    directly inside itself adds no second level. ``override_parent`` is an absolute
    path that replaces the enclosing scopes' path.
    """

    def __init__(
        self,
        name: str,
        caller: Any = None,
        deduplicate: bool = True,
        override_parent: str | None = None,
    ) -> None:
        if not isinstance(name, str) or "/" in name:
            raise InputError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name}"
            )
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self._pushed = False

    def __enter__(self) -> name_scope:
        stack = _stack()
        if self.deduplicate and stack and self.caller is not None:
            top = stack[-1]
            if top.caller is self.caller and top.name == self.name:
                return self
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pushed:
            stack = _stack()
            if stack and stack[-1] is self:
                stack.pop()
            self._pushed = False


def current_path() -> str:
    """The ``"/"``-joined names of the open name scopes (``""`` outside any)."""
    stack = getattr(_local, "stack", None)
    if not stack:
        return ""
    parts: list[str] = []
    for scope in stack:
        if scope.override_parent is not None:
            parts = [p for p in scope.override_parent.split("/") if p]
        parts.append(scope.name)
    return "/".join(parts)


def _torch_device(device_name: Any) -> torch.device:
    if not isinstance(device_name, str):
        raise InputError(
            "Invalid value for argument `device_name`. Expected a string like 'gpu:0' or "
            f"'cpu'. Received: device_name='{device_name}'"
        )
    spelled = device_name.lower().replace("gpu", "cuda")
    try:
        return torch.device(spelled)
    except RuntimeError as err:
        raise InputError(
            f"keras.device: unknown device '{device_name}'. Use 'cpu', 'gpu', 'gpu:<index>' "
            "or a torch device string such as 'cuda:0' or 'mps'."
        ) from err


@contextmanager
def device(device_name: str) -> Iterator[torch.device]:
    """Keras's ``keras.device``: tensors and weights created inside go to ``device_name``."""
    target = _torch_device(device_name)
    with target:
        yield target
