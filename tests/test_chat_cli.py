"""`dbarch chat` in a terminal: a real process against a scripted Anthropic endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.llm import Reply
from agent.llm.scripted.server import ScriptedAnthropicServer

pytestmark = pytest.mark.timeout(180)
DBARCH = str(Path(sys.executable).with_name("dbarch"))
DDL = "CREATE TABLE notes (id bigint PRIMARY KEY, body text NOT NULL);"


def _chat(
    args: list[str], stdin: str, home: Path, base_url: str | None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env["DBARCH_HOME"] = str(home)
    if base_url:
        env["ANTHROPIC_BASE_URL"] = base_url
    return subprocess.run(
        [DBARCH, "chat", *args], input=stdin, capture_output=True, text=True, env=env, timeout=170
    )


def test_a_turn_streams_text_and_runs_a_tool(tmp_path: Path) -> None:
    replies = [
        Reply.tool(("validate_ddl", {"schema": DDL}), text="Let me check that DDL."),
        Reply.text("It applies cleanly; add an index once you query by body."),
        Reply.text("Yes: the notes table from before."),
    ]
    with ScriptedAnthropicServer(replies) as server:
        first = _chat(["--workspace", str(tmp_path)], f"check {DDL}\n\n", tmp_path, server.base_url)
        assert first.returncode == 0, first.stderr
        assert "[tool validate_ddl]" in first.stdout
        assert "It applies cleanly" in first.stdout
        session = first.stderr.split("--session ")[1].split(")")[0]
        again = _chat(["--session", session], "still there?\n", tmp_path, server.base_url)
        assert again.returncode == 0, again.stderr
        assert "the notes table from before" in again.stdout
        last = server.exchanges[-1].body["messages"]
    # The resumed session sent the whole history: first question, tool round trip, answer.
    assert len(last) == 5 and "check CREATE TABLE" in str(last[0]["content"])
    tool_results = [
        b
        for m in last
        for b in m["content"]
        if isinstance(b, dict) and b.get("type") == "tool_result"
    ]
    assert tool_results and not tool_results[0].get("is_error")


def test_without_a_model_chat_says_what_to_set(tmp_path: Path) -> None:
    result = _chat([], "hello\n", tmp_path, None)
    assert result.returncode == 2 and "ANTHROPIC_API_KEY" in result.stderr
