"""Calling user functions on elements the way tf.data does, with useful errors.

tf.data unpacks a tuple element into positional arguments (``fn(x, y)``) and
passes anything else (a tensor, a dict) as one argument. An exception raised
by the user function is re-raised as :class:`PipelineFunctionError` naming the
operation, the function and the element's position in its input, chained to
the original exception so its traceback is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchbridge.errors import TorchbridgeError

__all__ = ["call_on_element", "PipelineFunctionError", "PipelineTimeoutError", "describe"]


class PipelineFunctionError(TorchbridgeError, RuntimeError):
    """A user function inside a pipeline (map, filter, ...) raised."""


class PipelineTimeoutError(PipelineFunctionError, TimeoutError):
    """A ``map`` function ran longer than the ``timeout`` given to ``map``."""


def describe(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def call_on_element(fn: Callable[..., Any], element: Any) -> Any:
    if isinstance(element, tuple) and not hasattr(element, "_fields"):
        return fn(*element)
    return fn(element)


def wrap_error(op: str, fn: Callable[..., Any], position: int, error: BaseException) -> Exception:
    return PipelineFunctionError(
        f"{op}() function {describe(fn)} raised {type(error).__name__} on element {position} "
        f"of its input: {error}. (The original traceback is shown above; use "
        ".ignore_errors() after this step to skip failing elements.)"
    )


def timeout_error(
    fn: Callable[..., Any], position: int, timeout: float, elapsed: float, worker: str
) -> PipelineTimeoutError:
    if worker == "process":
        fate = "its worker process was terminated and replaced"
    else:
        fate = "its worker thread is left to finish in the background (a thread cannot be killed)"
    return PipelineTimeoutError(
        f"map() function {describe(fn)} did not return within timeout={timeout:g} s on element "
        f"{position} of its input (still running after {elapsed:.2f} s); {fate}, and the map "
        "goes on with the next element. Make the function return in time (e.g. a timeout on "
        "its I/O), raise map(..., timeout=...), or add .ignore_errors() after the map to skip "
        "such elements."
    )
