"""A layer's weights as Keras sees them: ``add_weight``, Keras's order and layouts.

Shared by ``Layer`` and ``Model`` through :class:`KerasWeightsMixin`:

* ``add_weight`` / ``add_variable`` make a :class:`~torchbridge.layers.variable.Variable`
  and register it on the module (``state_dict`` key: the attribute the user
  assigns it to, else its name).
* ``weights`` / ``trainable_weights`` / ``non_trainable_weights`` /
  ``get_weights`` / ``set_weights`` / ``count_params`` in Keras's order (a
  layer's own weights, trainable first, then each sublayer's) and layouts (a
  layer whose torch layout differs converts in ``_keras_weights`` with a
  :class:`KerasWeight`).
* After ``build``, :meth:`KerasWeightsMixin._finalize_weights` turns plain
  parameters into Variables (same storage, same key) and attaches the Keras
  ``<weight>_regularizer`` / ``<weight>_constraint`` arguments a layer declared
  (``_declare_weight_options``; Keras's attributes of the same names read them).
* Keras's default ``save_own_variables`` / ``load_own_variables`` (a layer's own
  weights under ``"0"``, ``"1"`` ...), for custom layers calling them via ``super()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge.backend.scopes import current_path
from torchbridge.errors import InputError
from torchbridge.layers.variable import Variable
from torchbridge.random.seed_generator import SeedGenerator

__all__ = [
    "KerasWeight",
    "KerasWeightsMixin",
    "any_loss_source",
    "collect_keras_variables",
    "collect_keras_weights",
    "mark_loss_source",
]

_Convert = Callable[[torch.Tensor], torch.Tensor]

# Set once any weight gets a regularizer or any layer adds a loss: until then the
# fit loop skips collecting ``model.losses`` (no module walk per step).
_LOSS_SOURCES = [False]


def mark_loss_source() -> None:
    _LOSS_SOURCES[0] = True


def any_loss_source() -> bool:
    """Whether any layer ever added a loss or got a regularizer (in this process)."""
    return _LOSS_SOURCES[0]


class KerasWeight:
    """How one Keras weight maps to a torch tensor of this layer.

    ``tensor`` is the parameter/buffer; ``to_keras`` turns it into Keras's
    layout, ``from_keras`` back into torch's (identity by default); ``name`` is
    Keras's name of the weight (``"kernel"``, ``"recurrent_kernel"`` ...),
    by default the attribute name of the parameter.
    """

    def __init__(
        self,
        tensor: torch.Tensor,
        to_keras: _Convert | None = None,
        from_keras: _Convert | None = None,
        name: str | None = None,
    ) -> None:
        self.tensor = tensor
        self.to_keras = to_keras or (lambda t: t)
        self.from_keras = from_keras or (lambda t: t)
        self.converts = to_keras is not None or from_keras is not None
        self.name = name


def collect_keras_weights(module: nn.Module) -> list[KerasWeight]:
    """Keras's ``weights`` order: a layer's own weights, then each sublayer's, deduplicated.

    A plain ``nn.Module`` inside a model contributes its parameters and
    floating-point buffers as they are (there is no Keras layout for them).
    """
    out: list[KerasWeight] = []
    seen: set[int] = set()

    def visit(m: nn.Module) -> None:
        if isinstance(m, KerasWeightsMixin):
            own = m._keras_weights()
        else:
            tensors: list[torch.Tensor] = [*m.parameters(recurse=False)]
            tensors += [b for b in m.buffers(recurse=False) if b.is_floating_point()]
            own = [KerasWeight(t) for t in tensors]
        for w in own:
            if id(w.tensor) not in seen:
                seen.add(id(w.tensor))
                out.append(w)
        for child in m.children():
            visit(child)

    visit(module)
    return out


def _scoped(path: str) -> str:
    """``path`` under the open ``keras.name_scope`` scopes, if any."""
    prefix = current_path()
    return f"{prefix}/{path}" if prefix else path


def _seed_states(module: nn.Module) -> list[torch.Tensor]:
    """The ``state`` of each ``SeedGenerator`` a module holds as an attribute (alone or in a
    list, tuple or dict), in attribute order: Keras tracks them as non-trainable variables."""
    out: list[torch.Tensor] = []
    for value in module.__dict__.values():
        if isinstance(value, SeedGenerator):
            out.append(value.state)
        elif isinstance(value, (list, tuple, dict)) and value:
            items = value.values() if isinstance(value, dict) else value
            out += [v.state for v in items if isinstance(v, SeedGenerator)]
    return out


def collect_keras_variables(module: nn.Module) -> list[torch.Tensor]:
    """Keras's ``variables`` order: a layer's own weights, then the states of its seed
    generators, then each sublayer's variables, deduplicated."""
    out: list[torch.Tensor] = []
    seen: set[int] = set()

    def visit(m: nn.Module) -> None:
        if isinstance(m, KerasWeightsMixin):
            own = [w.tensor for w in m._keras_weights()]
        else:
            own = [*m.parameters(recurse=False)]
            own += [b for b in m.buffers(recurse=False) if b.is_floating_point()]
        for t in own + _seed_states(m):
            if id(t) not in seen:
                seen.add(id(t))
                out.append(t)
        for child in m.children():
            visit(child)

    visit(module)
    return out


def _is_trainable(t: torch.Tensor) -> bool:
    return isinstance(t, nn.Parameter) and t.requires_grad


def _check_shape(owner: str, shape: Any) -> tuple[int, ...]:
    try:
        dims = tuple(shape)
    except TypeError:
        dims = (shape,)
    bad = [d for d in dims if d is None or isinstance(d, bool) or int(d) != d or int(d) < 0]
    if bad:
        raise InputError(
            f"add_weight() on '{owner}': every dimension of `shape` must be a known non-negative "
            f"integer, but received shape={dims}. Create weights in build(input_shape), where "
            "the input dimensions are known (the batch dimension is never part of a weight)."
        )
    return tuple(int(d) for d in dims)


class KerasWeightsMixin:
    """``add_weight`` and Keras's ``weights`` API; the host class is an ``nn.Module``
    with a ``name`` and a ``_require_built(what)`` check."""

    name: str

    def _require_built(self, what: str) -> None:
        """Subclasses raise when they have no weights yet."""

    # --- creating weights -------------------------------------------------------------
    def add_weight(
        self,
        *args: Any,
        shape: Any = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        aggregation: str = "none",
        overwrite_with_gradient: bool = False,
        name: str | None = None,
    ) -> Variable:
        """Keras's ``add_weight``: a new :class:`Variable` registered on this layer.

        ``shape`` defaults to ``()``; ``initializer`` to ``"glorot_uniform"``
        for floating dtypes and ``"zeros"`` otherwise; ``dtype`` to the layer's
        variable dtype (float32). The three positional arguments of Keras 2
        (shape, initializer, dtype) are accepted as Keras 3 accepts them.
        """
        if len(args) > 3:
            raise TypeError(f"add_weight() takes at most 3 positional arguments, got {len(args)}.")
        if args and isinstance(args[0], str):
            raise ValueError(
                f"`name` must be passed as a keyword argument. Received: add_weight('{args[0]}', "
                f"...). Use: add_weight(shape=..., name='{args[0]}')."
            )
        for _value, (label, given) in zip(
            args, (("shape", shape), ("initializer", initializer), ("dtype", dtype))
        ):
            if given is not None:
                raise ValueError(
                    f"`{label}` was passed both positionally and as a keyword argument."
                )
        shape, initializer, dtype = (
            args[0] if len(args) > 0 else shape,
            args[1] if len(args) > 1 else initializer,
            args[2] if len(args) > 2 else dtype,
        )
        from torchbridge import constraints, regularizers
        from torchbridge.backend.dtypes import to_torch_dtype

        dims = _check_shape(self.name, () if shape is None else shape)
        torch_dtype = to_torch_dtype(dtype if dtype is not None else self._variable_dtype())
        if initializer is None:
            initializer = "glorot_uniform" if torch_dtype.is_floating_point else "zeros"
        variable = Variable(
            initializer,
            shape=dims,
            dtype=torch_dtype,
            trainable=trainable,
            autocast=autocast,
            aggregation=aggregation,
            name=name or "variable",
        )
        reg = regularizers.get(regularizer)
        con = constraints.get(constraint)
        if con is not None and not callable(con):
            raise InputError(f"add_weight(): constraint {con!r} is not callable.")
        variable.regularizer = reg
        variable.constraint = con
        variable.overwrite_with_gradient = overwrite_with_gradient
        if reg is not None:
            mark_loss_source()
        self._track_variable(variable)
        return variable

    def add_variable(
        self,
        shape: Any,
        initializer: Any,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        name: str | None = None,
    ) -> Variable:
        """Keras's alias of :meth:`add_weight`."""
        return self.add_weight(
            shape=shape,
            initializer=initializer,
            dtype=dtype,
            trainable=trainable,
            autocast=autocast,
            regularizer=regularizer,
            constraint=constraint,
            name=name,
        )

    def _variable_dtype(self) -> Any:
        return "float32"

    def _track_variable(self, variable: Variable) -> None:
        """Register ``variable`` under its name (made unique); ``__setattr__`` renames it."""
        module: Any = self
        base = variable._keras_name or "variable"
        key = base if base.isidentifier() else "variable"
        n = 0
        while (
            key in module._parameters
            or key in module._modules
            or key in module._buffers
            or key in module.__dict__
            or hasattr(type(module), key)
        ):
            n += 1
            key = f"{base if base.isidentifier() else 'variable'}_{n}"
        module.register_parameter(key, variable)
        module.__dict__.setdefault("_tracked_variables", []).append(variable)
        module.__dict__.setdefault("_auto_keys", set()).add(key)
        variable._keras_path = _scoped(f"{self.name}/{variable._keras_name}")
        if variable.requires_grad and not getattr(self, "_trainable", True):
            variable.requires_grad_(False)  # a frozen layer makes frozen weights

    def _rename_tracked(self, key: str, value: Any) -> None:
        """``self.w = self.add_weight(...)``: keep one registration, under ``key``."""
        module: Any = self
        auto = module.__dict__.get("_auto_keys")
        if not auto:
            return
        for old in [k for k in auto if module._parameters.get(k) is value]:
            if old != key:
                del module._parameters[old]
                auto.discard(old)

    # --- Keras's order and layouts -------------------------------------------------------
    def _keras_weights(self) -> list[KerasWeight]:
        """This layer's own weights in Keras's order and layouts: ``add_weight``
        variables (trainable first, in creation order), then other parameters."""
        module: Any = self
        tracked = [
            v
            for v in module.__dict__.get("_tracked_variables", ())
            if any(v is p for p in module._parameters.values())
        ]
        ordered = [v for v in tracked if v.requires_grad or v._trainable_by_design]
        ordered += [v for v in tracked if not (v.requires_grad or v._trainable_by_design)]
        ids = {id(v) for v in ordered}
        rest = [p for p in module.parameters(recurse=False) if id(p) not in ids]
        return [KerasWeight(t) for t in ordered + rest]

    def _all_keras_weights(self) -> list[KerasWeight]:
        return collect_keras_weights(self)  # type: ignore[arg-type]

    def _finalize_weights(self) -> None:
        """After build: plain parameters become Variables; declared options are attached."""
        module: Any = self
        own = {id(w.tensor): w for w in self._keras_weights()}
        for key, p in list(module._parameters.items()):
            if p is None:
                continue
            kw = own.get(id(p))
            keras_name = (kw.name if kw is not None and kw.name else None) or key
            if not isinstance(p, Variable):
                var = Variable.from_tensor(p, name=keras_name)
                module._parameters[key] = var
                if kw is not None:
                    kw.tensor = var
                p = var
            elif p._keras_name in (None, "variable") and kw is not None and kw.name:
                p._keras_name = kw.name
            if p._keras_path is None:
                p._keras_path = _scoped(f"{self.name}/{p._keras_name}")
        options = module.__dict__.get("_weight_options")
        if not options:
            return
        for kw in self._keras_weights():
            key = kw.name or next(
                (k for k, p in module._parameters.items() if p is kw.tensor), None
            )
            reg, con = options.get(key, (None, None))
            t: Any = kw.tensor
            if reg is not None:
                t.regularizer = reg
                mark_loss_source()
            if con is not None:
                t.constraint = con
            if kw.converts and (reg is not None or con is not None):
                t._to_keras = kw.to_keras
                t._from_keras = kw.from_keras

    # --- Keras's <weight>_regularizer / <weight>_constraint arguments ----------------------
    def _declare_weight_options(self, **options: tuple[Any, Any]) -> None:
        """Record ``name=(regularizer, constraint)`` per Keras weight name; attached to
        the weights after build (see :meth:`_finalize_weights`), read and set as Keras's
        ``<weight>_regularizer`` / ``<weight>_constraint`` attributes."""
        resolved = {
            weight: (_resolve_option(self, weight, 0, reg), _resolve_option(self, weight, 1, con))
            for weight, (reg, con) in options.items()
        }
        self.__dict__["_weight_options"] = resolved
        if getattr(self, "built", False):
            self._finalize_weights()

    def _weight_options_config(self) -> dict[str, Any]:
        """``{"<weight>_regularizer": ..., "<weight>_constraint": ...}`` for get_config."""
        from torchbridge import constraints, regularizers

        config: dict[str, Any] = {}
        for weight, (reg, con) in self.__dict__.get("_weight_options", {}).items():
            config[f"{weight}_regularizer"] = (
                regularizers.serialize(reg) if reg is not None else None
            )
            config[f"{weight}_constraint"] = constraints.serialize(con) if con is not None else None
        return config

    def _weight_option_slot(self, attribute: str) -> tuple[str, int] | None:
        """``(weight, 0 | 1)`` when ``attribute`` is Keras's name of a declared option
        (``kernel_regularizer``; ``recurrent_constraint`` / ``depthwise_regularizer`` for
        the ``recurrent_kernel`` / ``depthwise_kernel`` weights), else ``None``."""
        options = self.__dict__.get("_weight_options")
        if not options:
            return None
        for suffix, index in (("_regularizer", 0), ("_constraint", 1)):
            if attribute.endswith(suffix):
                prefix = attribute[: -len(suffix)]
                for weight in (prefix, f"{prefix}_kernel"):
                    if weight in options:
                        return weight, index
        return None

    def _set_weight_option(self, attribute: str, value: Any) -> bool:
        """``layer.kernel_regularizer = ...``: as in Keras, the config and the attribute
        change, and a layer not built yet builds with it; built weights keep theirs."""
        slot = self._weight_option_slot(attribute)
        if slot is None:
            return False
        weight, index = slot
        options = self.__dict__["_weight_options"]
        pair = list(options[weight])
        pair[index] = _resolve_option(self, weight, index, value)
        options[weight] = (pair[0], pair[1])
        return True

    # --- Keras's saving hooks ------------------------------------------------------------------
    def save_own_variables(self, store: dict[str, Any]) -> None:
        """Keras's default: this layer's own weights (not its sublayers'), in Keras's order
        and layouts, under ``"0"``, ``"1"`` ... (a custom layer may call it via ``super()``)."""
        for i, w in enumerate(self._keras_weights()):
            store[str(i)] = w.to_keras(w.tensor.detach()).cpu().numpy().copy()

    def load_own_variables(self, store: dict[str, Any]) -> None:
        """Keras's default: assign the arrays ``save_own_variables`` wrote to the weights."""
        own = self._keras_weights()
        if len(store) != len(own):
            module: Any = self
            unbuilt = (
                ""
                if getattr(module, "built", True) or own
                else (
                    " It was never built: give it a build_from_config(config) (and "
                    "get_build_config()) that creates its weights when the model is loaded."
                )
            )
            raise InputError(
                f"Layer '{self.name}' has {len(own)} weights, but the store holds "
                f"{len(store)} ({sorted(store)}).{unbuilt}"
            )
        _assign(self.name, own, [store[str(i)] for i in range(len(own))])

    # --- Keras's weights API ------------------------------------------------------------------
    @property
    def weights(self) -> list[torch.Tensor]:
        return [w.tensor for w in self._all_keras_weights()]

    @property
    def variables(self) -> list[torch.Tensor]:
        """Keras's ``variables``: ``weights`` plus the states of the layer's seed generators."""
        return collect_keras_variables(self)  # type: ignore[arg-type]

    @property
    def trainable_weights(self) -> list[torch.Tensor]:
        if not getattr(self, "_trainable", True):
            return []
        return [t for t in self.weights if _is_trainable(t)]

    @property
    def non_trainable_weights(self) -> list[torch.Tensor]:
        if not getattr(self, "_trainable", True):
            return self.weights
        return [t for t in self.weights if not _is_trainable(t)]

    @property
    def trainable_variables(self) -> list[torch.Tensor]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[torch.Tensor]:
        if not getattr(self, "_trainable", True):
            return self.variables
        return [t for t in self.variables if not _is_trainable(t)]

    def get_weights(self) -> list[np.ndarray]:
        """Keras's ``get_weights``: NumPy arrays in Keras's order and layouts."""
        self._require_built("get_weights")
        return [
            w.to_keras(w.tensor.detach()).cpu().numpy().copy() for w in self._all_keras_weights()
        ]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Keras's ``set_weights``: arrays in Keras's order and layouts."""
        self._require_built("set_weights")
        own = self._all_keras_weights()
        if len(weights) != len(own):
            raise InputError(
                f"'{self.name}' has {len(own)} weights but set_weights got {len(weights)}."
            )
        _assign(self.name, own, weights)

    def count_params(self) -> int:
        self._require_built("count_params")
        return sum(int(w.tensor.numel()) for w in self._all_keras_weights())


def _assign(owner: str, own: list[KerasWeight], values: Sequence[Any]) -> None:
    """Copy arrays in Keras's layouts into the weights ``own`` (shapes checked)."""
    with torch.no_grad():
        for w, value in zip(own, values):
            t = w.from_keras(torch.as_tensor(np.asarray(value)))
            if tuple(t.shape) != tuple(w.tensor.shape):
                raise InputError(
                    f"'{owner}': a weight of shape {tuple(np.shape(value))} "
                    f"(Keras layout) does not fit {tuple(w.to_keras(w.tensor).shape)}."
                )
            w.tensor.copy_(t.to(w.tensor.dtype))


def _resolve_option(owner: Any, weight: str, index: int, value: Any) -> Any:
    """A regularizer (``index`` 0) or constraint (1) argument as its object."""
    from torchbridge import constraints, regularizers

    if index == 0:
        return regularizers.get(value)
    con = constraints.get(value)
    if con is not None and not callable(con):
        raise InputError(
            f"{type(owner).__name__}: {weight}_constraint={value!r} is not callable; pass "
            "a keras.constraints object, its name, or a function of the weight."
        )
    return con
