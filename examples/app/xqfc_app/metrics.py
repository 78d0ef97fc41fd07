"""Prometheus metrics with the names and labels the platform's alert rules and dashboards
query (components/render/monitoring/rules.py, grafana.py; docs/monitoring.md): the defaults
of prometheus-fastapi-instrumentator, which Debian does not package, written out here.

  http_requests_total{handler,method,status}          status grouped: 2xx, 4xx, 5xx
  http_request_duration_seconds{handler,method}       histogram (_bucket/_sum/_count)

`handler` is the route template (/api/listings/{listing_id}), "none" for unmatched paths,
so a scan of random URLs cannot blow up the label set.
"""
from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Finer than the instrumentator's (0.1, 0.5, 1): the p95 alert thresholds (0.5 s prod,
# 1 s elsewhere; components/render/monitoring/spec.py) sit on bucket boundaries.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests_total", "Requests by handler, method and status class.",
            ("handler", "method", "status"), registry=self.registry)
        self.latency = Histogram(
            "http_request_duration_seconds", "Request latency by handler and method.",
            ("handler", "method"), buckets=BUCKETS, registry=self.registry)
        self.cache_errors = Counter(
            "xqfc_cache_errors_total", "Redis operations that failed (served from PostgreSQL).",
            ("operation",), registry=self.registry)
        self.cache_lookups = Counter(
            "xqfc_cache_lookups_total", "Cache lookups by result.", ("result",), registry=self.registry)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def _handler(app: ASGIApp, scope: Scope) -> str:
    for route in getattr(app, "routes", ()):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "path", "none")
    return "none"


class MetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): times every HTTP request, including failures."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes_of: ASGIApp) -> None:
        self.app = app
        self.metrics = metrics
        self.routes_of = routes_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        handler = _handler(self.routes_of, scope)
        method = scope["method"]
        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.latency.labels(handler, method).observe(time.perf_counter() - start)
            self.metrics.requests.labels(handler, method, f"{str(status)[0]}xx").inc()
