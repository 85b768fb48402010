"""Prometheus text exposition: request counts from this process, run figures from the store.

Request counters are per process, as Prometheus expects (each process is scraped). Design
runs, gate failures, model usage and the queue are read from the shared database at scrape
time, so they are the fleet's figures whichever process answers; sum them across processes
and they are counted once per process.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.service.state import ServiceState

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Labels = tuple[tuple[str, str], ...]


class RequestMetrics:
    """Thread-safe counts of answered requests by method, route template and status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[Labels] = Counter()

    def count(self, method: str, route: str, status: int) -> None:
        labels = (("method", method), ("route", route), ("status", str(status)))
        with self._lock:
            self._counts[labels] += 1

    def snapshot(self) -> dict[Labels, int]:
        with self._lock:
            return dict(self._counts)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _sample(name: str, labels: Labels, value: float) -> str:
    if not labels:
        return f"{name} {value:g}"
    inner = ",".join(f'{key}="{_escape(val)}"' for key, val in labels)
    return f"{name}{{{inner}}} {value:g}"


def _family(
    name: str, kind: str, help_text: str, samples: Iterable[tuple[Labels, float]]
) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [_sample(name, labels, value) for labels, value in sorted(samples)]
    return lines


def _by(label: str, values: Mapping[str, int]) -> list[tuple[Labels, float]]:
    return [(((label, key),), float(n)) for key, n in values.items()]


def render(state: ServiceState) -> str:
    """The whole /metrics page."""
    jobs = state.jobs.counts()
    design = {status: n for (kind, status), n in jobs.items() if kind == "design"}
    for status in ("queued", "running", "interrupted", "done", "failed"):
        design.setdefault(status, 0)
    queued = sum(n for (_, status), n in jobs.items() if status == "queued")
    chat = state.sessions.totals()
    design_tokens, design_cost = state.jobs.model_usage()
    requests = [(labels, float(n)) for labels, n in state.metrics.snapshot().items()]
    lines = [
        *_family("dbarch_http_requests_total", "counter", "HTTP requests answered by this "
                 "process, by method, route template and status.", requests),
        *_family("dbarch_design_runs", "gauge", "Design jobs by status (shared store).",
                 _by("status", design)),
        *_family("dbarch_gate_failures_total", "counter", "Failed gate verdicts by gate.",
                 _by("gate", state.jobs.gate_failures())),
        *_family("dbarch_model_tokens_total", "counter", "Model tokens spent, by source.",
                 [((("source", "chat"),), chat.tokens), ((("source", "design"),), design_tokens)]),
        *_family("dbarch_model_cost_usd_total", "counter", "Model cost in USD, by source.",
                 [((("source", "chat"),), chat.cost_usd), ((("source", "design"),), design_cost)]),
        *_family("dbarch_job_queue_depth", "gauge", "Jobs waiting for a worker.",
                 [((), float(queued))]),
    ]  # fmt: skip
    return "\n".join(lines) + "\n"
