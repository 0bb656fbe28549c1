"""Errors a serving client can trigger, each carrying the HTTP status the protocols answer with.

``RequestError`` (400, TF Serving's INVALID_ARGUMENT) is the common case: a
body that does not fit the model's signature. ``ModelNotFoundError`` (404),
``PayloadTooLargeError`` (413) and ``DeadlineExceededError`` (504) are the
others. The app turns every one of them into the protocol's error body
``{"error": "..."}``; none of them is ever a 5xx.
"""

from __future__ import annotations

from torchbridge.errors import InputError

__all__ = [
    "RequestError",
    "ModelNotFoundError",
    "PayloadTooLargeError",
    "DeadlineExceededError",
    "ServiceUnavailableError",
]


class RequestError(InputError):
    """A request the model cannot answer as sent (HTTP 400)."""

    status_code = 400


class ModelNotFoundError(RequestError):
    """An unknown model name or version (HTTP 404)."""

    status_code = 404


class PayloadTooLargeError(RequestError):
    """A body over the server's ``max_body_bytes`` (HTTP 413)."""

    status_code = 413


class DeadlineExceededError(RequestError):
    """A request that did not finish within ``request_timeout_s`` (HTTP 504)."""

    status_code = 504


class ServiceUnavailableError(RequestError):
    """The server is shutting down and takes no new work (HTTP 503)."""

    status_code = 503
