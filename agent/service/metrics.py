"""Prometheus metrics through `prometheus_client`: this process's requests, the fleet's runs.

Request counters are per process, as Prometheus expects (each process is scraped). Design
runs, gate failures, model usage and the queue are read from the shared database at scrape
time by a custom collector, so they are the fleet's figures whichever process answers; sum
them across processes and they are counted once per process.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agent.service.stores import JobStore, SessionStore

# The classic text format (0.0.4) that every Prometheus scrapes; generate_latest writes it.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DESIGN_STATUSES = ("queued", "running", "interrupted", "done", "failed")


class RequestMetrics:
    """Answered requests by method, route template and status (prometheus_client's Counter
    is thread-safe), in a registry of this app's own rather than the process-global one."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            "dbarch_http_requests",
            "HTTP requests answered by this process, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )

    def count(self, method: str, route: str, status: int) -> None:
        self._requests.labels(method=method, route=route, status=str(status)).inc()


class Fleet(Protocol):
    """What /metrics reads of the service's state (`agent.service.state`, which holds a
    `RequestMetrics`, so this module does not import it)."""

    metrics: RequestMetrics
    jobs: JobStore
    sessions: SessionStore


class StoreCollector(Collector):
    """The shared store's figures, read when Prometheus scrapes."""

    def __init__(self, state: Fleet) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        jobs = self.state.jobs.counts()
        design = dict.fromkeys(DESIGN_STATUSES, 0)
        design.update({status: n for (kind, status), n in jobs.items() if kind == "design"})
        yield _labelled(
            GaugeMetricFamily("dbarch_design_runs", "Design jobs by status (shared store).",
                              labels=["status"]), design)  # fmt: skip
        yield _labelled(
            CounterMetricFamily("dbarch_gate_failures", "Failed gate verdicts by gate.",
                                labels=["gate"]), self.state.jobs.gate_failures())  # fmt: skip
        chat = self.state.sessions.totals()
        design_tokens, design_cost = self.state.jobs.model_usage()
        yield _labelled(
            CounterMetricFamily("dbarch_model_tokens", "Model tokens spent, by source.",
                                labels=["source"]),
            {"chat": chat.tokens, "design": design_tokens},
        )  # fmt: skip
        yield _labelled(
            CounterMetricFamily("dbarch_model_cost_usd", "Model cost in USD, by source.",
                                labels=["source"]),
            {"chat": chat.cost_usd, "design": design_cost},
        )  # fmt: skip
        queued = sum(n for (_, status), n in jobs.items() if status == "queued")
        yield GaugeMetricFamily(
            "dbarch_job_queue_depth", "Jobs waiting for a worker.", value=float(queued)
        )


def _labelled(
    family: GaugeMetricFamily | CounterMetricFamily, values: Mapping[str, float]
) -> Metric:
    for label, value in sorted(values.items()):
        family.add_metric([label], float(value))
    return family


def render(state: Fleet) -> str:
    """The whole /metrics page: this process's counters, then the store's figures."""
    store = CollectorRegistry(auto_describe=False)
    store.register(StoreCollector(state))
    return (generate_latest(state.metrics.registry) + generate_latest(store)).decode("utf-8")
