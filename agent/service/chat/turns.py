"""One chat turn, from the session's lease to the stream's final event.

The session is leased for `session_lease_s` and the lease renewed every third of that while
the turn runs, so a server that dies mid-turn holds the session for at most one lease, and
a turn whose lease was taken over (its server stalled past it) stops.

Whatever happens, the stream ends with `done` or `error`. The turn counts against the
session's turn budget only when it completed, i.e. its answer is in the history. What the
model spent is added when it was spent on the user's behalf (an answer, or one the model or
a budget stopped, or one the user walked away from), never when the service itself failed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import psycopg
from anyio import to_thread
from sse_starlette import ServerSentEvent

from agent.service.chat.runtime import ChatRuntime
from agent.service.chat.session import ChatContext, Message, Responder, Sink
from agent.service.config import ServiceSettings
from agent.service.errors import Conflict, error_body
from agent.service.stores import SessionStore, TurnUsage
from tools.errors import ArchitectError, DatabaseError

log = logging.getLogger(__name__)
SSE_SEPARATOR = "\r\n"  # sse_starlette's own, so every event on the wire looks alike
T = TypeVar("T")
Final = tuple[str, dict[str, Any]]


class LeaseLost(Conflict):
    """Another server took the session over while this turn ran (it stalled past its lease)."""


class ServiceView(Protocol):
    """What a turn uses of the service's state (`agent.service.state`, which holds the chat
    runtime, so this package does not import it)."""

    settings: ServiceSettings
    sessions: SessionStore

    def chat_runtime(self) -> ChatRuntime: ...


@dataclass
class Turn:
    state: ServiceView
    session_id: str
    text: str
    responder: Responder
    lease: float  # the lease this turn holds; renewed as the turn runs
    # Renewing and finishing take turns: a renewal still running in its thread when the turn
    # ends would otherwise move the lease after `finish` read it, and the session would stay
    # locked until that renewal ran out.
    _lease_lock: threading.Lock = field(default_factory=threading.Lock)

    def renew(self) -> float | None:
        """Blocking: extend the lease; None when it was lost."""
        with self._lease_lock:
            renewed = self.state.sessions.renew(
                self.session_id, self.lease, self.state.settings.session_lease_s
            )
            if renewed is not None:
                self.lease = renewed
            return renewed

    def finish(self, usage: TurnUsage, completed: bool) -> None:
        """Blocking: record the turn and release the lease it holds now."""
        with self._lease_lock:
            self.state.sessions.finish(self.session_id, self.lease, usage, completed)


async def stream(turn: Turn) -> AsyncIterator[bytes]:
    """The turn's events, SSE-encoded; the last is always `done` or `error`.

    Events that are ready together (a model's burst of text deltas) go out in one write: a
    write per event cost a send() and the whole ASGI send chain each.
    """
    queue: asyncio.Queue[Final | None] = asyncio.Queue()
    task = asyncio.create_task(_run(turn, queue))
    try:
        ended = False
        while not ended:
            ready = [await queue.get()]
            while not queue.empty():
                ready.append(queue.get_nowait())
            ended = ready[-1] is None
            events = [_encoded(item) for item in ready if item is not None]
            if events:
                yield b"".join(events)
    finally:
        if not task.done():
            task.cancel()  # the client went away: stop spending on an answer nobody reads


def _encoded(item: Final) -> bytes:
    data = json.dumps(item[1], default=str)
    return ServerSentEvent(data, event=item[0], sep=SSE_SEPARATOR).encode()


async def _run(turn: Turn, queue: asyncio.Queue[Final | None]) -> None:
    final: Final = ("error", {"type": "InternalError", "message": "the turn ended unexpectedly"})
    try:
        final = await _answer(turn, lambda kind, data: queue.put_nowait((kind, data)))
    finally:
        queue.put_nowait(final)
        queue.put_nowait(None)


async def _answer(turn: Turn, sink: Sink) -> Final:
    """Run the turn under its lease, settle it, and say how it ended."""
    started = time.monotonic()
    ctx = ChatContext(turn.responder, sink)
    threads = turn.state.chat_runtime().threads
    try:
        added = await _leased(turn, threads.run_turn(turn.session_id, turn.text, ctx))
    except asyncio.CancelledError:
        await asyncio.shield(_settle(turn, started, completed=False, billable=True))
        raise
    except Exception as exc:
        await _settle(turn, started, completed=False, billable=_on_users_behalf(exc))
        return _failure(exc)
    # Settled before `done` goes out: the client may send its next message at once.
    await _settle(turn, started, completed=True, billable=True)
    return "done", {"messages": added, "usage": turn.responder.usage.to_dict()}


async def _leased(turn: Turn, work: Coroutine[Any, Any, list[Message]]) -> list[Message]:
    """Run `work` while renewing the lease; LeaseLost (and `work` cancelled) if it is lost."""
    task = asyncio.create_task(work)
    beat = asyncio.create_task(_keep_lease(turn))
    try:
        await asyncio.wait({task, beat}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        beat.result()  # raises why the lease ended
        raise LeaseLost(f"session {turn.session_id}: lease ended")
    finally:
        beat.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def _keep_lease(turn: Turn) -> None:
    """Renew every third of the lease; returns only by raising LeaseLost."""
    while True:
        await asyncio.sleep(turn.state.settings.session_lease_s / 3)
        try:
            renewed = await to_thread.run_sync(turn.renew)
        except DatabaseError as exc:
            log.warning("session %s: lease not renewed: %s", turn.session_id, exc)
            if time.time() < turn.lease:
                continue  # try again while the lease still holds
            renewed = None
        if renewed is None:
            raise LeaseLost(
                f"session {turn.session_id} was taken over by another server while this turn "
                "ran; its answer was not kept: send the message again"
            )


def _on_users_behalf(exc: Exception) -> bool:
    """A model or budget stop spent on the user's behalf; a service failure did not."""
    return isinstance(exc, ArchitectError) and not isinstance(exc, DatabaseError | LeaseLost)


def _failure(exc: Exception) -> Final:
    if isinstance(exc, ArchitectError):
        return "error", error_body(exc)
    log.error("chat turn failed", exc_info=exc)
    kind = "DatabaseError" if isinstance(exc, psycopg.Error | sqlite3.Error) else "InternalError"
    message = (
        f"the service failed this turn ({type(exc).__name__}); it was not counted: send it again"
    )
    return "error", {"type": kind, "message": message}


async def _settle(turn: Turn, started: float, *, completed: bool, billable: bool) -> None:
    """Count the turn and its spend and release the session; a failure here is only logged
    (the lease then runs out by itself)."""
    usage = turn.responder.usage
    spent = TurnUsage()
    if billable:
        spent = TurnUsage(
            tokens=usage.total_tokens, input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens, cost_usd=usage.cost_usd,
            seconds=time.monotonic() - started,
        )  # fmt: skip
    try:
        await to_thread.run_sync(turn.finish, spent, completed)
    except ArchitectError as exc:
        log.error("session %s: turn not recorded: %s", turn.session_id, exc)
    close = getattr(getattr(turn.responder, "model", None), "aclose", None)
    if close is not None:
        await close()
