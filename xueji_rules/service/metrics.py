"""Prometheus metrics: requests, latencies and decisions by region, question and outcome.

Labels hold only route templates, regions, questions and outcomes: never a path as sent,
never a fact value. With several uvicorn workers, ``xueji serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder and ``/metrics`` adds up every worker's
samples (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        reg = None if self.multiprocess else self.registry
        kw = {"registry": reg} if reg is not None else {}
        self.requests = Counter("xueji_http_requests_total", "HTTP requests answered, by route template, method and status",
                                ["route", "method", "status"], **kw)
        self.latency = Histogram("xueji_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
                                 ["route"], buckets=BUCKETS, **kw)
        self.decisions = Counter("xueji_decisions_total", "Decisions answered, by region, question and outcome",
                                 ["region", "question", "outcome"], **kw)
        self.reloads = Counter("xueji_policy_reloads_total", "Policy reloads, by result", ["result"], **kw)
        self.batch_lines = Counter("xueji_batch_lines_total", "Batch lines answered, by result (decision or error)",
                                   ["result"], **kw)

    def decision(self, region: str, question: str, outcome: str, n: int = 1) -> None:
        if region.startswith("u-"):
            region = "upload"  # uploads come and go: one label for all of them
        self.decisions.labels(region, question, outcome).inc(n)

    def exposition(self) -> tuple[bytes, str]:
        if self.multiprocess:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
