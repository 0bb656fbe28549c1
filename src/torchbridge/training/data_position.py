"""Where the training data stands, and how a resumed run gets back there: deterministic replay.

A pass over an adapter (one epoch, or one stream with ``steps_per_epoch``) is
a pure function of what holds when it is opened:

* the adapter's shuffle seed (``ArrayAdapter.seed``; epoch *e*'s order is a
  function of ``(seed, e)``);
* the seeds and iteration counters of a ``torchbridge.data`` pipeline's random
  nodes (``shuffle``, ``random``, ``sample``, ``rejection_resample``, the Hugging
  Face index order): iteration *k* over a node uses seed ``(seed, k)``, and an
  unseeded node drew its seed when the pipeline was built;
* the global random generators (a ``DataLoader`` draws its sampler's seed
  when iterated).

:func:`stream_start` records that when a pass opens; :func:`reopen` puts it
back, opens the same pass again and skips the batches already trained on, so
the next batch is the one the interrupted run would have read. Cost: the
skipped batches are produced again (arrays: slicing only; pipelines: their
reading and ``map`` work up to the position, no training). Batches produced
with draws from the *global* generators inside a ``map`` and still buffered
(a shuffle buffer, a prefetch) are replayed with different draws: augment
in the model or with seeded ops for exact resume.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from torchbridge.training.state import capture_rng, restore_rng

__all__ = [
    "pipeline_nodes",
    "capture_pipeline",
    "restore_pipeline",
    "capture_data_seeds",
    "restore_data_seeds",
    "stream_start",
    "reopen",
]

# Per-node counters that decide a pipeline's random choices (see the module docstring).
_NODE_FIELDS = ("_seed", "_iterations", "iterations")


def _pipeline_root(adapter: Any) -> Any:
    """The ``torchbridge.data.Dataset`` an adapter reads, if any (directly or in a loader)."""
    from torchbridge.data.dataset import Dataset

    source = getattr(adapter, "source", None)
    for candidate in (source, getattr(source, "dataset", None)):
        if isinstance(candidate, Dataset):
            return candidate
    return None


def pipeline_nodes(root: Any) -> list[Any]:
    """Every node of a pipeline, depth first from ``root``, each once (a stable order for
    the same pipeline built again)."""
    out: list[Any] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        stack.extend(reversed(list(getattr(node, "_inputs", []))))
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def capture_pipeline(root: Any) -> list[list[Any]]:
    """``[[node index, class name, {field: value}], ...]`` for the nodes with seeds or
    iteration counters."""
    out = []
    for i, node in enumerate(pipeline_nodes(root)):
        fields = {f: getattr(node, f) for f in _NODE_FIELDS if _is_int(getattr(node, f, None))}
        if fields:
            out.append([i, type(node).__name__, fields])
    return out


def restore_pipeline(root: Any, saved: list[list[Any]]) -> None:
    from torchbridge.errors import InputError

    nodes = pipeline_nodes(root)
    for index, class_name, fields in saved:
        node = nodes[index] if index < len(nodes) else None
        if node is None or type(node).__name__ != class_name:
            raise InputError(
                f"The checkpoint's data pipeline has a {class_name} at position {index}, but the "
                "pipeline passed to fit() has "
                f"{type(node).__name__ if node is not None else 'no node'} there. Build the "
                "same pipeline (same operations in the same order) to resume."
            )
        for field, value in fields.items():
            setattr(node, field, int(value))


def capture_data_seeds(adapter: Any) -> dict[str, Any]:
    """The adapter's own seed and its pipeline's node seeds/counters, as they are now."""
    out: dict[str, Any] = {}
    seed = getattr(adapter, "seed", None)
    if _is_int(seed):
        out["adapter_seed"] = seed
    root = _pipeline_root(adapter)
    if root is not None:
        out["pipeline"] = capture_pipeline(root)
    return out


def restore_data_seeds(adapter: Any, saved: dict[str, Any]) -> None:
    if "adapter_seed" in saved and hasattr(adapter, "seed"):
        adapter.seed = int(saved["adapter_seed"])
    root = _pipeline_root(adapter)
    if root is not None and "pipeline" in saved:
        restore_pipeline(root, saved["pipeline"])


def stream_start(adapter: Any) -> dict[str, Any]:
    """What a pass over ``adapter`` depends on, taken just before it opens."""
    return {"seeds": capture_data_seeds(adapter), "rng": capture_rng()}


def reopen(
    adapter: Any, pass_number: int, start: dict[str, Any] | None, skip: int
) -> tuple[Iterator[Any], Any]:
    """Open pass ``pass_number`` of ``adapter`` as it was opened (``start``) and skip its
    first ``skip`` batches; returns the positioned iterator and the first skipped batch
    (``None`` if none). The caller restores the checkpoint's generators afterwards."""
    if start is not None:  # None: a one-shot generator whose pass had ended
        restore_data_seeds(adapter, start["seeds"])
        restore_rng(start["rng"])
    stream = iter(adapter.iter_epoch(pass_number))
    first = None
    for i in range(skip):
        try:
            batch = next(stream)
        except StopIteration:
            break
        if i == 0:
            first = batch
    return stream, first
