"""Chat sessions driven as clients drive them: create, send messages as SSE streams, read back.

Each simulated user creates a session, sends its messages one after another (waiting for each
answer's final event, then thinking a little), and reads the session back to check that every
turn is in its history. Messages of one session rotate over the servers, so with two server
processes every session is continued by the process that did not start it.

What is measured is what a client sees; a message's *added* latency is its time from request
to final event less the scripted model's own delay, i.e. what the service adds to the model.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field

import httpx

FINAL_EVENTS = ("done", "error")


@dataclass(frozen=True)
class LoadSpec:
    urls: list[str]
    sessions: int = 40
    messages: int = 3
    model_delay_s: float = 0.0  # the scripted model's delay per call (one call per turn)
    think_s: float = 0.0  # a user waits up to this long between messages (uniform, seeded)
    ramp_s: float = 0.0  # sessions start spread over this long
    seed: int = 16
    timeout_s: float = 120.0


@dataclass
class Request:
    kind: str  # create | message | history
    seconds: float
    problem: str | None = None  # None when the request did what it should
    final: str | None = None  # a message stream's last event
    started: float = 0.0  # perf_counter when the request was sent


@dataclass
class LoadResult:
    spec: LoadSpec
    requests: list[Request] = field(default_factory=list)
    turns_expected: int = 0
    turns_in_history: int = 0
    wall_s: float = 0.0

    def of(self, kind: str) -> list[Request]:
        return [r for r in self.requests if r.kind == kind]

    @property
    def failed(self) -> list[Request]:
        return [r for r in self.requests if r.problem is not None]

    @property
    def streams_without_final(self) -> int:
        return sum(1 for r in self.of("message") if r.final not in FINAL_EVENTS)

    def added_ms(self, kind: str) -> list[float]:
        """Latency beyond the model's delay, in ms, of the requests of `kind` that succeeded."""
        delay = self.spec.model_delay_s if kind == "message" else 0.0
        return sorted((r.seconds - delay) * 1000 for r in self.of(kind) if r.problem is None)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted `values` (0 when there are none)."""
    if not values:
        return 0.0
    rank = max(1, min(len(values), round(q / 100 * len(values) + 0.5)))
    return values[rank - 1]


async def _create(client: httpx.AsyncClient, url: str, result: LoadResult) -> str | None:
    started = time.perf_counter()
    try:
        response = await client.post(f"{url}/v1/sessions", json={})
        problem = None if response.status_code == 201 else _status(response)
        session_id = str(response.json()["id"]) if problem is None else None
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        problem, session_id = f"{type(exc).__name__}: {exc}", None
    elapsed = time.perf_counter() - started
    result.requests.append(Request("create", elapsed, problem, None, started))
    return session_id


async def _message(
    client: httpx.AsyncClient, url: str, session_id: str, text: str, result: LoadResult
) -> bool:
    started = time.perf_counter()
    final: str | None = None
    problem: str | None = None
    try:
        path = f"{url}/v1/sessions/{session_id}/messages"
        async with client.stream("POST", path, json={"content": text}) as r:
            if r.status_code != 200:
                await r.aread()
                problem = _status(r)
            else:
                final = await _last_event(r)
    except httpx.HTTPError as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if problem is None and final != "done":
        problem = f"stream ended with {final or 'no final event'}"
    result.requests.append(
        Request("message", time.perf_counter() - started, problem, final, started)
    )
    return problem is None


async def _last_event(response: httpx.Response) -> str | None:
    """The name of the stream's last event (SSE comments, i.e. pings, are skipped)."""
    last: str | None = None
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            last = line.split(":", 1)[1].strip()
    return last


async def _history(
    client: httpx.AsyncClient, url: str, session_id: str, sent: int, result: LoadResult
) -> None:
    started = time.perf_counter()
    problem: str | None = None
    turns = 0
    try:
        response = await client.get(f"{url}/v1/sessions/{session_id}")
        if response.status_code != 200:
            problem = _status(response)
        else:
            turns, problem = _turns_recorded(response.json(), sent)
    except (httpx.HTTPError, ValueError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    result.turns_in_history += turns
    elapsed = time.perf_counter() - started
    result.requests.append(Request("history", elapsed, problem, None, started))


def _turns_recorded(session: dict[str, object], sent: int) -> tuple[int, str | None]:
    """Completed turns in the history: a user message followed by the assistant's answer."""
    messages = session.get("messages")
    roles = [m.get("role") for m in messages] if isinstance(messages, list) else []
    turns = sum(
        1 for i in range(len(roles) - 1) if (roles[i], roles[i + 1]) == ("user", "assistant")
    )
    if turns != sent or session.get("turns") != sent:
        return turns, f"{sent} turns answered, {turns} in history, {session.get('turns')} counted"
    return turns, None


def _status(response: httpx.Response) -> str:
    return f"HTTP {response.status_code}: {response.text[:200]}"


async def _user(client: httpx.AsyncClient, spec: LoadSpec, index: int, result: LoadResult) -> None:
    rng = random.Random(spec.seed * 100_003 + index)
    await asyncio.sleep(spec.ramp_s * index / max(1, spec.sessions))
    urls = spec.urls
    session_id = await _create(client, urls[index % len(urls)], result)
    if session_id is None:
        return
    answered = 0
    for turn in range(spec.messages):
        url = urls[(index + turn + 1) % len(urls)]
        text = f"session {index} message {turn}: how should I index an orders table?"
        answered += await _message(client, url, session_id, text, result)
        result.turns_expected += 1
        await asyncio.sleep(rng.uniform(0, spec.think_s))
    await _history(client, urls[index % len(urls)], session_id, answered, result)


async def drive(spec: LoadSpec) -> LoadResult:
    """Run every simulated user at once; returns what each request did."""
    result = LoadResult(spec)
    limits = httpx.Limits(max_connections=spec.sessions * 2, max_keepalive_connections=0)
    timeout = httpx.Timeout(spec.timeout_s, connect=30.0)
    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        await asyncio.gather(*(_user(client, spec, i, result) for i in range(spec.sessions)))
    result.wall_s = time.perf_counter() - started
    return result


def run(spec: LoadSpec) -> LoadResult:
    return asyncio.run(drive(spec))


def summary(result: LoadResult) -> dict[str, object]:
    """The figures a report prints, as one JSON-able mapping."""
    messages = result.added_ms("message")
    return {
        "requests": len(result.requests),
        "failed": len(result.failed),
        "failures": sorted({r.problem or "" for r in result.failed})[:5],
        "streams": len(result.of("message")),
        "streams_without_final_event": result.streams_without_final,
        "turns_expected": result.turns_expected,
        "turns_in_history": result.turns_in_history,
        "message_added_ms": _spread(messages),
        "create_ms": _spread(result.added_ms("create")),
        "history_ms": _spread(result.added_ms("history")),
        "wall_s": round(result.wall_s, 2),
    }


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 50), 1),
        "p99": round(percentile(values, 99), 1),
        "max": round(values[-1], 1) if values else 0.0,
    }


def dumps(result: LoadResult) -> str:
    return json.dumps(summary(result), indent=2)
