"""Counters and histograms for ``GET /metrics``, written in Prometheus' text exposition format (0.0.4).

Updated from the event loop only (one thread), so no locks. Each process of ``--workers N`` keeps its own.
"""

from __future__ import annotations

import bisect
from collections import Counter

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds: a /predict request from its arrival to its answer."""
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
"""Texts per model call."""


class Histogram:
    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)  # the last: above every bound (+Inf)
        self.total = 0.0
        self.n = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.n += 1

    def lines(self, name: str) -> list[str]:
        lines, running = [], 0
        for bound, count in zip((*self.buckets, float("inf")), self.counts, strict=True):
            running += count
            shown = "+Inf" if bound == float("inf") else _number(bound)
            lines.append(f'{name}_bucket{{le="{shown}"}} {running}')
        return [*lines, f"{name}_sum {_number(self.total)}", f"{name}_count {self.n}"]


class Metrics:
    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, int]] = Counter()
        """(method, route, status) -> requests answered. Unknown paths are one route, ``other``."""
        self.errors: Counter[str] = Counter()
        """Reason (``invalid_json``, ``too_large``, ``overloaded``...) -> requests refused or failed."""
        self.reviews = 0
        self.batches = 0
        self.model_seconds = 0.0
        """Time spent in model calls (tokenizing excluded)."""
        self.latency = Histogram(LATENCY_BUCKETS)
        self.batch_sizes = Histogram(BATCH_BUCKETS)
        self.queued = 0
        """Texts accepted and not yet answered (set by the batcher)."""

    def text(self) -> str:
        """Everything, in Prometheus' text format."""
        out = [
            "# HELP sentiment_requests_total HTTP requests answered, by method, route and status code.",
            "# TYPE sentiment_requests_total counter",
        ]
        for (method, route, status), count in sorted(self.requests.items()):
            out.append(f'sentiment_requests_total{{method="{method}",route="{route}",code="{status}"}} {count}')
        out += [
            "# HELP sentiment_errors_total Requests refused or failed, by reason.",
            "# TYPE sentiment_errors_total counter",
            *(f'sentiment_errors_total{{reason="{reason}"}} {n}' for reason, n in sorted(self.errors.items())),
            "# HELP sentiment_reviews_total Texts classified.",
            "# TYPE sentiment_reviews_total counter",
            f"sentiment_reviews_total {self.reviews}",
            "# HELP sentiment_batches_total Model calls (each classifies the texts of one or more requests).",
            "# TYPE sentiment_batches_total counter",
            f"sentiment_batches_total {self.batches}",
            "# HELP sentiment_model_seconds_total Time spent in model calls.",
            "# TYPE sentiment_model_seconds_total counter",
            f"sentiment_model_seconds_total {_number(self.model_seconds)}",
            "# HELP sentiment_request_duration_seconds Time from a /predict request's arrival to its answer.",
            "# TYPE sentiment_request_duration_seconds histogram",
            *self.latency.lines("sentiment_request_duration_seconds"),
            "# HELP sentiment_batch_size Texts per model call (requests gathered by the batcher).",
            "# TYPE sentiment_batch_size histogram",
            *self.batch_sizes.lines("sentiment_batch_size"),
            "# HELP sentiment_queued_texts Texts accepted and not yet answered.",
            "# TYPE sentiment_queued_texts gauge",
            f"sentiment_queued_texts {self.queued}",
        ]
        return "\n".join(out) + "\n"


def _number(value: float) -> str:
    return repr(float(value))
