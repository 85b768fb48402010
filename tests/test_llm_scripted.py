"""ScriptedModel, scripts, model aliases, prices, usage and cache marks: the offline pieces."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from pydantic import BaseModel, ConfigDict

from agent.llm import (
    ModelCallFailed,
    ModelRequest,
    Pricing,
    Reply,
    ScriptedModel,
    TextDelta,
    ToolResultEvent,
    Usage,
    load_script,
    resolve_model,
    run_tool_loop,
)
from agent.llm.cache import cached_messages, cached_tools, system_blocks
from agent.llm.events import LoopEvent
from agent.llm.models import PRICES
from tools.errors import InputError, ModelError
from tools.registry import Tool, ToolContext, Toolset

pytestmark = pytest.mark.timeout(30)

SCRIPT = FIXTURES / "llm" / "tool_loop.json"


class TableArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    table: str


class SqlArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sql: str


def _toolset(tmp_path: Path) -> Toolset:
    rows = {"tasks": 50_000_000, "projects": 200_000}
    tools = [
        Tool("count_rows", "Count rows.", TableArgs, lambda a, c: f"{rows[a.table]} rows"),
        Tool("explain", "EXPLAIN a query.", SqlArgs, lambda a, c: "Index Scan on tasks"),
    ]
    return Toolset(tools, ToolContext(tmp_path))


def test_scripted_model_drives_the_loop_from_a_script_file(tmp_path: Path) -> None:
    script = load_script(SCRIPT)
    model = ScriptedModel(script.replies, model="sonnet")
    events: list[LoopEvent] = []
    ask = [{"role": "user", "content": "Index the open-tasks query."}]
    result = asyncio.run(
        run_tool_loop(model, "persona", ask, _toolset(tmp_path), on_event=events.append)
    )
    assert result.text == "tasks holds 50M rows; index (project_id, created_at DESC)."
    assert (result.turns, result.tool_calls) == (4, 4)
    assert model.remaining == 0 and len(model.requests) == 4
    bad_json = model.requests[2].messages[-1]["content"][0]
    assert bad_json["tool_use_id"] == "toolu_demo_3" and bad_json["is_error"] is True
    assert model.requests[0].system == "persona"
    assert [t["name"] for t in model.requests[0].tools] == ["count_rows", "explain"]
    price = PRICES["claude-sonnet-5-5"]
    expected = price.cost(2250, 175, 900, 2700)
    assert result.usage.cost_usd == pytest.approx(expected)
    assert model.ledger.total == result.usage
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert texts[0] == "Let me count the rows first."
    results = [e for e in events if isinstance(e, ToolResultEvent)]
    assert [r.is_error for r in results] == [False, False, True, False]


def test_requests_are_recorded_as_sent_not_as_later_mutated() -> None:
    model = ScriptedModel([Reply.text("one")])
    messages: list[dict[str, Any]] = [{"role": "user", "content": "hi"}]
    asyncio.run(model.complete(ModelRequest(messages=messages)))
    messages.append({"role": "assistant", "content": "changed"})
    assert len(model.requests[0].messages) == 1


def test_a_responder_function_answers_from_the_request() -> None:
    def echo(request: ModelRequest) -> Reply:
        return Reply.text(f"you said: {request.messages[-1]['content']}")

    model = ScriptedModel(echo)
    request = ModelRequest(messages=[{"role": "user", "content": "x"}])
    response = asyncio.run(model.complete(request))
    assert response.text == "you said: x"
    assert response.usage.input_tokens > 0 and response.usage.calls == 1


def test_scripted_errors_and_exhaustion_raise_model_errors() -> None:
    model = ScriptedModel([Reply.error(529)])
    request = ModelRequest(messages=[{"role": "user", "content": "x"}])
    with pytest.raises(ModelCallFailed) as caught:
        asyncio.run(model.complete(request))
    assert caught.value.status == 529 and "overloaded_error" in str(caught.value)
    with pytest.raises(ModelError, match="no reply left"):
        asyncio.run(model.complete(request))


def test_loop_without_tools_answers_tool_calls_with_errors() -> None:
    model = ScriptedModel([Reply.tool(("explain", {"sql": "SELECT 1"})), Reply.text("fine")])
    result = asyncio.run(run_tool_loop(model, "", [{"role": "user", "content": "x"}], None))
    answered = model.requests[1].messages[-1]["content"][0]
    assert answered["is_error"] and "no tools are available" in answered["content"]
    assert result.text == "fine"
    assert model.requests[0].tools == []


def test_bad_script_files_name_the_file_and_problem() -> None:
    bad = FIXTURES / "llm" / "bad_script.json"
    with pytest.raises(InputError, match=r"(?s)bad_script\.json.*stop_reasn"):
        load_script(bad)
    with pytest.raises(InputError, match="cannot read"):
        load_script(FIXTURES / "llm" / "missing.json")


def test_a_plain_list_is_a_script(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps([Reply.text("a").model_dump(), {"status": 429}]))
    script = load_script(path)
    assert [r.status for r in script.replies] == [200, 429] and not script.repeat


@pytest.mark.parametrize(
    ("name", "model_id", "exact"),
    [
        ("sonnet", "claude-sonnet-5-5", True),
        ("Opus", "claude-opus-5-5", True),
        ("haiku", "claude-haiku-4-5", True),
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5-20251001", True),
        ("claude-sonnet-4-6", "claude-sonnet-4-6", True),
        ("claude-sonnet-9", "claude-sonnet-9", False),
        ("local-llama", "local-llama", False),
    ],
)
def test_aliases_resolve_in_one_place(name: str, model_id: str, exact: bool) -> None:
    info = resolve_model(name)
    assert (info.id, info.exact_price) == (model_id, exact)


def test_unknown_ids_are_priced_by_family_or_worst_case() -> None:
    assert resolve_model("claude-sonnet-9").pricing == PRICES["claude-sonnet-5-5"]
    worst = max(p.output for p in PRICES.values())
    assert resolve_model("local-llama").pricing.output == worst
    own = Pricing(0.0, 0.0, 0.0, 0.0)
    assert resolve_model("local-llama", own).pricing == own
    with pytest.raises(ValueError, match="empty"):
        resolve_model("  ")


def test_usage_adds_up_and_prices_cache_tokens() -> None:
    haiku = PRICES["claude-haiku-4-5"]
    one = Usage.priced(haiku, {"input_tokens": 1_000_000, "cache_read_input_tokens": 1_000_000})
    two = Usage.priced(haiku, {"output_tokens": 1_000_000, "cache_creation_input_tokens": None})
    total = one + two
    assert one.cost_usd == pytest.approx(1.0 + 0.10)
    assert total.cost_usd == pytest.approx(1.10 + 5.0)
    assert total.total_tokens == 3_000_000 and total.calls == 2
    assert total.to_dict()["cost_usd"] == 6.1


def test_cache_marks_sit_on_system_last_tool_and_last_message_only() -> None:
    tools = [{"name": "a"}, {"name": "b"}]
    history = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": [{"type": "text", "text": "a"}]},
        {"role": "user", "content": "next"},
    ]
    marked_tools = cached_tools(tools)
    marked = cached_messages(history)
    assert system_blocks("") == []
    assert system_blocks("p")[0]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in marked_tools[0] and "cache_control" in marked_tools[1]
    assert marked[0] == {"role": "user", "content": "q"}
    assert marked[2]["content"] == [
        {"type": "text", "text": "next", "cache_control": {"type": "ephemeral"}}
    ]
    assert tools == [{"name": "a"}, {"name": "b"}] and history[2]["content"] == "next"
    thinking = [{"role": "assistant", "content": [{"type": "thinking", "thinking": "t"}]}]
    assert "cache_control" not in cached_messages(thinking)[0]["content"][0]
