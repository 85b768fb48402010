"""End to end: the real client (SDK, httpx2, sockets) against the scripted server on loopback."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, REPO
from pydantic import BaseModel, ConfigDict

from agent.llm import (
    Budget,
    ClientConfig,
    LoopOptions,
    LoopResult,
    ModelCallFailed,
    ModelClient,
    ModelRequest,
    Reply,
    RetryEvent,
    RetryPolicy,
    TextDelta,
    run_tool_loop,
)
from agent.llm.events import LoopEvent
from agent.llm.scripted.server import ScriptedAnthropicServer
from tools.errors import InputError
from tools.registry import Tool, ToolContext, Toolset

pytestmark = pytest.mark.timeout(60)

ASK = [{"role": "user", "content": "Which indexes does the open-tasks query need?"}]
QUICK = RetryPolicy(max_attempts=3, base_wait_s=0.01, max_wait_s=0.05, retry_after_cap_s=5)


class TableArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    table: str


def _count(args: TableArgs, ctx: ToolContext) -> str:
    return f"{args.table}: {len(args.table) * 1000} rows"


def _toolset(tmp_path: Path) -> Toolset:
    return Toolset([Tool("count_rows", "Count rows.", TableArgs, _count)], ToolContext(tmp_path))


def _client(server: ScriptedAnthropicServer, streaming: bool, **kw: Any) -> ModelClient:
    kw.setdefault("retry", QUICK)
    config = ClientConfig(base_url=server.base_url, stream=streaming, **kw)
    return ModelClient(config)


def _loop(
    server: ScriptedAnthropicServer, tmp_path: Path, streaming: bool = True, **kw: Any
) -> tuple[LoopResult, list[LoopEvent]]:
    events: list[LoopEvent] = []

    async def go() -> LoopResult:
        async with _client(server, streaming, **kw) as client:
            toolset = _toolset(tmp_path)
            return await run_tool_loop(client, "persona", ASK, toolset, None, events.append)

    return asyncio.run(go()), events


@pytest.mark.parametrize("streaming", [True, False])
def test_tool_loop_over_real_http(tmp_path: Path, streaming: bool) -> None:
    script = [
        Reply.tool(("count_rows", {"table": "tasks"}), ("count_rows", {"table": "projects"})),
        Reply.text("Index tasks (project_id, created_at DESC)."),
    ]
    with ScriptedAnthropicServer(script) as server:
        result, events = _loop(server, tmp_path, streaming)
    assert result.text == "Index tasks (project_id, created_at DESC)."
    first, second = (x.body for x in server.exchanges)
    assert first.get("stream", False) is streaming
    assert first["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert first["tools"][0]["name"] == "count_rows"
    results = second["messages"][-1]["content"]
    assert [r["tool_use_id"] for r in results] == [b["id"] for b in script[0].content]
    assert [r["content"] for r in results] == ["tasks: 5000 rows", "projects: 8000 rows"]
    assert server.exchanges[0].headers["anthropic-version"]
    exchanged = sum(x.usage["input_tokens"] for x in server.exchanges if x.usage)
    assert result.usage.input_tokens == exchanged
    if streaming:
        assert "".join(e.text for e in events if isinstance(e, TextDelta)) == result.text


def test_429_then_success_honours_retry_after(tmp_path: Path) -> None:
    script = [Reply.error(429, {"retry-after": "1"}), Reply.text("after the wait")]
    with ScriptedAnthropicServer(script) as server:
        started = time.monotonic()
        result, _ = _loop(server, tmp_path)
        elapsed = time.monotonic() - started
    assert result.text == "after the wait"
    assert [x.status for x in server.exchanges] == [429, 200]
    assert 1.0 <= elapsed < 3.0


@pytest.mark.parametrize("status", [529, 500])
def test_overloaded_and_server_errors_are_retried(tmp_path: Path, status: int) -> None:
    script = [Reply.error(status), Reply.error(status), Reply.text("third time")]
    with ScriptedAnthropicServer(script) as server:
        result, _ = _loop(server, tmp_path)
    assert result.text == "third time"
    assert [x.status for x in server.exchanges] == [status, status, 200]


def test_read_timeout_is_retried_then_reported(tmp_path: Path) -> None:
    slow = Reply.text("too late", delay_s=3)
    with ScriptedAnthropicServer([slow, Reply.text("quick")]) as server:
        result, _ = _loop(server, tmp_path, timeout_s=0.3)
    assert result.text == "quick"

    with ScriptedAnthropicServer([slow, slow]) as server:
        started = time.monotonic()
        with pytest.raises(ModelCallFailed, match="timed out") as caught:
            _loop(server, tmp_path, timeout_s=0.3, retry=RetryPolicy(2, 0.01, 0.02))
        elapsed = time.monotonic() - started
    assert caught.value.attempts == 2
    assert elapsed < 2.0


def test_a_stream_that_stalls_mid_way_is_retried(tmp_path: Path) -> None:
    stalled = Reply.text("never finished", stall_s=3)
    with ScriptedAnthropicServer([stalled, Reply.text("whole")]) as server:
        result, events = _loop(server, tmp_path, timeout_s=0.3)
    assert result.text == "whole"
    # Raised by httpx2 while the body streams; anthropic >= 2.17 wraps it as APITimeoutError,
    # older releases did not. Either way it is transient and reported as a timeout.
    assert isinstance(events[0], RetryEvent) and events[0].reason == "timeout"
    assert len(server.exchanges) == 2


def test_malformed_streamed_tool_input_is_an_error_result_and_the_model_recovers(
    tmp_path: Path,
) -> None:
    script = [
        Reply.tool(("count_rows", '{"table": tasks')),
        Reply.tool(("count_rows", {"table": "tasks"})),
        Reply.text("recovered"),
    ]
    with ScriptedAnthropicServer(script) as server:
        result, _ = _loop(server, tmp_path)
    feedback = server.exchanges[1].body["messages"][-1]["content"][0]
    assert feedback["is_error"] is True and "not valid JSON" in feedback["content"]
    assert server.exchanges[1].body["messages"][1]["content"][0]["input"] == {}
    assert result.text == "recovered"


def test_max_tokens_is_continued_over_http(tmp_path: Path) -> None:
    script = [Reply.text("CREATE INDEX ON tasks ", stop_reason="max_tokens"), Reply.text("(x);")]
    with ScriptedAnthropicServer(script) as server:
        result, _ = _loop(server, tmp_path)
    assert result.text == "CREATE INDEX ON tasks (x);"
    assert server.exchanges[1].body["messages"][-2]["role"] == "assistant"


def _answer_by_conversation(body: dict[str, Any]) -> Reply:
    """Two tool rounds, then an answer naming the conversation (so replies cannot cross)."""
    tag = body["messages"][0]["content"]
    rounds = sum(1 for m in body["messages"] if m["role"] == "assistant")
    if rounds < 2:
        return Reply.tool(("count_rows", {"table": "tasks"}), ("count_rows", {"table": tag}))
    return Reply.text(f"done: {tag}")


def test_load_twenty_concurrent_loops_finish_and_usage_adds_up(tmp_path: Path) -> None:
    loops = 20

    async def one(client: ModelClient, i: int) -> LoopResult:
        ask = [{"role": "user", "content": f"conversation-{i}"}]
        budget = Budget(max_turns=5, max_seconds=20)
        return await run_tool_loop(client, "persona", ask, _toolset(tmp_path), budget)

    async def all_loops(server: ScriptedAnthropicServer) -> list[LoopResult]:
        async with _client(server, True) as client:
            results = await asyncio.gather(*(one(client, i) for i in range(loops)))
            summed = sum((r.usage for r in results[1:]), results[0].usage)
            total = client.ledger.total
            assert (total.input_tokens, total.output_tokens) == (
                summed.input_tokens,
                summed.output_tokens,
            )
            assert total.cost_usd == pytest.approx(summed.cost_usd)
            return results

    with ScriptedAnthropicServer(_answer_by_conversation) as server:
        started = time.monotonic()
        results = asyncio.run(all_loops(server))
        elapsed = time.monotonic() - started
    print(f"\n{loops} loops, {len(server.exchanges)} calls in {elapsed:.2f}s")
    assert elapsed < 15
    assert [r.text for r in results] == [f"done: conversation-{i}" for i in range(loops)]
    assert all(r.turns == 3 and r.tool_calls == 4 for r in results)
    assert len(server.exchanges) == 3 * loops
    sent = [x.usage for x in server.exchanges if x.usage]
    assert sum(r.usage.input_tokens for r in results) == sum(u["input_tokens"] for u in sent)
    assert sum(r.usage.output_tokens for r in results) == sum(u["output_tokens"] for u in sent)


def test_wall_time_budget_over_a_stalled_server(tmp_path: Path) -> None:
    async def go(server: ScriptedAnthropicServer) -> LoopResult:
        async with _client(server, True, timeout_s=30) as client:
            budget = Budget(max_seconds=0.5)
            return await run_tool_loop(client, "p", ASK, None, budget, None, LoopOptions())

    with ScriptedAnthropicServer([Reply.text("late", delay_s=10)]) as server:
        started = time.monotonic()
        with pytest.raises(Exception, match="seconds budget exhausted"):
            asyncio.run(go(server))
        assert time.monotonic() - started < 2


def test_server_refuses_non_loopback_and_answers_unknown_routes() -> None:
    with pytest.raises(InputError, match="loopback"):
        ScriptedAnthropicServer(host="0.0.0.0")
    with ScriptedAnthropicServer([]) as server:
        request = ModelRequest(messages=[{"role": "user", "content": "x"}])

        async def go() -> None:
            async with _client(server, False) as client:
                await client.complete(request)

        with pytest.raises(ModelCallFailed, match="no reply left") as caught:
            asyncio.run(go())
    assert caught.value.status == 400 and caught.value.attempts == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_fake_server_runs_from_the_command_line(tmp_path: Path) -> None:
    port = _free_port()
    script = FIXTURES / "llm" / "tool_loop.json"
    command = [sys.executable, "-m", "agent.llm.scripted.server", "--script", str(script)]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in banner

        async def go() -> LoopResult:
            config = ClientConfig(base_url=f"http://127.0.0.1:{port}", retry=QUICK)
            async with ModelClient(config) as client:
                return await run_tool_loop(client, "p", ASK, _toolset(tmp_path))

        result = asyncio.run(go())
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert result.text == "tasks holds 50M rows; index (project_id, created_at DESC)."
    assert result.turns == 4
    assert result.usage.cache_read_input_tokens == 2700
