"""``Variable``: Keras's ``keras.Variable`` as a ``torch.nn.Parameter``.

Every weight a layer owns is one of these (``add_weight`` makes them; plain
parameters a layer created in ``build`` are upgraded in place), so a weight is
at the same time:

* a real ``nn.Parameter`` — it appears in ``parameters()`` / ``state_dict()``,
  goes into any torch optimizer, and torch expressions on it give plain tensors;
* a Keras variable — ``value``, ``assign``/``assign_add``/``assign_sub``,
  ``numpy()``, ``trainable``, ``name``, ``path``, ``regularizer``, ``constraint``.

``value`` returns the variable itself (as Keras's torch backend returns its
parameter), so ``v.value.grad`` is the gradient after ``backward()``.

Regularizers and constraints act on the weight in **Keras's layout**: a layer
whose torch layout differs (a fused RNN kernel) attaches the two conversions
(``_to_keras`` / ``_from_keras``) and :func:`regularization_penalty` /
:func:`apply_constraint` go through them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge.backend.scopes import current_path
from torchbridge.backend.session import get_uid

__all__ = ["Variable", "apply_constraint", "apply_constraints", "regularization_penalty"]

_Convert = Callable[[torch.Tensor], torch.Tensor]


def _as_tensor(value: Any, like: torch.Tensor) -> torch.Tensor:
    t = value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
    return t.to(device=like.device, dtype=like.dtype)


class Variable(nn.Parameter):
    """A Keras variable that is a ``torch.nn.Parameter``.

    ``Variable(initializer, shape=None, dtype=None, trainable=True, name=None)``
    follows ``keras.Variable``: ``initializer`` is a value (array, tensor,
    number) or an initializer (name, object or callable taking ``shape`` and
    ``dtype``) together with ``shape``.
    """

    _keras_name: str | None
    _keras_path: str | None
    _trainable_by_design: bool
    regularizer: Any
    constraint: Any
    _to_keras: _Convert | None
    _from_keras: _Convert | None

    def __new__(
        cls,
        initializer: Any = None,
        shape: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        aggregation: str = "none",
        synchronization: str = "auto",
        name: str | None = None,
        **kwargs: Any,
    ) -> Variable:
        del autocast, synchronization
        if kwargs:
            raise TypeError(f"Variable got unexpected keyword arguments {sorted(kwargs)}.")
        if name is None:  # Keras names an unnamed Variable "variable", "variable_1", ...
            uid = get_uid("variable")
            name = "variable" if uid == 1 else f"variable_{uid - 1}"
        data = _initial_value(initializer, shape, dtype)
        requires_grad = bool(trainable) and (data.is_floating_point() or data.is_complex())
        var = super().__new__(cls, data, requires_grad)
        var._init_keras(name, bool(trainable), aggregation)
        prefix = current_path()  # keras.name_scope(...) around a standalone Variable
        if prefix and name:
            var._keras_path = f"{prefix}/{name}"
        return var

    def _init_keras(self, name: str | None, trainable: bool, aggregation: str = "none") -> None:
        self._keras_name = name
        self._keras_path = None
        self._trainable_by_design = trainable
        self.aggregation = aggregation
        self.regularizer = None
        self.constraint = None
        self.overwrite_with_gradient = False
        self._to_keras = None
        self._from_keras = None

    @classmethod
    def from_tensor(cls, tensor: torch.Tensor, name: str | None = None) -> Variable:
        """A Variable sharing ``tensor``'s storage (a parameter upgraded in place)."""
        var = nn.Parameter.__new__(cls, tensor.data, tensor.requires_grad)
        var._init_keras(name, tensor.requires_grad)
        return var

    # --- Keras's attributes ------------------------------------------------------------
    @property
    def value(self) -> Variable:
        return self

    @property
    def name(self) -> str | None:  # type: ignore[override]
        return self._keras_name

    @property
    def path(self) -> str | None:
        """``"<layer name>/<variable name>"`` as Keras reports it."""
        if self._keras_path is not None:
            return self._keras_path
        return self._keras_name

    @property
    def trainable(self) -> bool:
        return self.requires_grad

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable_by_design = bool(value)
        self.requires_grad_(bool(value))

    @property
    def ndim(self) -> int:  # type: ignore[override]
        return self.dim()

    def numpy(self, *, force: bool = False) -> np.ndarray:  # type: ignore[override]
        """The value as a NumPy array (a copy, detached from autograd)."""
        del force
        return self.detach().cpu().numpy().copy()

    def assign(self, value: Any) -> Variable:
        new = _as_tensor(value, self)
        if tuple(new.shape) != tuple(self.shape):
            raise ValueError(
                f"The shape of the value assigned to variable '{self.path}' "
                f"({tuple(new.shape)}) does not match the variable's shape {tuple(self.shape)}."
            )
        with torch.no_grad():
            self.copy_(new)
        return self

    def assign_add(self, value: Any) -> Variable:
        with torch.no_grad():
            self.add_(_as_tensor(value, self))
        return self

    def assign_sub(self, value: Any) -> Variable:
        with torch.no_grad():
            self.sub_(_as_tensor(value, self))
        return self

    # --- copies keep the Keras attributes ------------------------------------------------
    def __deepcopy__(self, memo: dict[int, Any]) -> Variable:
        if id(self) in memo:
            return memo[id(self)]
        result = nn.Parameter.__new__(
            type(self), self.data.clone(memory_format=torch.preserve_format), self.requires_grad
        )
        memo[id(self)] = result
        for key, value in self.__dict__.items():
            result.__dict__[key] = copy.deepcopy(value, memo)
        return result

    def __reduce_ex__(self, protocol: Any) -> Any:
        # torch.save / multiprocessing: travel as a plain Parameter (no custom class to import).
        return nn.Parameter(self.data, self.requires_grad).__reduce_ex__(protocol)

    def __repr__(self) -> str:  # type: ignore[override]
        dtype = str(self.dtype).replace("torch.", "")
        return (
            f"<Variable path={self.path}, shape={tuple(self.shape)}, dtype={dtype}, "
            f"value={self.detach().cpu().numpy()!r}>"
        )


def _initial_value(initializer: Any, shape: Any, dtype: Any) -> torch.Tensor:
    value: Any
    from torchbridge import initializers
    from torchbridge.backend.dtypes import keras_dtype_name, to_torch_dtype

    torch_dtype = to_torch_dtype(dtype) if dtype is not None else None
    if isinstance(initializer, str) or (
        callable(initializer) and not isinstance(initializer, (torch.Tensor, np.ndarray))
    ):
        if shape is None:
            raise ValueError(
                "A Variable made from an initializer needs its `shape`: pass shape=(...)."
            )
        shape = tuple(shape)
        if any(d is None for d in shape):
            raise ValueError(
                f"A Variable's shape must be fully defined, but received shape={shape}: "
                "build the weight once the input shape is known (in build())."
            )
        init = initializers.get(initializer)
        try:  # Keras calls initializers as init(shape, dtype=...)
            value = init(shape, dtype=keras_dtype_name(torch_dtype or torch.float32))  # type: ignore[call-arg]
        except TypeError:  # torchbridge's built-in initializers take the shape only
            value = init(shape)
        t = value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
    else:
        value = 0.0 if initializer is None else initializer
        if isinstance(value, torch.Tensor):
            t = value
        elif isinstance(value, (np.ndarray, np.generic)):
            t = torch.as_tensor(value)  # NumPy keeps its dtype (float64 stays float64)
        else:  # Python numbers and lists: Keras's floatx / int32, as keras.Variable
            array = np.asarray(value)
            if array.dtype.kind == "f":
                array = array.astype(np.float32)
            elif array.dtype.kind in "iu":
                array = array.astype(np.int32)
            t = torch.as_tensor(array)
        if shape is not None and tuple(t.shape) != tuple(shape):
            raise ValueError(
                f"Initial value of shape {tuple(t.shape)} does not match shape={tuple(shape)}."
            )
    if torch_dtype is not None:
        t = t.to(torch_dtype)
    return t.detach().clone()


def regularization_penalty(weight: torch.Tensor) -> torch.Tensor | None:
    """``weight.regularizer`` applied in Keras's layout, or ``None`` when it has none."""
    reg = getattr(weight, "regularizer", None)
    if reg is None:
        return None
    to_keras = getattr(weight, "_to_keras", None)
    return reg(to_keras(weight) if to_keras is not None else weight)


def apply_constraint(weight: torch.Tensor) -> None:
    """Project ``weight`` with its ``constraint`` (Keras's layout), in place, no grad."""
    constraint = getattr(weight, "constraint", None)
    if constraint is None:
        return
    to_keras = getattr(weight, "_to_keras", None)
    from_keras = getattr(weight, "_from_keras", None)
    with torch.no_grad():
        keras_value = to_keras(weight) if to_keras is not None else weight
        new = constraint(keras_value)
        if from_keras is not None:
            new = from_keras(new)
        weight.copy_(_as_tensor(new, weight))


def apply_constraints(params: Any) -> None:
    """Apply every constrained weight's constraint (after an optimizer step)."""
    for p in params:
        if getattr(p, "constraint", None) is not None:
            apply_constraint(p)
