"""``tf.data.Options`` and its groups (threading, autotune, optimization, distribute) and
the policy enums, attached with ``Dataset.with_options`` and read with ``Dataset.options``.

The fields are tf.data's (all default ``None``, i.e. "the default"); an unknown field
is an AttributeError naming the valid ones. torchbridge records the options — they are
merged along the pipeline as tf.data does — but its pipelines do not tune themselves
from them (``map(num_parallel_calls=...)`` and ``prefetch`` are what set parallelism).
"""

from __future__ import annotations

import copy
import enum
from typing import Any, ClassVar

__all__ = [
    "AutoShardPolicy",
    "AutotuneAlgorithm",
    "AutotuneOptions",
    "DistributeOptions",
    "ExternalStatePolicy",
    "OptimizationOptions",
    "Options",
    "ServiceOptions",
    "ThreadingOptions",
]


class AutoShardPolicy(enum.IntEnum):
    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


class ExternalStatePolicy(enum.IntEnum):
    WARN = 0
    IGNORE = 1
    FAIL = 2


class AutotuneAlgorithm(enum.IntEnum):
    DEFAULT = 0
    HILL_CLIMB = 1
    GRADIENT_DESCENT = 2
    MAX_PARALLELISM = 3
    STAGE_BASED = 4


class _OptionsGroup:
    """Fields with defaults; setting an unknown one raises; ``==`` compares fields."""

    _defaults: ClassVar[dict[str, Any]] = {}
    _aliases: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        for name, default in self._defaults.items():
            object.__setattr__(self, name, default() if callable(default) else default)

    def __setattr__(self, name: str, value: Any) -> None:
        name = self._aliases.get(name, name)
        if name not in self._defaults:
            raise AttributeError(
                f"{type(self).__name__} has no option {name!r}; the options are "
                f"{sorted(self._defaults)}."
            )
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        alias = type(self)._aliases.get(name)
        if alias is None:
            raise AttributeError(f"{type(self).__name__} has no option {name!r}.")
        return getattr(self, alias)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(self) == vars(other)

    def __repr__(self) -> str:
        set_fields = {k: v for k, v in vars(self).items() if v is not None}
        return f"{type(self).__name__}({set_fields})"

    def _merge_from(self, other: _OptionsGroup) -> None:
        """Fields set (not None) in ``other`` override ours; groups merge recursively."""
        for name, value in vars(other).items():
            mine = getattr(self, name)
            if isinstance(value, _OptionsGroup) and isinstance(mine, _OptionsGroup):
                mine._merge_from(value)
            elif value is not None and not (
                name == "auto_shard_policy" and value == AutoShardPolicy.AUTO
            ):
                object.__setattr__(self, name, value)


class ThreadingOptions(_OptionsGroup):
    _defaults: ClassVar[dict[str, Any]] = {
        "max_intra_op_parallelism": None,
        "private_threadpool_size": None,
    }


class AutotuneOptions(_OptionsGroup):
    _defaults: ClassVar[dict[str, Any]] = dict.fromkeys(
        [
            "autotune_algorithm",
            "cpu_budget",
            "enabled",
            "initial_parallelism",
            "min_parallelism",
            "ram_budget",
        ]
    )


class OptimizationOptions(_OptionsGroup):
    _defaults: ClassVar[dict[str, Any]] = dict.fromkeys(
        [
            "apply_default_optimizations",
            "filter_fusion",
            "filter_parallelization",
            "inject_prefetch",
            "map_and_batch_fusion",
            "map_and_filter_fusion",
            "map_fusion",
            "map_parallelization",
            "noop_elimination",
            "parallel_batch",
            "seq_interleave_prefetch",
            "shuffle_and_repeat_fusion",
        ]
    )


class DistributeOptions(_OptionsGroup):
    _defaults: ClassVar[dict[str, Any]] = {
        "auto_shard_policy": AutoShardPolicy.AUTO,
        "num_devices": None,
    }


class ServiceOptions(_OptionsGroup):
    _defaults: ClassVar[dict[str, Any]] = {"pinned": None}


class Options(_OptionsGroup):
    """``tf.data.Options``: ``ds.with_options(opts)``; ``ds.options()`` gives the merged ones."""

    _defaults: ClassVar[dict[str, Any]] = {
        "autotune": AutotuneOptions,
        "dataset_name": None,
        "deterministic": None,
        "experimental_distribute": DistributeOptions,
        "experimental_external_state_policy": None,
        "experimental_optimization": OptimizationOptions,
        "experimental_service": ServiceOptions,
        "experimental_slack": None,
        "experimental_symbolic_checkpoint": None,
        "experimental_warm_start": None,
        "framework_type": None,
        "threading": ThreadingOptions,
    }
    _aliases: ClassVar[dict[str, str]] = {
        "experimental_deterministic": "deterministic",
        "experimental_threading": "threading",
    }

    def merge(self, options: Options) -> Options:
        """A new Options: ours, overridden by the fields ``options`` sets."""
        merged = copy.deepcopy(self)
        merged._merge_from(options)
        return merged
