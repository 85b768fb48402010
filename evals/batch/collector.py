"""Collect the model calls of concurrently running cases into Message Batches, one per wave.

Each case's brain gets a `BatchedModel` (a `ChatModel`): its `complete` parks the request
and waits. When every case still running has a call parked, the wave is sent: calls the
journal already holds are answered from their stored batch, the rest go out as one new
batch, which is polled with growing waits until it ends. Each call's result returns to its
case; a transient error, an expired or a canceled request is sent again in the next wave.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anthropic
import httpx2
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from agent.llm.client import request_params, response_from_message
from agent.llm.errors import ModelCallFailed
from agent.llm.events import EventSink, UsageEvent, emit
from agent.llm.messages import ModelRequest, ModelResponse
from agent.llm.models import BATCH_PRICE_FACTOR, ModelInfo
from agent.llm.retry import TRANSIENT_STREAM_ERRORS, RetryAfterWait, RetryPolicy, is_transient
from agent.llm.usage import Usage
from evals.batch.journal import Journal, digest

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_RESENDS = 3


@dataclass(frozen=True)
class Polling:
    """Waits between status checks of a batch: `first`, doubling up to `longest` seconds."""

    first: float = 5.0
    longest: float = 60.0


@dataclass
class _Call:
    case: str
    custom_id: str
    params: dict[str, Any]
    digest: str
    future: asyncio.Future[ModelResponse]
    resends: int = 0


@dataclass
class BatchStats:
    batches: list[str] = field(default_factory=list)  # created by this process
    sent: int = 0  # calls sent in those batches
    reused: int = 0  # calls answered from batches a killed process had created
    resent: int = 0  # calls sent again (transient error, expired, canceled)
    waves: int = 0


class BatchCollector:
    def __init__(
        self,
        sdk: anthropic.AsyncAnthropic,
        info: ModelInfo,
        journal: Journal,
        polling: Polling = Polling(),
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        self.sdk, self.info, self.journal = sdk, info, journal
        self.polling, self.retry = polling, retry
        self.stats = BatchStats()
        self._live: set[str] = set()
        self._pending: dict[str, _Call] = {}
        self._counts: dict[str, int] = {}
        self._totals: dict[str, Usage] = {}
        self._fetched: dict[str, dict[str, Any]] = {}  # batch id -> custom_id -> result
        self._sending: asyncio.Task[None] | None = None

    def model_for(self, case: str) -> BatchedModel:
        return BatchedModel(self, case)

    def open(self, case: str) -> None:
        """A case that will call the model: waves wait for it until it is closed."""
        self._live.add(case)

    def close(self, case: str) -> None:
        self._live.discard(case)
        self._maybe_send()

    async def complete(
        self, case: str, request: ModelRequest, on_event: EventSink | None
    ) -> ModelResponse:
        count = self._counts[case] = self._counts.get(case, 0) + 1
        params = request_params(self.info.id, request)
        future: asyncio.Future[ModelResponse] = asyncio.get_running_loop().create_future()
        call = _Call(case, f"{case}-{count:04d}", params, digest(params), future)
        self._pending[call.custom_id] = call
        self._maybe_send()
        response = await future
        total = self._totals[case] = self._totals.get(case, Usage()) + response.usage
        emit(on_event, UsageEvent(response.usage, total))
        return response

    def _maybe_send(self) -> None:
        waiting = {call.case for call in self._pending.values()}
        if not self._pending or self._sending is not None or not waiting >= self._live:
            return
        wave, self._pending = list(self._pending.values()), {}
        self._sending = asyncio.create_task(self._send(wave))
        self._sending.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending = None
        self._maybe_send()  # calls parked or re-queued while this wave was out

    async def _send(self, wave: list[_Call]) -> None:
        self.stats.waves += 1
        try:
            results = await self._results(wave)
        except (anthropic.APIError, httpx2.TransportError, ModelCallFailed) as exc:
            failure = exc if isinstance(exc, ModelCallFailed) else ModelCallFailed(str(exc))
            for call in wave:
                call.future.set_exception(failure)
            return
        for call in wave:
            self._settle(call, results.get(call.custom_id))

    def _settle(self, call: _Call, result: Any) -> None:
        kind = getattr(result, "type", "missing")
        if kind == "succeeded":
            response = response_from_message(
                result.message, self.info.pricing, price_factor=BATCH_PRICE_FACTOR
            )
            call.future.set_result(response)
            return
        error = getattr(getattr(result, "error", None), "error", None)
        error_type = getattr(error, "type", kind)
        if (kind in ("expired", "canceled") or error_type in TRANSIENT_STREAM_ERRORS) and (
            call.resends < MAX_RESENDS
        ):
            call.resends += 1
            self.stats.resent += 1
            self.journal.calls.pop(call.custom_id, None)  # not that batch's answer any more
            self._pending[call.custom_id] = call
            return
        message = getattr(error, "message", None) or f"batch result {kind}"
        call.future.set_exception(ModelCallFailed(f"batched call {call.custom_id}: {message}"))

    async def _results(self, wave: list[_Call]) -> dict[str, Any]:
        stored = {c.custom_id: b for c in wave if (b := self.journal.stored(c.custom_id, c.digest))}
        fresh = [c for c in wave if c.custom_id not in stored]
        self.stats.reused += len(stored)
        wanted = set(stored.values())
        if fresh:
            requests: list[Any] = [{"custom_id": c.custom_id, "params": c.params} for c in fresh]
            batch = await self._call(lambda: self.sdk.messages.batches.create(requests=requests))
            self.journal.add(batch.id, {c.custom_id: c.digest for c in fresh})
            self.stats.batches.append(batch.id)
            self.stats.sent += len(fresh)
            wanted.add(batch.id)
        found: dict[str, Any] = {}
        for batch_id in sorted(wanted):
            found |= await self._fetch(batch_id)
        return found

    async def _fetch(self, batch_id: str) -> dict[str, Any]:
        if batch_id not in self._fetched:
            await self._until_ended(batch_id)
            lines = await self._call(lambda: self.sdk.messages.batches.results(batch_id))
            self._fetched[batch_id] = {line.custom_id: line.result async for line in lines}
        return self._fetched[batch_id]

    async def _until_ended(self, batch_id: str) -> None:
        wait = self.polling.first
        while True:
            batch = await self._call(lambda: self.sdk.messages.batches.retrieve(batch_id))
            if batch.processing_status == "ended":
                return
            log.info(
                "batch %s %s; checking again in %.1fs", batch_id, batch.processing_status, wait
            )
            await asyncio.sleep(wait)
            wait = min(wait * 2, self.polling.longest)

    async def _call(self, make: Callable[[], Awaitable[T]]) -> T:
        """One Batches API call, retried on transient failures like every model call."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.max_attempts),
            wait=RetryAfterWait(self.retry),
            retry=retry_if_exception(is_transient),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await make()
        raise AssertionError("unreachable: tenacity re-raises the last failure")


@dataclass
class BatchedModel:
    """A case's `ChatModel`: every call goes through the collector's waves."""

    collector: BatchCollector
    case: str

    @property
    def model_id(self) -> str:
        return self.collector.info.id

    async def complete(
        self, request: ModelRequest, on_event: EventSink | None = None
    ) -> ModelResponse:
        return await self.collector.complete(self.case, request, on_event)
