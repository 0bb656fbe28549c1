"""Operation nodes in Keras-written functional configs (``ops.add(x, 1.0)`` in a Keras model).

Keras saves an op called on KerasTensors as a graph entry with the op's class
(``{"module": "keras.src.ops.numpy", "class_name": "Add", "config": {...}}``),
its constructor arguments (``axis``, ``dtype`` ...) in ``config`` and the call's
arguments in ``inbound_nodes``. :func:`keras_op_call` turns such an entry into
a :class:`KerasOpCall`: calling it during the graph rebuild calls the matching
``torchbridge.ops`` function on KerasTensors, which records an ``OpLayer``.
"""

from __future__ import annotations

import re
from typing import Any

from torchbridge.errors import UnknownClassError

__all__ = ["KerasOpCall", "keras_op_call"]

_FAMILIES = ("numpy", "core", "nn", "math", "linalg", "image")


class KerasOpCall:
    """A Keras op entry of a functional config: ``op(*args, **{**config, **kwargs})``."""

    def __init__(self, op: Any, arguments: dict[str, Any], name: str) -> None:
        self.op = op
        self.arguments = arguments
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.op(*args, **{**self.arguments, **kwargs})


def keras_op_call(config: dict[str, Any]) -> KerasOpCall | None:
    """A :class:`KerasOpCall` for a Keras op entry; ``None`` for anything else."""
    module = config.get("module")
    if not isinstance(module, str) or not module.startswith(("keras.src.ops.", "keras.ops.")):
        return None
    family = module.rsplit(".", 1)[1]
    class_name = str(config.get("class_name"))
    if family not in _FAMILIES:
        raise UnknownClassError(f"Unknown Keras operation module {module!r} ({class_name}).")
    from torchbridge.ops._symbolic import find_op, wrapper_of

    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
    op = find_op(f"{family}.{snake}") or find_op(snake)
    if op is None:
        raise UnknownClassError(
            f"The Keras operation {class_name} (keras.ops.{family}.{snake}) is not available in "
            "torchbridge.ops yet, so this model cannot be rebuilt."
        )
    arguments = {k: v for k, v in dict(config.get("config") or {}).items() if k != "name"}
    name = config.get("name") or (config.get("config") or {}).get("name") or snake
    return KerasOpCall(wrapper_of(op), arguments, str(name))
