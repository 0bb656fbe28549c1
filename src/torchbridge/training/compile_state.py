"""What ``compile()`` resolved: the loss per output, its weights, and the metrics.

Resolution happens in two stages, as in Keras: ``compile()`` checks the names
(unknown strings fail immediately), and the first batch ``build``s the
structure-dependent parts ("accuracy" becomes Binary/Sparse/Categorical
accuracy from the shapes; a loss list is matched to the outputs).

Outputs are addressed by name: the keys of a dict output, or ``output_1``,
``output_2`` ... for a list/tuple. With one output no prefix is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchbridge import losses as losses_module
from torchbridge import metrics as metrics_module
from torchbridge.errors import InputError, LossInputError

__all__ = ["CompiledLoss", "CompiledMetrics", "flatten_outputs"]


def flatten_outputs(
    y: Any, output_names: Sequence[str] | None = None
) -> tuple[list[str] | None, list[Any]]:
    """``(names, leaves)`` for a model output or target structure (names None if single).

    A dict with one key (e.g. ``{"logits": t}``) is a single output, as in Keras:
    plain targets work and metric names get no prefix. A list of outputs is
    named by ``output_names`` (a functional model's output layer names) when
    given, else ``output_1``, ``output_2``...
    """
    if isinstance(y, Mapping):
        if len(y) == 1:
            return None, list(y.values())
        return list(y.keys()), list(y.values())
    if isinstance(y, (list, tuple)) and not hasattr(y, "_fields"):
        if len(y) == 1:
            return None, [y[0]]
        if output_names is not None and len(output_names) == len(y):
            return list(output_names), list(y)
        return [f"output_{i + 1}" for i in range(len(y))], list(y)
    return None, [y]


def _match_targets(y_true: Any, names: list[str] | None, n: int, what: str) -> list[Any]:
    """Line ``y_true`` (or sample weights) up with the flattened outputs."""
    if names is None:
        if isinstance(y_true, (list, tuple)) and len(y_true) == 1:
            return [y_true[0]]
        if isinstance(y_true, Mapping) and len(y_true) == 1:
            return list(y_true.values())
        return [y_true]
    if isinstance(y_true, Mapping):
        missing = [k for k in names if k not in y_true]
        if missing:
            raise InputError(
                f"{what} is a dict without entries for the model outputs {missing}; "
                f"its keys are {list(y_true)}. Give one entry per output name: {names}."
            )
        return [y_true[k] for k in names]
    if isinstance(y_true, (list, tuple)):
        if len(y_true) != n:
            raise InputError(
                f"The model has {n} outputs {names} but {what} has {len(y_true)} entries. "
                "Pass one target per output (a list in output order or a dict by name)."
            )
        return list(y_true)
    if what == "sample_weight":
        return [y_true] * n  # one weight vector applies to every output (Keras)
    raise InputError(
        f"The model has {n} outputs {names} but {what} is a single tensor. "
        "Pass one target per output (a list in output order or a dict by name)."
    )


def _per_output(spec: Any, names: list[str] | None, n: int, what: str) -> list[Any]:
    """Spread a compile argument (single / list / dict) over the outputs."""
    if names is None:
        if isinstance(spec, Mapping):
            if len(spec) != 1:
                raise InputError(
                    f"{what} is a dict with keys {list(spec)} but the model has a single "
                    "output; pass the value directly."
                )
            return list(spec.values())
        if isinstance(spec, (list, tuple)) and what == "loss":
            if len(spec) != 1:
                raise InputError(
                    f"compile() got {len(spec)} losses but the model has one output. "
                    "Pass a single loss."
                )
            return [spec[0]]
        return [spec]
    if isinstance(spec, Mapping):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise InputError(
                f"{what} names outputs {unknown} that the model does not have; "
                f"its outputs are {names}."
            )
        return [spec.get(k) for k in names]
    if isinstance(spec, (list, tuple)) and what == "loss":
        if len(spec) != n:
            raise InputError(
                f"compile() got {len(spec)} losses for a model with {n} outputs {names}."
            )
        return list(spec)
    return [spec] * n


_TorchLoss = torch.nn.modules.loss._Loss


def _reject_text_targets(y_true: Any) -> None:
    """Labels given as strings (checked on the first batch): name the encoding fix."""
    leaves = (
        y_true.values()
        if isinstance(y_true, Mapping)
        else (y_true if isinstance(y_true, (list, tuple)) else [y_true])
    )
    for leaf in leaves:
        if isinstance(leaf, np.ndarray) and leaf.dtype.kind in "OUS":
            raise LossInputError(
                f"The labels are strings (e.g. {leaf.flat[0]!r}); losses need numbers. "
                "Encode them first, e.g. keras.layers.StringLookup(num_oov_indices=0) adapted "
                "on the labels, or np.unique(labels, return_inverse=True)[1]."
            )


class TorchLossAdapter:
    """A ``torch.nn`` loss module (``nn.CrossEntropyLoss()`` ...) used as a Keras loss.

    torch losses take ``(input, target)``; Keras losses take ``(y_true, y_pred)``.
    The adapter swaps them, so ``compile(loss=nn.CrossEntropyLoss())`` means exactly
    what it means in a hand-written loop.
    """

    def __init__(self, module: torch.nn.Module) -> None:
        self.module = module
        self.name = type(module).__name__

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> torch.Tensor:
        if sample_weight is not None:
            raise InputError(
                f"{self.name} is a torch loss module, which has no per-sample weights. Use the "
                "Keras loss of the same meaning (e.g. 'sparse_categorical_crossentropy' with "
                "from_logits=True), or build the weighting into the module (weight=...)."
            )
        return self.module(y_pred, y_true)


class CompiledLoss:
    """The total training loss: ``sum(loss_weight_i * loss_i(y_true_i, y_pred_i, sw_i))``."""

    def __init__(
        self, loss: Any, loss_weights: Any = None, model_output_names: Sequence[str] | None = None
    ) -> None:
        self.spec = loss
        self.model_output_names = model_output_names
        self.loss_weights = loss_weights
        # Resolve names now so a typo fails at compile(), not at the first batch.
        self._check(loss)
        self.built = False
        self.output_names: list[str] | None = None
        self.fns: list[Callable[..., torch.Tensor] | None] = []
        self.weights: list[float] = []
        self.trackers: list[Any] = []  # per-output loss Means (multi-output only)

    @staticmethod
    def _check(spec: Any) -> None:
        leaves = (
            spec.values()
            if isinstance(spec, Mapping)
            else (spec if isinstance(spec, (list, tuple)) else [spec])
        )
        for leaf in leaves:
            if leaf is not None and not isinstance(leaf, _TorchLoss):
                losses_module.get(leaf)

    @staticmethod
    def _resolve(identifier: Any) -> Callable[..., torch.Tensor] | None:
        if identifier is None:
            return None
        if isinstance(identifier, _TorchLoss):
            return TorchLossAdapter(identifier)
        obj = losses_module.get(identifier)
        if isinstance(obj, losses_module.Loss):
            return obj
        name = identifier if isinstance(identifier, str) else getattr(obj, "__name__", None)
        return losses_module.LossFunctionWrapper(obj, name=name)

    def build(self, y_pred: Any) -> None:
        names, leaves = flatten_outputs(y_pred, self.model_output_names)
        n = len(leaves)
        self.output_names = names
        self.fns = [self._resolve(s) for s in _per_output(self.spec, names, n, "loss")]
        if self.loss_weights is None:
            self.weights = [1.0] * n
        elif isinstance(self.loss_weights, (int, float)):
            self.weights = [float(self.loss_weights)] * n
        else:
            lw = _per_output(self.loss_weights, names, n, "loss_weights")
            if isinstance(self.loss_weights, Sequence) and names is not None:
                if len(self.loss_weights) != n:
                    raise InputError(
                        f"loss_weights has {len(self.loss_weights)} entries for {n} outputs."
                    )
                lw = list(self.loss_weights)
            self.weights = [1.0 if w is None else float(w) for w in lw]
        if names is not None:
            self.trackers = [
                metrics_module.Mean(name=f"{name}_loss") if fn is not None else None
                for name, fn in zip(names, self.fns)
            ]
        self.built = True

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> torch.Tensor:
        if not self.built:
            _reject_text_targets(y_true)
            self.build(y_pred)
        names, preds = flatten_outputs(y_pred, self.model_output_names)
        if len(preds) == 1 and self.output_names is None:
            fn = self.fns[0]
            if fn is None:
                raise InputError("compile() was given loss=None for the only output.")
            loss = fn(y_true, preds[0], sample_weight)
            return loss if self.weights[0] == 1.0 else loss * self.weights[0]
        n = len(preds)
        trues = _match_targets(y_true, names, n, "y")
        sws = (
            [None] * n
            if sample_weight is None
            else _match_targets(sample_weight, names, n, "sample_weight")
        )
        total: torch.Tensor | None = None
        batch = preds[0].shape[0]
        for fn, w, yt, yp, sw, tracker in zip(
            self.fns, self.weights, trues, preds, sws, self.trackers
        ):
            if fn is None:
                continue
            value = fn(yt, yp, sw)
            if tracker is not None:
                tracker.update_state(value.detach(), sample_weight=batch)
            total = value * w if total is None else total + value * w
        if total is None:
            raise InputError("compile() was given loss=None for every output; nothing to train.")
        return total

    def metrics(self) -> list[Any]:
        return [t for t in self.trackers if t is not None]


class CompiledMetrics:
    """``metrics`` (unweighted) and ``weighted_metrics`` (get sample weights), per output."""

    def __init__(
        self,
        metrics: Any = None,
        weighted_metrics: Any = None,
        model_output_names: Sequence[str] | None = None,
    ) -> None:
        self.spec = metrics
        self.model_output_names = model_output_names
        self.weighted_spec = weighted_metrics
        for spec in (metrics, weighted_metrics):
            for ident in self._identifiers(spec):
                if not (isinstance(ident, str) and ident.lower() in ("accuracy", "acc")):
                    metrics_module.get(ident)  # typo → UnknownNameError now
        self.built = False
        self.output_names: list[str] | None = None
        self.plain: list[list[Any]] = []
        self.weighted: list[list[Any]] = []

    @staticmethod
    def _identifiers(spec: Any) -> list[Any]:
        if spec is None:
            return []
        if isinstance(spec, Mapping):
            return [i for v in spec.values() for i in CompiledMetrics._identifiers(v)]
        if isinstance(spec, (list, tuple)):
            return [i for v in spec for i in CompiledMetrics._identifiers(v)]
        return [spec]

    def _build_list(
        self,
        spec: Any,
        names: list[str] | None,
        trues: list[Any],
        preds: list[Any],
        loss: Any,
        suffix: str = "",
    ) -> list[list[Any]]:
        n = len(preds)
        if spec is None:
            return [[] for _ in range(n)]
        if (
            names is not None
            and isinstance(spec, (list, tuple))
            and len(spec) == n
            and all(isinstance(s, (list, tuple)) or s is None for s in spec)
        ):
            per = list(spec)  # a list of lists: one list per output
        else:
            per = _per_output(spec, names, n, "metrics")
        out: list[list[Any]] = []
        for i, (s, yt, yp) in enumerate(zip(per, trues, preds)):
            items = [] if s is None else (list(s) if isinstance(s, (list, tuple)) else [s])
            loss_i = loss[i] if isinstance(loss, list) else loss
            built = []
            for ident in items:
                m = metrics_module.resolve_metric(ident, yt, yp, loss=loss_i)
                base = ident if isinstance(ident, str) else m.name
                m.name = (f"{names[i]}_" if names is not None else "") + base + suffix
                built.append(m)
            out.append(built)
        return out

    def build(self, y_true: Any, y_pred: Any, loss: Any = None) -> None:
        names, preds = flatten_outputs(y_pred, self.model_output_names)
        trues = _match_targets(y_true, names, len(preds), "y")
        self.output_names = names
        self.plain = self._build_list(self.spec, names, trues, preds, loss)
        self.weighted = self._build_list(self.weighted_spec, names, trues, preds, loss)
        # A metric listed in both places gets Keras's "weighted_" prefix on the weighted copy.
        plain_names = {m.name for ms in self.plain for m in ms}
        for ms in self.weighted:
            for m in ms:
                if m.name in plain_names:
                    m.name = "weighted_" + m.name
        self.built = True

    @property
    def has_metrics(self) -> bool:
        return bool(self.spec) or bool(self.weighted_spec)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        names, preds = flatten_outputs(y_pred, self.model_output_names)
        n = len(preds)
        trues = _match_targets(y_true, names, n, "y")
        for ms, yt, yp in zip(self.plain, trues, preds):
            for m in ms:
                m.update_state(yt, yp)
        if any(self.weighted):
            sws = (
                [None] * n
                if sample_weight is None
                else _match_targets(sample_weight, names, n, "sample_weight")
            )
            for ms, yt, yp, sw in zip(self.weighted, trues, preds, sws):
                for m in ms:
                    m.update_state(yt, yp, sample_weight=sw)

    def metrics(self) -> list[Any]:
        return [m for ms in self.plain for m in ms] + [m for ms in self.weighted for m in ms]
