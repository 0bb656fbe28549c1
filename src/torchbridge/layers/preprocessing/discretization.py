"""Discretization: Keras's bucketing of numbers by bin boundaries, learned by ``adapt`` or given.

Bucketing follows TensorFlow's ``Bucketize``: values are compared as float32
and value ``x`` lands in bucket ``i`` when ``boundaries[i-1] <= x <
boundaries[i]`` (NaN goes to the last bucket). ``adapt`` with ``num_bins``
reproduces Keras 3's quantile summary step by step (a sorted, strided
sample of each batch weighted by its stride, merged batch after batch and
compressed by interpolating cumulative weights, all in NumPy float32 as
Keras does), so the learned boundaries equal Keras's for the same batches.

The boundaries live in the buffer ``boundaries`` (float32), saved with the
weights; Keras's layer has no weights, so ``get_weights()`` is empty and the
boundaries also travel in ``get_config()["bin_boundaries"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.layers.layer import KerasWeight
from torchbridge.layers.preprocessing._encoding import encode_categorical, resolve_dtype
from torchbridge.layers.preprocessing.base import PreprocessingLayer, to_batch

__all__ = ["Discretization"]

_MODES = ("int", "one_hot", "multi_hot", "count")


# --- Keras 3's approximate quantile summary: a (2, k) float32 array [values; weights] ---------
def _empty_summary() -> np.ndarray:
    return np.zeros((2, 0), dtype=np.float32)


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """Sorted values sampled every ``max(n * epsilon, 1)`` places, each weighted by that stride."""
    ordered = np.sort(values.reshape(-1))
    stride = max(ordered.size / (1.0 / epsilon), 1)
    picked = ordered[int(stride - 1) :: int(stride)]
    return np.stack([picked, np.ones_like(picked) * stride])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Resample a summary at cumulative-weight fractions ``epsilon, 2 epsilon, ...``."""
    if summary.shape[1] * epsilon < 1:
        return summary
    targets = np.arange(0.0, 1.0, epsilon) + epsilon
    cumulative = summary[1].cumsum()
    fractions = cumulative / cumulative[-1]
    values = np.interp(targets, fractions, summary[0])
    cumulative_at = np.interp(targets, fractions, cumulative)
    weights = np.diff(cumulative_at, prepend=0.0)
    return np.stack((values, weights)).astype(np.float32)


def _merge(new: np.ndarray, old: np.ndarray, epsilon: float) -> np.ndarray:
    both = np.concatenate((new, old), axis=1)
    both = both[:, np.argsort(both[0])]
    return _compress(both, epsilon)


class Discretization(PreprocessingLayer):
    """Keras's ``Discretization``: ``bin_boundaries`` given, or ``num_bins`` quantiles by ``adapt``.

    Output: the bucket index (int32, ``output_mode="int"``) or its float32
    one-hot / multi-hot / count encoding with ``len(bin_boundaries) + 1``
    classes.
    """

    boundaries: torch.Tensor

    def __init__(
        self,
        bin_boundaries: Sequence[float] | None = None,
        num_bins: int | None = None,
        epsilon: float = 0.01,
        output_mode: str = "int",
        sparse: bool = False,
        dtype: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, dtype=dtype, **kwargs)
        owner = type(self).__name__
        if sparse:
            if output_mode == "int":
                raise ValueError(
                    f"{owner}: `sparse=True` needs output_mode 'one_hot', 'multi_hot' or 'count'."
                )
            raise ValueError(
                f"{owner}: `sparse=True` is not supported on torch (Keras's torch backend "
                "rejects it too); use the dense output."
            )
        if output_mode not in _MODES:
            raise ValueError(
                f"{owner}: `output_mode` must be one of {_MODES}; received "
                f"output_mode={output_mode!r}."
            )
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"{owner}: `num_bins` must be >= 0; received num_bins={num_bins}.")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                f"{owner}: set `num_bins` or `bin_boundaries`, not both; received "
                f"num_bins={num_bins} and bin_boundaries={bin_boundaries!r}."
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{owner}: set either `num_bins` or `bin_boundaries`.")
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = bool(sparse)
        self._out_dtype = resolve_dtype(dtype, torch.float32)
        self._bin_boundaries: list[float] | None = None
        self.register_buffer("boundaries", torch.zeros(0, dtype=torch.float32))
        if bin_boundaries is not None:
            self.bin_boundaries = list(bin_boundaries)
        self.summary: np.ndarray | None = None if bin_boundaries else _empty_summary()
        self.built = True

    @property
    def bin_boundaries(self) -> list[float] | None:
        """The boundaries as a list (``None`` until given or adapted), as in Keras."""
        return self._bin_boundaries

    @bin_boundaries.setter
    def bin_boundaries(self, value: Sequence[float] | None) -> None:
        if value is None:
            self._bin_boundaries = None
            self.boundaries = torch.zeros(0, dtype=torch.float32, device=self.boundaries.device)
            return
        values = [float(v) for v in value]
        self._bin_boundaries = values
        self.boundaries = torch.tensor(values, dtype=torch.float32, device=self.boundaries.device)

    def _keras_weights(self) -> list[KerasWeight]:
        return []

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        # The number of boundaries is data-dependent: take the saved size.
        key = prefix + "boundaries"
        if key in state_dict:
            saved = state_dict[key]
            self.bin_boundaries = torch.as_tensor(saved).to(torch.float32).cpu().tolist()
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    # --- adapt -------------------------------------------------------------------------------------
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn ``num_bins`` quantile boundaries from ``data`` (Keras's ``adapt``).

        As in Keras, each element of a Python list is one batch (a list of
        numbers is summarised number by number); arrays and tensors are one
        batch (unless ``batch_size``), datasets give their batches.
        """
        if self.num_bins is None:
            raise InputError(
                f"Layer '{self.name}' (Discretization) was given `bin_boundaries`; only a "
                "layer created with `num_bins` can be adapted."
            )
        if self.num_bins == 0:
            raise InputError(f"Layer '{self.name}' (Discretization): cannot adapt with num_bins=0.")
        if isinstance(data, (list, tuple)) and batch_size is None:
            batches = list(data)[: steps if steps is not None else None]
            if not batches:
                raise InputError(
                    f"Layer '{self.name}' (Discretization): adapt() got no data (an empty "
                    "list); pass at least one sample."
                )
            self.reset_state()
            for batch in batches:
                self.update_state(batch)
            self.finalize_state()
            self._is_adapted = True
            return
        super().adapt(data, batch_size=batch_size, steps=steps)

    def reset_state(self) -> None:
        if self.num_bins is not None:
            self.summary = _empty_summary()

    def update_state(self, batch: Any) -> None:
        if isinstance(batch, (list, tuple)) or np.isscalar(batch):
            batch = to_batch(batch) if isinstance(batch, (list, tuple)) else np.asarray(batch)
        if isinstance(batch, torch.Tensor):
            values = batch.detach().cpu().numpy()
        else:
            values = np.asarray(batch)
        if values.dtype.kind not in "biuf":
            raise InputError(
                f"Layer '{self.name}' (Discretization): adapt() takes numbers; received data "
                f"of dtype {values.dtype}."
            )
        values = values.astype(np.float32)
        previous = self.summary if self.summary is not None else _empty_summary()
        self.summary = _merge(_summarize(values, self.epsilon), previous, self.epsilon)

    def finalize_state(self) -> None:
        if self.num_bins is None or self.summary is None:
            return
        boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1]
        self.bin_boundaries = np.asarray(boundaries, dtype=np.float32).tolist()

    # --- calling ------------------------------------------------------------------------------------
    def call(self, inputs: Any) -> torch.Tensor:
        if self._bin_boundaries is None:
            raise InputError(
                f"Layer '{self.name}' (Discretization) has no bin boundaries: pass "
                "`bin_boundaries` when creating it or call `adapt(data)` first."
            )
        x = torch.as_tensor(inputs)
        if x.is_complex() or x.dtype == torch.bool:
            raise InputError(
                f"Layer '{self.name}' (Discretization) takes numbers; received dtype {x.dtype}."
            )
        boundaries = self.boundaries.to(x.device)
        indices = torch.bucketize(x.to(torch.float32), boundaries, right=True)
        depth = boundaries.numel() + 1
        if self.output_mode == "int":
            return indices.to(torch.int32)
        return encode_categorical(indices, self.output_mode, depth, dtype=self._out_dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        depth = (
            len(self._bin_boundaries) + 1
            if self._bin_boundaries is not None
            else int(self.num_bins or 0)
        )
        if not shape:
            return (depth,)
        if self.output_mode == "one_hot" and (shape[-1] != 1 or len(shape) == 1):
            return (*shape, depth)
        return (*shape[:-1], depth)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": str(self._out_dtype).removeprefix("torch."),
        }
        if not self.trainable:
            config["trainable"] = False
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Discretization:
        config = dict(config)
        boundaries = config.get("bin_boundaries")
        if boundaries is not None and config.get("num_bins") is not None:
            # An adapted layer: both are set, which the constructor refuses.
            config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)
