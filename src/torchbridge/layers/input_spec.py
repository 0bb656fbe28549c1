"""``InputSpec``: what a layer accepts as its first input (rank, shape, dtype, axes).

A layer that sets ``self.input_spec = InputSpec(ndim=3)`` (or a list of specs, one per
input) has its first call argument checked on every call, eager or symbolic, with
Keras's rules and error texts: :func:`assert_input_compatibility` raises an
:class:`~torchbridge.errors.InputError` (a ``ValueError``, as in Keras) that names the
layer, the expected and the received rank/shape/dtype. Layers without a spec pay one
``is None`` test per call.
"""

from __future__ import annotations

from typing import Any

from torchbridge.backend.dtypes import standardize_dtype
from torchbridge.errors import InputError

__all__ = ["InputSpec", "assert_input_compatibility"]


def _standardize_shape(shape: Any) -> tuple[int | None, ...]:
    try:
        dims = tuple(shape)
    except TypeError as err:
        raise InputError(f"InputSpec: `shape` must be a tuple, got {shape!r}.") from err
    out: list[int | None] = []
    for d in dims:
        if d is None:
            out.append(None)
        elif isinstance(d, bool) or int(d) != d or int(d) < 0:
            raise InputError(
                f"InputSpec: every dimension of `shape` must be a non-negative integer or "
                f"None, got shape={dims}."
            )
        else:
            out.append(int(d))
    return tuple(out)


class InputSpec:
    """The rank, shape and dtype a layer expects for one input (``None`` = any).

    ``shape`` includes the batch dimension and sets ``ndim``; ``axes`` maps axis
    indices to required sizes; ``allow_last_axis_squeeze`` tolerates a trailing
    axis of size 1 on either side; ``name`` is the key of this input when inputs
    come as a dict; ``optional`` lets the input be ``None``.
    """

    def __init__(
        self,
        dtype: Any = None,
        shape: Any = None,
        ndim: int | None = None,
        max_ndim: int | None = None,
        min_ndim: int | None = None,
        axes: dict[int, int | None] | None = None,
        allow_last_axis_squeeze: bool = False,
        name: str | None = None,
        optional: bool = False,
    ) -> None:
        self.dtype = standardize_dtype(dtype) if dtype is not None else None
        self.shape: tuple[int | None, ...] | None
        if shape is not None:
            self.shape = _standardize_shape(shape)
            self.ndim: int | None = len(self.shape)
        else:
            self.shape = None
            self.ndim = ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        axes = axes or {}
        try:
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError) as err:
            raise TypeError(
                f"Argument `axes` must be a dict with integer keys. Received: axes={axes}"
            ) from err
        limit = self.ndim if self.ndim else self.max_ndim
        if self.axes and limit is not None and max(self.axes) > limit - 1:
            raise ValueError(
                f"Axis {max(self.axes)} is greater than the maximum allowed value: {limit - 1}"
            )

    def __repr__(self) -> str:
        parts = [
            f"dtype={self.dtype}" if self.dtype else "",
            f"shape={self.shape}" if self.shape else "",
            f"ndim={self.ndim}" if self.ndim else "",
            f"max_ndim={self.max_ndim}" if self.max_ndim else "",
            f"min_ndim={self.min_ndim}" if self.min_ndim else "",
            f"axes={self.axes}" if self.axes else "",
        ]
        return f"InputSpec({', '.join(p for p in parts if p)})"

    def get_config(self) -> dict[str, Any]:
        """Keras's keys (``name`` and ``allow_last_axis_squeeze`` are not saved, as in Keras)."""
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
            "optional": self.optional,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InputSpec:
        return cls(**config)


def _flatten(x: Any) -> list[Any]:
    if isinstance(x, (list, tuple)):
        return [leaf for v in x for leaf in _flatten(v)]
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in _flatten(x[k])]
    return [x]


def _shape_of(x: Any) -> tuple[int | None, ...]:
    return tuple(None if d is None else int(d) for d in x.shape)


def _dtype_of(x: Any) -> str:
    dtype = x.dtype
    return standardize_dtype(dtype) if not isinstance(dtype, str) else dtype


def assert_input_compatibility(input_spec: Any, inputs: Any, layer_name: str) -> None:
    """Raise ``InputError`` when ``inputs`` break ``input_spec`` (an InputSpec or a
    nested structure of them), naming ``layer_name`` and what differs."""
    if not input_spec:
        return
    specs = _flatten(input_spec)
    if isinstance(inputs, dict):
        names = [s.name if s is not None else None for s in specs]
        if all(names):
            for n in names:
                if n not in inputs:
                    raise InputError(
                        f'Missing data for input "{n}". You passed a data dictionary with '
                        f"keys {list(inputs)}. Expected the following keys: {names}"
                    )
            inputs = [inputs[n] for n in names]
    flat = _flatten(inputs)
    if len(flat) != len(specs):
        names = [s.name for s in specs if s is not None]
        if len(names) == len(specs) and all(names):
            keys = ", ".join(f"'{n}': ..." for n in names)
            raise InputError(
                f'Layer "{layer_name}" expects {len(specs)} named input(s) with keys {names}, '
                f"but it received {len(flat)} input tensors. Pass inputs as a dict, e.g. "
                f"`layer({{{keys}}})`."
            )
        raise InputError(
            f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
            f"{len(flat)} input tensors. Inputs received: {flat}"
        )
    for index, (x, spec) in enumerate(zip(flat, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        _check_one(index, x, spec, layer_name)


def _check_one(index: int, x: Any, spec: InputSpec, layer_name: str) -> None:
    if not hasattr(x, "shape"):
        raise InputError(
            f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as input "
            f"for layer '{layer_name}'."
        )
    head = (
        f"Input {index} with name '{spec.name}' of layer '{layer_name}' is incompatible "
        "with the layer:"
    )
    shape = _shape_of(x)
    ndim = len(shape)
    if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
        raise InputError(
            f"{head} expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}"
        )
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise InputError(f"{head} expected max_ndim={spec.max_ndim}, found ndim={ndim}")
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise InputError(
            f"{head} expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
            f"Full shape received: {shape}"
        )
    if spec.dtype is not None:
        dtype = _dtype_of(x)
        if dtype != spec.dtype:
            raise InputError(f"{head} expected dtype={spec.dtype}, found dtype={dtype}")
    for axis, value in spec.axes.items():
        if value is not None and shape[axis] not in (value, None):
            raise InputError(
                f"{head} expected axis {axis} of input shape to have value {value}, "
                f"but received input with shape {shape}"
            )
    if spec.shape is not None:
        spec_shape: tuple[int | None, ...] = spec.shape
        if spec.allow_last_axis_squeeze:
            if shape and shape[-1] == 1:
                shape = shape[:-1]
            if spec_shape and spec_shape[-1] == 1:
                spec_shape = spec_shape[:-1]
        for spec_dim, dim in zip(spec_shape, shape):
            if spec_dim is not None and dim is not None and spec_dim != dim:
                raise InputError(f"{head} expected shape={spec.shape}, found shape={shape}")
