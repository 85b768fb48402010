"""The Claude client: one `complete()` over the official SDK, with retries, caching and costs.

The SDK's own retries are off (`max_retries=0`); tenacity around the call is the single retry
layer, so waits honour `retry-after` and every retry is visible as an event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

import anthropic
import httpx2
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from agent.config import Settings
from agent.llm.cache import cached_messages, cached_tools, system_blocks
from agent.llm.errors import ModelCallFailed
from agent.llm.events import EventSink, RetryEvent, UsageEvent, emit
from agent.llm.messages import ModelRequest, ModelResponse, settle_tool_calls
from agent.llm.models import ModelInfo, Pricing, resolve_model
from agent.llm.retry import RetryAfterWait, RetryPolicy, describe, is_timeout, is_transient
from agent.llm.stream import StreamAssembler, drop_none
from agent.llm.usage import CallRecord, Usage, UsageLedger

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
# A compatible endpoint may need no key; the SDK still wants one to build its headers.
_NO_KEY = "no-key-configured"


@dataclass(frozen=True)
class ClientConfig:
    model: str = "sonnet"
    api_key: str | None = None
    base_url: str | None = None
    timeout_s: float = 120.0
    connect_timeout_s: float = 10.0
    stream: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    pricing: Pricing | None = None

    @classmethod
    def from_settings(cls, settings: Settings, model: str | None = None) -> ClientConfig:
        policy = RetryPolicy(
            max_attempts=settings.model_max_attempts,
            base_wait_s=settings.model_retry_base_s,
            max_wait_s=settings.model_retry_max_wait_s,
            retry_after_cap_s=settings.model_retry_after_cap_s,
        )
        return cls(
            model=model or settings.model,
            api_key=settings.anthropic_api_key,
            base_url=settings.anthropic_base_url,
            timeout_s=settings.model_timeout_s,
            connect_timeout_s=settings.model_connect_timeout_s,
            stream=settings.model_stream,
            retry=policy,
        )


def make_sdk(
    config: ClientConfig, http_client: httpx2.AsyncClient | None = None
) -> anthropic.AsyncAnthropic:
    """The SDK client, its own retries off (tenacity is the one retry layer). Its HTTP client
    and TLS context cost milliseconds, so a server builds one per process and shares it
    (`ModelClient(config, sdk=...)`)."""
    return anthropic.AsyncAnthropic(
        api_key=config.api_key or _NO_KEY,
        base_url=config.base_url,
        max_retries=0,
        timeout=anthropic.Timeout(config.timeout_s, connect=config.connect_timeout_s),
        http_client=http_client,
    )


class ModelClient:
    """Async Messages API client; `ledger` accumulates this client's usage and cost.

    Given an `sdk`, the client borrows it (and leaves it open on `aclose`); otherwise it
    builds and owns its own.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        sleep: Sleep = asyncio.sleep,
        http_client: httpx2.AsyncClient | None = None,
        sdk: anthropic.AsyncAnthropic | None = None,
    ) -> None:
        self.config = config
        self.info: ModelInfo = resolve_model(config.model, config.pricing)
        self.ledger = UsageLedger()
        self._sleep = sleep
        self._owns_sdk = sdk is None
        self._sdk = sdk if sdk is not None else make_sdk(config, http_client)

    @property
    def model_id(self) -> str:
        return self.info.id

    async def __aenter__(self) -> ModelClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_sdk:
            await self._sdk.close()

    async def complete(
        self, request: ModelRequest, on_event: EventSink | None = None
    ) -> ModelResponse:
        """One model turn, retried on transient failures; raises `ModelCallFailed` otherwise."""
        policy = self.config.retry
        announce = _RetryAnnouncer(on_event)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.max_attempts),
            wait=RetryAfterWait(policy),
            retry=retry_if_exception(is_transient),
            sleep=self._sleep,
            before_sleep=announce,
            reraise=True,
        )
        attempt_no = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempt_no = attempt.retry_state.attempt_number
                    response = await self._attempt(request, on_event)
        except (anthropic.APIError, httpx2.TransportError) as exc:
            raise _failure(exc, attempt_no) from exc
        finally:
            announce.release()
        response.attempts = attempt_no
        record = CallRecord(response.model, response.usage, response.request_id, attempt_no)
        emit(on_event, UsageEvent(response.usage, self.ledger.add(record)))
        return response

    def _kwargs(self, request: ModelRequest) -> dict[str, Any]:
        return request_params(self.model_id, request)

    async def _attempt(self, request: ModelRequest, on_event: EventSink | None) -> ModelResponse:
        stream = self.config.stream if request.stream is None else request.stream
        if stream:
            return await self._streamed(request, on_event)
        return await self._whole(request)

    async def _whole(self, request: ModelRequest) -> ModelResponse:
        message = await self._sdk.messages.create(**self._kwargs(request))
        return response_from_message(message, self.info.pricing, message._request_id)

    async def _streamed(self, request: ModelRequest, on_event: EventSink | None) -> ModelResponse:
        """A streamed reply, its events read as the wire's JSON objects.

        `messages.create(stream=True)` builds a typed model of every event (about 20 us each,
        dozens a reply) that the assembler only turned back into dicts; the same request
        through the SDK's generic `post` keeps everything else of the SDK's stream (its SSE
        decoding, `error` events raised as typed errors, read failures as connection errors)
        and hands each event over as parsed.
        """
        assembler = StreamAssembler(on_event)
        body = {**self._kwargs(request), "stream": True}
        events = await self._sdk.post(
            "/v1/messages", cast_to=object, body=body, stream=True, stream_cls=WireEvents
        )
        async with events:
            async for event in events:
                assembler.feed(event)
        calls = assembler.finish()
        usage = Usage.priced(self.info.pricing, assembler.usage)
        message = assembler.message
        return ModelResponse(
            str(message.get("id", "")), str(message.get("model", self.model_id)),
            assembler.content, assembler.stop_reason, usage, calls,
            events.response.headers.get("request-id"),
        )  # fmt: skip


class WireEvents(anthropic.AsyncStream[object]):
    """A Messages API event stream whose events stay the JSON objects the server sent."""


def request_params(model_id: str, request: ModelRequest) -> dict[str, Any]:
    """The Messages API parameters of one request (also a batch request's `params`)."""
    params: dict[str, Any] = {
        "model": model_id,
        "max_tokens": request.max_tokens,
        "messages": cached_messages(request.messages),
    }
    if request.system:
        params["system"] = system_blocks(request.system)
    if request.tools:
        params["tools"] = cached_tools(request.tools)
    if request.tool_choice is not None:
        params["tool_choice"] = request.tool_choice
    if request.temperature is not None:
        params["temperature"] = request.temperature
    return params


def response_from_message(
    message: anthropic.types.Message,
    pricing: Pricing,
    request_id: str | None = None,
    price_factor: float = 1.0,
) -> ModelResponse:
    """A complete Message (a reply, or a batch's result) as the loop's response; its cost
    times `price_factor` (Message Batches are billed at half price)."""
    content = [drop_none(block.to_dict(warnings=False)) for block in message.content]
    calls = settle_tool_calls(content, message.stop_reason)
    usage = Usage.priced(pricing, message.usage.to_dict(warnings=False))
    if price_factor != 1.0:
        usage = replace(usage, cost_usd=usage.cost_usd * price_factor)
    return ModelResponse(
        message.id, message.model, content, message.stop_reason, usage, calls, request_id
    )


class _RetryAnnouncer:
    """Tenacity's `before_sleep`: logs each retry and emits it as a `RetryEvent`.

    Tenacity's retrying object and its call state refer to each other: a cycle that only a
    full garbage collection frees. Holding the caller's event sink in it kept the whole chat
    turn (responder, toolset, stream queue) alive that long, for every model call; `release`
    lets go of the sink once the call is over.
    """

    def __init__(self, on_event: EventSink | None) -> None:
        self.on_event = on_event

    def __call__(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        reason = describe(exc) if exc else "unknown"
        log.warning("model call attempt %d failed (%s); retrying in %.2fs",
                    state.attempt_number, reason, wait)  # fmt: skip
        emit(self.on_event, RetryEvent(state.attempt_number, float(wait), reason))

    def release(self) -> None:
        self.on_event = None


def _failure(exc: anthropic.APIError | httpx2.TransportError, attempts: int) -> ModelCallFailed:
    if isinstance(exc, anthropic.APIStatusError):
        detail = exc.api_message or exc.message
        return ModelCallFailed(
            f"model call failed: {describe(exc)}: {detail}",
            status=exc.status_code,
            request_id=exc.request_id,
            attempts=attempts,
        )
    what = "timed out" if is_timeout(exc) else describe(exc)
    return ModelCallFailed(f"model call failed: {what}", attempts=attempts)
