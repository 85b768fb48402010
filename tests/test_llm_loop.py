"""The tool-use loop driving the real client through respx: tools, errors, cut-offs, budgets."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from llm_respx import RecordingSleep, message, mock_anthropic, stream, usage
from pydantic import BaseModel, ConfigDict, Field

from agent.llm import (
    Budget,
    ClientConfig,
    LoopBudgetExceeded,
    LoopOptions,
    LoopResult,
    ModelClient,
    OutputTruncated,
    Reply,
    RetryPolicy,
    StructuredOutputError,
    ToolCallEvent,
    ToolResultEvent,
    run_tool_loop,
)
from agent.llm.events import LoopEvent
from agent.llm.loop import CONTINUE
from tools.errors import BudgetExceeded, ToolError
from tools.registry import Tool, ToolContext, Toolset

pytestmark = pytest.mark.timeout(30)

SYSTEM = "You are a database architect. Use the tools."
ASK = [{"role": "user", "content": "How big are the tasks and projects tables?"}]


class TableArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    table: str


class SqlArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sql: str = Field(min_length=1)


ROWS = {"tasks": 50_000_000, "projects": 200_000}


def count_rows(args: TableArgs, ctx: ToolContext) -> str:
    """Waits at a barrier when the test sets one: only concurrent calls get past it."""
    barrier = ctx.extra.get("barrier")
    if barrier is not None:
        barrier.wait()
    if args.table not in ROWS:
        raise ToolError(f"no table named {args.table}")
    return f"{args.table}: {ROWS[args.table]} rows"


def explain(args: SqlArgs, ctx: ToolContext) -> str:
    if "crash" in args.sql:
        raise RuntimeError("planner exploded")
    hold = ctx.extra.get("hold")
    if hold is not None:
        hold.wait(10)
    return "Index Scan using tasks_project_id_idx (cost=0.43..8.45)"


def _toolset(tmp_path: Path, **extra: Any) -> Toolset:
    tools = [
        Tool("count_rows", "Count a table's rows.", TableArgs, count_rows),
        Tool("explain", "EXPLAIN a query.", SqlArgs, explain),
    ]
    return Toolset(tools, ToolContext(workspace=tmp_path, extra=extra))


def _client(streaming: bool = False) -> ModelClient:
    policy = RetryPolicy(max_attempts=3, base_wait_s=0.01, max_wait_s=0.02)
    config = ClientConfig(api_key="k", model="opus", stream=streaming, retry=policy)
    return ModelClient(config, sleep=RecordingSleep())


def _run(
    replies: list[httpx.Response] | Any,
    toolset: Toolset | None,
    budget: Budget | None = None,
    options: LoopOptions | None = None,
    streaming: bool = False,
) -> tuple[LoopResult, Any, list[LoopEvent]]:
    events: list[LoopEvent] = []

    async def go() -> LoopResult:
        async with _client(streaming) as client:
            return await run_tool_loop(client, SYSTEM, ASK, toolset, budget, events.append, options)

    with mock_anthropic() as api:
        route = api.post("/v1/messages").mock(side_effect=replies)
        result = asyncio.run(go())
    return result, route, events


def _bodies(route: Any) -> list[dict[str, Any]]:
    return [json.loads(call.request.content) for call in route.calls]


def _results(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool_result blocks of the last (user) message of a request."""
    last = body["messages"][-1]
    assert last["role"] == "user"
    return [b for b in last["content"] if b["type"] == "tool_result"]


def _two_counts() -> Reply:
    return Reply.tool(("count_rows", {"table": "tasks"}), ("count_rows", {"table": "projects"}))


@pytest.mark.parametrize("streaming", [False, True])
def test_multi_step_loop_runs_one_turns_calls_concurrently(tmp_path: Path, streaming: bool) -> None:
    render = stream if streaming else message
    first = _two_counts()
    second = Reply.tool(("explain", {"sql": "SELECT * FROM tasks WHERE project_id = 1"}))
    replies = [
        render(first, usage(500, 40)),
        render(second, usage(600, 30)),
        render(Reply.text("tasks is large: index project_id."), usage(700, 20)),
    ]
    # A barrier of two only opens when both calls wait at once: sequential calls would time out.
    barrier = threading.Barrier(2, timeout=5)
    result, route, events = _run(replies, _toolset(tmp_path, barrier=barrier), streaming=streaming)

    assert result.text == "tasks is large: index project_id."
    assert (result.turns, result.tool_calls, result.stop_reason) == (3, 3, "end_turn")
    assert result.usage.input_tokens == 1800 and result.usage.output_tokens == 90
    assert result.usage.cost_usd == pytest.approx((1800 * 4.0 + 90 * 20.0) / 1e6)
    bodies = _bodies(route)
    assert [b["model"] for b in bodies] == ["claude-opus-5-5"] * 3
    ids = [b["id"] for b in first.content]
    second_results = _results(bodies[1])
    assert [r["tool_use_id"] for r in second_results] == ids
    assert [r["content"] for r in second_results] == [
        "tasks: 50000000 rows",
        "projects: 200000 rows",
    ]
    assert not any(r.get("is_error") for r in second_results)
    assert bodies[1]["messages"][1]["content"][0]["id"] == ids[0]  # the assistant turn, verbatim
    assert "Index Scan" in _results(bodies[2])[0]["content"]
    assert len(bodies[2]["messages"]) == 5
    kinds = [e.kind for e in events if isinstance(e, ToolCallEvent | ToolResultEvent)]
    assert kinds.count("tool_call") == 3 and kinds.count("tool_result") == 3


def test_concurrent_tool_calls_overlap_in_time(tmp_path: Path) -> None:
    spans: list[tuple[float, float]] = []

    def slow(args: TableArgs, ctx: ToolContext) -> str:
        start = time.monotonic()
        time.sleep(0.3)
        spans.append((start, time.monotonic()))
        return "done"

    toolset = Toolset([Tool("count_rows", "Count.", TableArgs, slow)], ToolContext(tmp_path))
    replies = [message(_two_counts()), message(Reply.text("ok"))]
    _run(replies, toolset)
    first, second = sorted(spans)
    assert second[0] < first[1]  # the second began before the first finished


def test_bad_json_and_schema_violations_come_back_as_errors_and_the_model_recovers(
    tmp_path: Path,
) -> None:
    bad = Reply.tool(("explain", '{"sql": SELECT 1}'), ("count_rows", {"table": 42}))
    fixed = Reply.tool(("explain", {"sql": "SELECT 1"}), ("count_rows", {"table": "tasks"}))
    replies = [message(bad), message(fixed), message(Reply.text("fixed it"))]
    result, route, _ = _run(replies, _toolset(tmp_path))
    assert result.text == "fixed it"
    errors = _results(_bodies(route)[1])
    assert [e.get("is_error") for e in errors] == [True, True]
    assert "not valid JSON" in errors[0]["content"]
    assert "invalid input for tool 'count_rows'" in errors[1]["content"]
    history_call = _bodies(route)[1]["messages"][1]["content"][0]
    assert history_call["input"] == {}  # unparsable input never goes back to the API as text
    assert not any(r.get("is_error") for r in _results(_bodies(route)[2]))


def test_unknown_tool_and_crashing_tool_are_error_results(tmp_path: Path) -> None:
    turn = Reply.tool(("drop_database", {"name": "prod"}), ("explain", {"sql": "crash me"}))
    result, route, _ = _run([message(turn), message(Reply.text("ok"))], _toolset(tmp_path))
    unknown, crashed = _results(_bodies(route)[1])
    assert unknown["is_error"] and "unknown tool 'drop_database'" in unknown["content"]
    assert "count_rows, explain" in unknown["content"]
    assert crashed["is_error"] and "RuntimeError: planner exploded" in crashed["content"]
    assert result.text == "ok"


def test_tool_errors_from_the_error_tree_are_results_too(tmp_path: Path) -> None:
    turn = Reply.tool(("count_rows", {"table": "invoices"}))
    _, route, _ = _run([message(turn), message(Reply.text("ok"))], _toolset(tmp_path))
    (only,) = _results(_bodies(route)[1])
    assert only.pop("cache_control") == {"type": "ephemeral"}  # the history's cache mark
    assert only == {
        "type": "tool_result",
        "tool_use_id": turn.content[0]["id"],
        "content": "ToolError: no table named invoices",
        "is_error": True,
    }


def test_max_tokens_mid_text_is_continued_and_concatenated(tmp_path: Path) -> None:
    replies = [
        message(Reply.text("Use a B-tree index on ", stop_reason="max_tokens")),
        message(Reply.text("(project_id, created_at DESC) ", stop_reason="max_tokens")),
        message(Reply.text("for the open-tasks query.")),
    ]
    result, route, _ = _run(replies, _toolset(tmp_path))
    assert result.text == (
        "Use a B-tree index on (project_id, created_at DESC) for the open-tasks query."
    )
    bodies = _bodies(route)
    assert bodies[1]["messages"][-1]["content"][0]["text"] == CONTINUE
    assert bodies[1]["messages"][-2]["content"][0]["text"] == "Use a B-tree index on "


def test_max_tokens_too_often_is_reported_not_truncated(tmp_path: Path) -> None:
    cut = message(Reply.text("and so on ", stop_reason="max_tokens"))
    options = LoopOptions(max_continuations=1, max_tokens=64)
    with pytest.raises(OutputTruncated, match=r"max_tokens \(64\) 2 times"):
        _run([cut, cut, cut], _toolset(tmp_path), options=options)


@pytest.mark.parametrize("streaming", [False, True])
def test_max_tokens_inside_a_tool_call_is_not_run_and_is_reported(
    tmp_path: Path, streaming: bool
) -> None:
    render = stream if streaming else message
    cut = Reply.tool(("explain", '{"sql": "SELECT * FROM tasks WHERE'), stop_reason="max_tokens")
    replies = [
        render(cut),
        render(Reply.tool(("explain", {"sql": "SELECT 1"}))),
        render(Reply.text("done")),
    ]
    calls: list[str] = []
    toolset = _toolset(tmp_path)
    original = toolset.call
    toolset.call = lambda name, raw: calls.append(name) or original(name, raw)  # type: ignore[method-assign]
    result, route, _ = _run(replies, toolset, streaming=streaming)
    (reported,) = _results(_bodies(route)[1])
    assert reported["is_error"] and "cut off by the output limit" in reported["content"]
    assert calls == ["explain"]  # only the complete call ran
    assert result.text == "done"


def test_turn_budget_ends_an_endless_tool_loop(tmp_path: Path) -> None:
    again = Reply.tool(("count_rows", {"table": "tasks"}))
    with pytest.raises(LoopBudgetExceeded) as caught:
        _run([message(again)] * 10, _toolset(tmp_path), Budget(max_turns=3))
    err = caught.value
    assert isinstance(err, BudgetExceeded)
    assert (err.budget, err.limit, err.used) == ("turns", 3, 3)
    assert err.partial.turns == 3 and err.partial.tool_calls == 3
    assert "turns budget exhausted: used 3 of 3" in str(err)


def test_token_budget(tmp_path: Path) -> None:
    again = message(Reply.tool(("count_rows", {"table": "tasks"})), usage(4000, 500))
    with pytest.raises(LoopBudgetExceeded) as caught:
        _run([again] * 10, _toolset(tmp_path), Budget(max_tokens=10_000))
    assert caught.value.budget == "tokens"
    assert caught.value.used == 13_500  # stopped after the third call crossed 10k
    assert caught.value.partial.turns == 3


def test_cost_budget(tmp_path: Path) -> None:
    # opus: 100k input at $4/MTok = $0.40 a call
    again = message(Reply.tool(("count_rows", {"table": "tasks"})), usage(100_000, 0))
    with pytest.raises(LoopBudgetExceeded) as caught:
        _run([again] * 10, _toolset(tmp_path), Budget(max_cost_usd=1.0))
    assert caught.value.budget == "cost_usd"
    assert caught.value.used == pytest.approx(1.2)


def test_wall_time_budget_stops_a_hanging_tool(tmp_path: Path) -> None:
    hold = threading.Event()
    toolset = _toolset(tmp_path, hold=hold)
    turn = Reply.tool(("explain", {"sql": "SELECT pg_sleep(60)"}))

    async def go() -> tuple[LoopBudgetExceeded, float]:
        started = time.monotonic()
        async with _client() as client:
            try:
                await run_tool_loop(client, SYSTEM, ASK, toolset, Budget(max_seconds=0.5))
            except LoopBudgetExceeded as exc:
                return exc, time.monotonic() - started
            finally:
                hold.set()  # release the worker thread so asyncio.run can shut down
        raise AssertionError("the loop should have run out of time")

    with mock_anthropic() as api:
        api.post("/v1/messages").mock(return_value=message(turn))
        err, elapsed = asyncio.run(go())
    assert 0.5 <= elapsed < 1.5
    assert err.budget == "seconds"
    assert err.partial.turns == 1


def test_wall_time_budget_stops_a_hanging_model(tmp_path: Path) -> None:
    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return message(Reply.text("too late"))

    started = time.monotonic()
    with pytest.raises(LoopBudgetExceeded, match="seconds budget"):
        _run(never, _toolset(tmp_path), Budget(max_seconds=0.3))
    assert time.monotonic() - started < 3


class IndexAdvice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    table: str
    columns: list[str] = Field(min_length=1)
    reason: str


def test_structured_answer_is_validated_and_repaired(tmp_path: Path) -> None:
    wrong = Reply.tool(("submit_index_advice", {"table": "tasks", "columns": []}))
    right = Reply.tool(
        ("submit_index_advice", {"table": "tasks", "columns": ["project_id"], "reason": "eq"})
    )
    options = LoopOptions(output=IndexAdvice)
    result, route, _ = _run([message(wrong), message(right)], _toolset(tmp_path), options=options)
    assert result.output == IndexAdvice(table="tasks", columns=["project_id"], reason="eq")
    bodies = _bodies(route)
    submit = bodies[0]["tools"][-1]
    assert submit["name"] == "submit_index_advice"
    assert submit["input_schema"]["required"] == ["table", "columns", "reason"]
    assert submit["cache_control"] == {"type": "ephemeral"}
    (repair,) = _results(bodies[1])
    assert repair["is_error"] and "does not match the schema" in repair["content"]


def test_structured_answer_missing_is_asked_for_then_given_up_on(tmp_path: Path) -> None:
    chat = message(Reply.text("I think an index would help."))
    options = LoopOptions(output=IndexAdvice, max_repairs=1, force_output=True)

    async def go() -> LoopResult:
        async with _client() as client:
            return await run_tool_loop(client, SYSTEM, ASK, _toolset(tmp_path), None, None, options)

    with mock_anthropic() as api:
        route = api.post("/v1/messages").mock(side_effect=[chat, chat, chat])
        with pytest.raises(StructuredOutputError, match="without submitting"):
            asyncio.run(go())
    first, second = _bodies(route)
    assert first["tool_choice"] == {"type": "tool", "name": "submit_index_advice"}
    assert second["messages"][-1]["content"][0]["text"] == (
        "Submit your final answer now by calling the submit_index_advice tool."
    )
