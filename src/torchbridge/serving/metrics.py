"""Prometheus metrics of the server, written in the text exposition format (no client library).

:class:`ServingMetrics` keeps, under one lock:

* ``torchbridge_requests_total{route, method, status}`` — a counter;
* ``torchbridge_request_duration_seconds{route}`` — a latency histogram;
* ``torchbridge_batch_size`` — a histogram of the rows per model call
  (what dynamic batching achieved);
* ``torchbridge_inflight_requests`` — a gauge.

``render()`` gives the ``/metrics`` body (content type :data:`CONTENT_TYPE`).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence

__all__ = ["ServingMetrics", "Histogram", "CONTENT_TYPE"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: Sequence[tuple[str, str]]) -> str:
    if not pairs:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "}"


def _number(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Histogram:
    """Cumulative bucket counts, a sum and a count (one label set)."""

    def __init__(self, buckets: Sequence[float]) -> None:
        self.buckets = tuple(buckets)
        self.counts = [0] * (len(self.buckets) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.sum += value
        self.count += 1

    def lines(self, name: str, labels: Sequence[tuple[str, str]]) -> list[str]:
        out = []
        running = 0
        for bound, n in zip((*self.buckets, float("inf")), self.counts):
            running += n
            out.append(f"{name}_bucket{_labels([*labels, ('le', _number(bound))])} {running}")
        out.append(f"{name}_sum{_labels(labels)} {_number(self.sum)}")
        out.append(f"{name}_count{_labels(labels)} {self.count}")
        return out


class ServingMetrics:
    """The server's counters and histograms; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = {}
        self.latency: dict[str, Histogram] = {}
        self.batch_size = Histogram(_BATCH_BUCKETS)
        self.inflight = 0

    def request_started(self) -> None:
        with self._lock:
            self.inflight += 1

    def request_finished(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self.inflight -= 1
            key = (route, method, str(status))
            self.requests[key] = self.requests.get(key, 0) + 1
            hist = self.latency.get(route)
            if hist is None:
                hist = self.latency[route] = Histogram(_LATENCY_BUCKETS)
            hist.observe(seconds)

    def observe_batch(self, rows: int) -> None:
        with self._lock:
            self.batch_size.observe(rows)

    def render(self) -> str:
        with self._lock:
            lines = [
                "# HELP torchbridge_requests_total HTTP requests by route, method and status.",
                "# TYPE torchbridge_requests_total counter",
            ]
            for (route, method, status), n in sorted(self.requests.items()):
                labels = [("route", route), ("method", method), ("status", status)]
                lines.append(f"torchbridge_requests_total{_labels(labels)} {n}")
            lines += [
                "# HELP torchbridge_request_duration_seconds Request latency by route.",
                "# TYPE torchbridge_request_duration_seconds histogram",
            ]
            for route, hist in sorted(self.latency.items()):
                lines += hist.lines("torchbridge_request_duration_seconds", [("route", route)])
            lines += [
                "# HELP torchbridge_batch_size Rows per model call (dynamic batching).",
                "# TYPE torchbridge_batch_size histogram",
                *self.batch_size.lines("torchbridge_batch_size", []),
                "# HELP torchbridge_inflight_requests Requests being served now.",
                "# TYPE torchbridge_inflight_requests gauge",
                f"torchbridge_inflight_requests {self.inflight}",
            ]
        return "\n".join(lines) + "\n"
