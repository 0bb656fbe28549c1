"""``ExportError``: a model that cannot be written in the asked format, with the reason and fix.

It derives from :class:`~torchbridge.errors.TorchbridgeError` and ``ValueError`` (Keras
raises ``ValueError`` for an unknown format or a bad ``filepath``), so
``except ValueError`` keeps working.
"""

from __future__ import annotations

from torchbridge.errors import TorchbridgeError

__all__ = ["ExportError", "missing_dependency"]


class ExportError(TorchbridgeError, ValueError):
    """``model.export`` / ``ExportArchive.write_out`` could not write the artifact."""


def missing_dependency(package: str, fmt: str, pip_name: str | None = None) -> ImportError:
    """The ``ImportError`` raised when an optional exporter package is not installed."""
    return ImportError(
        f"format={fmt!r} needs the `{package}` package, which is not installed. "
        f"Install it with `pip install {pip_name or package}`."
    )
