"""``Metric``: the base class of every metric (Keras's ``keras.metrics.Metric``).

A metric owns a few state tensors created with :meth:`Metric.add_variable`,
accumulates into them in :meth:`~Metric.update_state`, reads them in
:meth:`~Metric.result` and zeroes them in :meth:`~Metric.reset_state`.

Two rules keep metrics cheap inside a training loop:

* **State follows the data.** State tensors start on the CPU and move, once, to
  the device of the first tensor passed to an update, so a metric built before
  the model was moved to the GPU still works.
* **No host synchronisation.** Updates and results only launch tensor ops; they
  never read a value back (no ``.item()``, no ``bool(tensor)``), so the fit loop
  is never stalled by a metric. ``update_state``, ``result`` and ``reset_state``
  of every subclass run under ``torch.no_grad()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from torchbridge.layers.variable import Variable
from torchbridge.metrics._utils import DTypeLike, auto_name, resolve_dtype, to_tensor

__all__ = ["Metric"]

_NO_GRAD_METHODS = ("update_state", "result", "reset_state")
_WRAPPED_FLAG = "_torchbridge_no_grad"

Initializer = str | float | int | Callable[..., Any] | None


class Metric:
    """Encapsulates metric state and logic.

    Args:
        dtype: dtype of the state and the result (a name such as ``"float32"``
            or a ``torch.dtype``). ``None`` means ``"float32"``.
        name: the metric's name; ``None`` derives one from the class name
            (``TruePositives`` → ``"true_positives"``, numbered when repeated).

    Subclasses create state in ``__init__`` with ``self.x = self.add_variable(...)``,
    update it in place in :meth:`update_state` (``self.x.add_(...)``) and compute
    the value in :meth:`result`.
    """

    def __init__(self, dtype: DTypeLike = None, name: str | None = None) -> None:
        self.name: str = name or auto_name(type(self).__name__)
        self._dtype, self._torch_dtype = resolve_dtype(dtype)
        self._variables: list[Tensor] = []
        self._variable_names: list[str] = []
        self._device = torch.device("cpu")
        # "up" when larger is better, "down" when smaller is; read by callbacks.
        self._direction: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for method_name in _NO_GRAD_METHODS:
            method = cls.__dict__.get(method_name)
            if callable(method) and not getattr(method, _WRAPPED_FLAG, False):
                wrapped = torch.no_grad()(method)
                setattr(wrapped, _WRAPPED_FLAG, True)
                setattr(cls, method_name, wrapped)

    # ------------------------------------------------------------------ API
    @property
    def dtype(self) -> str:
        """The dtype name (``"float32"``), as Keras reports it."""
        return self._dtype

    @property
    def torch_dtype(self) -> torch.dtype:
        """The dtype of the state and the result as a ``torch.dtype``."""
        return self._torch_dtype

    @property
    def device(self) -> torch.device:
        """Where the state currently lives."""
        return self._device

    @property
    def variables(self) -> list[Tensor]:
        """The state tensors, in creation order."""
        return list(self._variables)

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulate statistics for the metric."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement update_state(); subclasses of Metric "
            "accumulate into the tensors made by add_variable()."
        )

    def result(self) -> Tensor:
        """The current value of the metric, as a tensor on the state's device."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement result(), returning a tensor computed "
            "from the metric's state."
        )

    def reset_state(self) -> None:
        """Zero every state tensor (called between epochs)."""
        for variable in self._variables:
            variable.zero_()

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        """Update the state with this batch, then return :meth:`result`."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    def add_variable(
        self,
        shape: tuple[int, ...] | list[int] | int = (),
        initializer: Initializer = "zeros",
        dtype: DTypeLike = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> Variable:
        """Create a state variable on the state's device and track it.

        ``initializer`` is ``"zeros"``, ``"ones"``, a number, or a callable
        ``(shape, dtype) -> array``. ``aggregation`` is accepted for Keras
        compatibility (state is never replicated here).
        """
        self._check_super_called()
        del aggregation
        torch_dtype = self._torch_dtype if dtype is None else resolve_dtype(dtype)[1]
        size = (shape,) if isinstance(shape, int) else tuple(shape)
        name = name or f"variable_{len(self._variables)}"
        # A non-trainable keras.Variable as in Keras (assign / assign_add / value / numpy);
        # still a torch tensor, so in-place torch updates (``add_``) work as well.
        value = Variable.from_tensor(
            _initial_value(initializer, size, torch_dtype, self._device), name=name
        )
        self._variables.append(value)
        self._variable_names.append(name)
        return value

    def add_weight(
        self,
        shape: tuple[int, ...] | list[int] | int = (),
        initializer: Initializer = None,
        dtype: DTypeLike = None,
        name: str | None = None,
    ) -> Variable:
        """Alias of :meth:`add_variable` kept for Keras 2 code."""
        return self.add_variable(
            shape=shape, initializer=initializer or "zeros", dtype=dtype, name=name
        )

    def to(self, device: torch.device | str) -> Metric:
        """Move the state (and any tensor attribute) to ``device``; returns ``self``."""
        self._move_to(torch.device(device))
        return self

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that recreate this metric."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """Recreate a metric from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    # ------------------------------------------------------------- helpers
    def _input(self, x: Any, dtype: torch.dtype | None = None) -> Tensor:
        """``x`` as a detached tensor on the state's device.

        A tensor on another device moves the *state* there instead (once), so
        inputs are never copied between devices.
        """
        if isinstance(x, Tensor) and x.device != self._device:
            self._move_to(x.device)
        return to_tensor(x, dtype, self._device)

    def _move_to(self, device: torch.device) -> None:
        moved: dict[int, Tensor] = {}
        for i, variable in enumerate(self._variables):
            new = variable.to(device)
            if new is not variable:  # a copy on the new device: keep it a Variable
                new = Variable.from_tensor(new, name=getattr(variable, "name", None))
            moved[id(variable)] = new
            self._variables[i] = new
        for attr, value in list(vars(self).items()):
            if isinstance(value, Tensor):
                new_value = moved.get(id(value))
                setattr(self, attr, value.to(device) if new_value is None else new_value)
        # Record the concrete device ("cuda:0", not "cuda") that inputs will report.
        self._device = self._variables[0].device if self._variables else device

    def _check_super_called(self) -> None:
        if "_variables" not in vars(self):
            raise RuntimeError(
                f"{type(self).__name__}.__init__ did not call super().__init__(); add "
                "super().__init__(name=name, dtype=dtype) before creating state."
            )


def _initial_value(
    initializer: Initializer, shape: tuple[int, ...], dtype: torch.dtype, device: torch.device
) -> Tensor:
    if initializer is None or initializer == "zeros":
        return torch.zeros(shape, dtype=dtype, device=device)
    if initializer == "ones":
        return torch.ones(shape, dtype=dtype, device=device)
    if isinstance(initializer, int | float) and not isinstance(initializer, bool):
        return torch.full(shape, float(initializer), dtype=dtype, device=device)
    if callable(initializer):
        value = initializer(shape, dtype)
        return torch.as_tensor(value, dtype=dtype, device=device).reshape(shape).clone()
    raise ValueError(
        f"Unknown metric variable initializer {initializer!r}. Use 'zeros', 'ones', a "
        "number, or a callable (shape, dtype) -> array."
    )
