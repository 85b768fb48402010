"""ModelClient against respx at the Anthropic HTTP boundary: real SDK, real request bodies."""

from __future__ import annotations

import asyncio
import gc
import json
import weakref
from typing import Any

import anthropic
import httpx
import httpx2
import pytest
from llm_respx import API, MODEL_ID, RecordingSleep, error, message, mock_anthropic, stream, usage
from pydantic import BaseModel, ConfigDict, Field

from agent.config import Settings
from agent.llm import (
    ClientConfig,
    ModelCallFailed,
    ModelClient,
    ModelRequest,
    Reply,
    RetryEvent,
    RetryPolicy,
    TextDelta,
    UsageEvent,
)
from agent.llm.events import LoopEvent
from agent.llm.models import PRICES
from agent.llm.retry import describe, is_transient
from tools.registry import Tool, ToolContext

pytestmark = pytest.mark.timeout(30)

PERSONA = "You are a careful PostgreSQL architect."
FAST = RetryPolicy(max_attempts=4, base_wait_s=0.01, max_wait_s=0.05, retry_after_cap_s=5.0)


class TableName(BaseModel):
    model_config = ConfigDict(extra="forbid")
    table: str = Field(description="table to describe")


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sql: str
    limit: int = 10


def _noop(args: Any, ctx: ToolContext) -> str:
    return "ok"


TOOLS = [
    Tool("describe_table", "Describe a table.", TableName, _noop).schema(),
    Tool("run_query", "Run a read-only query.", Query, _noop).schema(),
]


def _client(sleep: RecordingSleep | None = None, **kw: Any) -> ModelClient:
    kw.setdefault("stream", False)
    config = ClientConfig(api_key="test-key", retry=FAST, **kw)
    return ModelClient(config, sleep=sleep or RecordingSleep())


def _request(**kw: Any) -> ModelRequest:
    messages = [{"role": "user", "content": "Design a schema for a task tracker."}]
    return ModelRequest(messages=messages, system=PERSONA, tools=TOOLS, max_tokens=1024, **kw)


def _call(client: ModelClient, request: ModelRequest, events: list[LoopEvent] | None = None) -> Any:
    async def go() -> Any:
        async with client:
            return await client.complete(request, events.append if events is not None else None)

    return asyncio.run(go())


def _body(route: Any, index: int = -1) -> dict[str, Any]:
    return json.loads(route.calls[index].request.content)


def test_request_body_has_model_id_cached_persona_tools_and_history() -> None:
    with mock_anthropic() as api:
        route = api.post("/v1/messages").mock(return_value=message(Reply.text("Here is a plan.")))
        response = _call(_client(), _request())
    body = _body(route)
    assert body["model"] == MODEL_ID == "claude-sonnet-5-5"
    assert body["max_tokens"] == 1024
    assert body["system"] == [
        {"type": "text", "text": PERSONA, "cache_control": {"type": "ephemeral"}}
    ]
    assert [t["name"] for t in body["tools"]] == ["describe_table", "run_query"]
    assert "cache_control" not in body["tools"][0]
    assert body["tools"][1]["cache_control"] == {"type": "ephemeral"}
    assert body["tools"][1]["input_schema"]["required"] == ["sql"]
    assert body["tools"][0]["input_schema"]["properties"]["table"]["description"]
    last = body["messages"][-1]["content"][-1]
    assert last["cache_control"] == {"type": "ephemeral"}
    assert "stream" not in body
    headers = route.calls[0].request.headers
    # anthropic 2.x sends the key as a bearer token; older SDKs used x-api-key.
    sent_key = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
    assert sent_key == "test-key"
    assert headers["x-stainless-retry-count"] == "0"
    assert response.text == "Here is a plan."
    assert response.stop_reason == "end_turn"


def test_caller_history_is_not_mutated_by_cache_marks() -> None:
    request = _request()
    before = json.dumps(request.messages)
    with mock_anthropic() as api:
        api.post("/v1/messages").mock(return_value=message(Reply.text("x")))
        _call(_client(), request)
    assert json.dumps(request.messages) == before


def test_usage_and_cost_per_call_and_per_client() -> None:
    counts = usage(inp=1000, out=500, write=2000, read=10_000)
    with mock_anthropic() as api:
        api.post("/v1/messages").mock(return_value=message(Reply.text("x"), counts))
        client = _client()
        events: list[LoopEvent] = []

        async def twice() -> tuple[Any, Any]:
            async with client:
                one = await client.complete(_request(), events.append)
                return one, await client.complete(_request())

        first, second = asyncio.run(twice())
    price = PRICES["claude-sonnet-5-5"]
    expected = (1000 * 2.0 + 500 * 10.0 + 2000 * 2.5 + 10_000 * 0.2) / 1e6
    assert price.input == 2.0
    assert first.usage.cost_usd == pytest.approx(expected)
    assert first.usage.total_tokens == 13_500
    assert client.ledger.total.calls == 2
    assert client.ledger.total.cost_usd == pytest.approx(2 * expected)
    assert second.usage == first.usage
    usage_events = [e for e in events if isinstance(e, UsageEvent)]
    assert usage_events[0].call == first.usage


def test_429_waits_as_long_as_retry_after_says() -> None:
    sleep = RecordingSleep()
    events: list[LoopEvent] = []
    with mock_anthropic() as api:
        route = api.post("/v1/messages").mock(
            side_effect=[error(429, **{"retry-after": "1"}), message(Reply.text("done"))]
        )
        response = _call(_client(sleep), _request(), events)
    assert sleep.waits == [1.0]
    assert route.call_count == 2
    assert response.attempts == 2
    retry = [e for e in events if isinstance(e, RetryEvent)]
    assert retry == [RetryEvent(1, 1.0, "429 rate_limit_error")]


def test_retry_after_ms_is_preferred_and_long_waits_are_capped() -> None:
    sleep = RecordingSleep()
    with mock_anthropic() as api:
        api.post("/v1/messages").mock(
            side_effect=[
                error(429, **{"retry-after-ms": "250", "retry-after": "9"}),
                error(429, **{"retry-after": "3600"}),
                message(Reply.text("done")),
            ]
        )
        _call(_client(sleep), _request())
    assert sleep.waits == [0.25, FAST.retry_after_cap_s]


@pytest.mark.parametrize("status", [529, 500, 502, 503, 408])
def test_overloaded_and_server_errors_are_retried(status: int) -> None:
    sleep = RecordingSleep()
    with mock_anthropic() as api:
        route = api.post("/v1/messages").mock(
            side_effect=[error(status), error(status), message(Reply.text("recovered"))]
        )
        response = _call(_client(sleep), _request())
    assert response.text == "recovered"
    assert route.call_count == 3
    assert len(sleep.waits) == 2
    assert all(0 <= w <= FAST.max_wait_s + FAST.base_wait_s for w in sleep.waits)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_input_errors_are_never_retried(status: int) -> None:
    sleep = RecordingSleep()
    with mock_anthropic() as api:
        route = api.post("/v1/messages").mock(return_value=error(status))
        with pytest.raises(ModelCallFailed) as caught:
            _call(_client(sleep), _request())
    assert route.call_count == 1
    assert sleep.waits == []
    assert caught.value.status == status
    assert caught.value.request_id == f"req_{status}"
    assert caught.value.attempts == 1
    assert f"scripted {status}" in str(caught.value)


def test_exhausted_retries_raise_model_error_with_status_and_request_id() -> None:
    sleep = RecordingSleep()
    with mock_anthropic() as api:
        route = api.post("/v1/messages").mock(return_value=error(529))
        with pytest.raises(ModelCallFailed) as caught:
            _call(_client(sleep), _request())
    assert route.call_count == FAST.max_attempts
    assert len(sleep.waits) == FAST.max_attempts - 1
    err = caught.value
    assert (err.status, err.request_id, err.attempts) == (529, "req_529", 4)
    assert "overloaded_error" in str(err)
    assert err.to_dict()["status"] == 529


@pytest.mark.parametrize("timeout", [httpx.ConnectTimeout, httpx.ReadTimeout, httpx.ConnectError])
def test_connection_failures_are_retried(timeout: type[Exception]) -> None:
    sleep = RecordingSleep()
    with mock_anthropic() as api:
        route = api.post("/v1/messages").mock(side_effect=[timeout, message(Reply.text("ok"))])
        response = _call(_client(sleep), _request())
    assert route.call_count == 2
    assert response.text == "ok"
    assert len(sleep.waits) == 1


def test_a_closed_client_fails_at_once_instead_of_retrying() -> None:
    sleep = RecordingSleep()
    client = _client(sleep)

    async def after_close() -> None:
        await client.aclose()
        await client.complete(_request())

    with mock_anthropic(), pytest.raises(ModelCallFailed) as caught:
        asyncio.run(after_close())
    assert caught.value.attempts == 1
    assert sleep.waits == []


def test_timeouts_until_the_last_attempt_raise_model_error() -> None:
    with mock_anthropic() as api:
        api.post("/v1/messages").mock(side_effect=httpx.ReadTimeout)
        with pytest.raises(ModelCallFailed, match="timed out") as caught:
            _call(_client(), _request())
    assert caught.value.status is None
    assert caught.value.attempts == FAST.max_attempts


def test_streaming_assembles_text_tool_input_and_usage() -> None:
    reply = Reply.tool(
        ("run_query", {"sql": "SELECT id, title FROM tasks WHERE project_id = $1", "limit": 5}),
        text="Checking the plan of the hottest query first.",
    )
    events: list[LoopEvent] = []
    with mock_anthropic() as api:
        route = api.post("/v1/messages").mock(return_value=stream(reply, usage(300, 77, 0, 900)))
        response = _call(_client(stream=True), _request(), events)
    assert _body(route)["stream"] is True
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1
    assert "".join(deltas) == "Checking the plan of the hottest query first."
    assert response.tool_calls[0].input == reply.content[1]["input"]
    assert response.content[1]["input"] == reply.content[1]["input"]
    assert response.stop_reason == "tool_use"
    assert response.usage.input_tokens == 300
    assert response.usage.output_tokens == 77
    assert response.usage.cache_read_input_tokens == 900


def test_streamed_malformed_tool_json_is_kept_as_text_not_raised() -> None:
    reply = Reply.tool(("run_query", '{"sql": "SELECT 1", limit: }'))
    with mock_anthropic() as api:
        api.post("/v1/messages").mock(return_value=stream(reply))
        response = _call(_client(stream=True), _request())
    (call,) = response.tool_calls
    assert call.input == '{"sql": "SELECT 1", limit: }'
    assert not call.truncated
    assert response.content[0]["input"] == {}  # history stays valid for the API


def test_stream_error_event_overloaded_is_retried() -> None:
    broken = (
        'event: message_start\ndata: {"type": "message_start", "message": {"id": "m", '
        '"type": "message", "role": "assistant", "model": "x", "content": [], '
        '"stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 5, '
        '"output_tokens": 1}}}\n\n'
        'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", '
        '"message": "Overloaded"}}\n\n'
    )
    sse = {"content-type": "text/event-stream"}
    sleep = RecordingSleep()
    with mock_anthropic() as api:
        route = api.post("/v1/messages").mock(
            side_effect=[httpx.Response(200, text=broken, headers=sse), stream(Reply.text("ok"))]
        )
        response = _call(_client(sleep, stream=True), _request())
    assert route.call_count == 2
    assert response.text == "ok"
    assert len(sleep.waits) == 1


def _sse(*events: dict[str, Any]) -> httpx.Response:
    text = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    return httpx.Response(
        200, text=text, headers={"content-type": "text/event-stream", "request-id": "req_wire"}
    )


def test_streamed_blocks_are_the_wire_objects_thinking_signature_and_unknown_fields_kept() -> None:
    counts = {"input_tokens": 40, "output_tokens": 1, "service_tier": "standard"}
    start = {"id": "msg_1", "type": "message", "role": "assistant", "model": MODEL_ID,
             "content": [], "stop_reason": None, "stop_sequence": None,
             "usage": counts}  # fmt: skip
    events = (
        {"type": "message_start", "message": start},
        {"type": "ping"},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "thinking_delta", "thinking": "Orders are read by customer."}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "signature_delta", "signature": "sig-1"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "text", "text": "", "future_field": {"kept": True}}},
        {"type": "content_block_delta", "index": 1,
         "delta": {"type": "text_delta", "text": "Index (customer_id)."}},
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": 9}},
        {"type": "message_stop"},
    )  # fmt: skip
    with mock_anthropic() as api:
        api.post("/v1/messages").mock(return_value=_sse(*events))
        response = _call(_client(stream=True), _request())
    assert response.content == [
        {"type": "thinking", "thinking": "Orders are read by customer.", "signature": "sig-1"},
        {"type": "text", "text": "Index (customer_id).", "future_field": {"kept": True}},
    ]
    assert response.stop_reason == "end_turn"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (40, 9)
    assert response.request_id == "req_wire"


def test_a_finished_call_leaves_the_event_sink_to_reference_counting() -> None:
    """Tenacity's retrying object and its call state form a cycle only a full collection
    frees; the caller's sink (in the service: the whole chat turn) must not hang on it."""

    class Sink:
        def __call__(self, event: LoopEvent) -> None:
            del event

    sink = Sink()
    held = weakref.ref(sink)

    async def go(on_event: Sink) -> None:
        async with _client(stream=True) as client:
            await client.complete(_request(), on_event)

    gc.disable()
    try:
        with mock_anthropic() as api:
            api.post("/v1/messages").mock(return_value=stream(Reply.text("ok")))
            asyncio.run(go(sink))
        del sink
        assert held() is None
    finally:
        gc.enable()


def test_base_url_points_the_sdk_at_a_compatible_endpoint() -> None:
    base = "https://llm.internal.example"
    with mock_anthropic(base) as api:
        route = api.post("/v1/messages").mock(return_value=message(Reply.text("hi")))
        _call(_client(base_url=base, model="claude-opus-4-6"), _request())
    assert str(route.calls[0].request.url) == f"{base}/v1/messages"
    assert _body(route)["model"] == "claude-opus-4-6"


def test_config_from_settings_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", API)
    monkeypatch.setenv("DBARCH_MODEL", "haiku")
    monkeypatch.setenv("DBARCH_MODEL_MAX_ATTEMPTS", "7")
    monkeypatch.setenv("DBARCH_MODEL_TIMEOUT_S", "12.5")
    config = ClientConfig.from_settings(Settings())
    assert (config.model, config.base_url, config.timeout_s) == ("haiku", API, 12.5)
    assert config.retry.max_attempts == 7
    assert ModelClient(config).model_id == "claude-haiku-4-5"


def test_a_timeout_has_one_reason_whichever_layer_raised_it() -> None:
    """anthropic 2.17 began wrapping stream-read timeouts; the reason users see must not move."""
    request = httpx2.Request("POST", API)
    raw = httpx2.ReadTimeout("read timed out", request=request)
    wrapped = anthropic.APITimeoutError(request=request)
    assert describe(raw) == describe(wrapped) == "timeout"
    assert is_transient(raw) and is_transient(wrapped)
    assert describe(httpx2.ConnectError("refused", request=request)) == "ConnectError"
