"""`dbarch eval --brain anthropic` against a scripted Anthropic-compatible endpoint, with the
rules brain's baseline beside it; the model's spend is counted per case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from agent.llm import Reply
from agent.llm.scripted.server import ScriptedAnthropicServer

pytestmark = pytest.mark.timeout(300)

CASES = FIXTURES / "evals" / "cases"
DBARCH = str(Path(sys.executable).with_name("dbarch"))


def tool_texts(messages: list[dict[str, Any]]) -> dict[str, str]:
    """Tool name -> the text of its latest result in the conversation."""
    names: dict[str, str] = {}
    found: dict[str, str] = {}
    for message in messages:
        content = message["content"]
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_use":
                names[block["id"]] = block["name"]
            elif block.get("type") == "tool_result":
                parts = block["content"]
                text = parts if isinstance(parts, str) else "".join(p["text"] for p in parts)
                found[names[block["tool_use_id"]]] = text
    return found


def agreeable_architect(body: dict[str, Any]) -> Reply:
    """A model that asks the rules engine for its draft of the stage and submits it as is."""
    tools = [tool["name"] for tool in body.get("tools", [])]
    draft = next(name for name in tools if name.startswith("draft_"))
    submit = next(name for name in tools if name.startswith("submit_"))
    results = tool_texts(body["messages"])
    if draft not in results:
        return Reply.tool((draft, {}))
    return Reply.tool((submit, json.loads(results[draft])))


def test_anthropic_eval_reports_spend_and_the_rules_baseline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env["DBARCH_HOME"] = str(tmp_path / "home")
    cases = [str(CASES / "tiny-compare.yaml"), str(CASES / "tiny-wrong.yaml")]
    options = ["--brain", "anthropic", "--model", "haiku", "--jobs", "2", "--format", "json"]
    with ScriptedAnthropicServer(agreeable_architect) as server:
        env["ANTHROPIC_BASE_URL"] = server.base_url
        done = subprocess.run(
            [DBARCH, "eval", *cases, *options, "--min-pass", "0.5"],
            capture_output=True,
            text=True,
            env=env,
            timeout=280,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["brain"] == "anthropic" and report["model"] == "haiku"
    assert report["pass_rate"] == 0.5
    compare, wrong = report["cases"]
    assert compare["id"] == "tiny-compare" and compare["passed"] is True
    assert wrong["passed"] is False
    for case in (compare, wrong):
        assert case["tokens"] > 0 and case["cost_usd"] > 0
    assert report["tokens"] == compare["tokens"] + wrong["tokens"]
    assert report["baseline"]["brain"] == "rules" and report["baseline"]["pass_rate"] == 0.5
    assert report["baseline"]["cases"][1]["failed_checks"] == ["tables", "partitioned", "adrs_min"]
    assert "[anthropic] pass tiny-compare" in done.stderr
    assert "[rules] pass tiny-compare" in done.stderr
    offered = {t["name"] for x in server.exchanges for t in x.body.get("tools", [])}
    assert {"submit_technology_decision", "submit_schema_design", "submit_adr_set"} <= offered
