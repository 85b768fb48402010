"""The optional rubric grader: a model scores report sections, only when one is configured,
and its scores stay apart from the deterministic pass rate."""

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
from evals.rubric import load_rubric, sections

pytestmark = pytest.mark.timeout(300)

CASES = FIXTURES / "evals" / "cases"
DBARCH = str(Path(sys.executable).with_name("dbarch"))
SCORES = {"Technology recommendation": 4, "Schema design": 3, "Index strategy": 5}


def test_sections_split_a_report_at_its_level_two_headings() -> None:
    found = sections("# t\n\nintro\n\n## A\n\none\n\n### A.1\n\ndeep\n\n## B\n\ntwo\n")
    assert found == {"A": "one\n\n### A.1\n\ndeep", "B": "two"}


def test_every_rubric_heading_is_a_section_the_reports_write() -> None:
    """A renamed report section would silently drop out of grading: the headings agree."""
    report_sources = (Path(__file__).parents[1] / "agent" / "report").glob("*.py")
    written = "\n".join(path.read_text() for path in report_sources)
    for heading in load_rubric():
        assert f'"{heading}"' in written, heading


def grader(body: dict[str, Any]) -> Reply:
    content = body["messages"][0]["content"]
    prompt = content if isinstance(content, str) else "".join(b["text"] for b in content)
    section = prompt.split('Grade the section "', 1)[1].split('"', 1)[0]
    verdict = {"score": SCORES.get(section, 2), "reasons": f"graded {section}"}
    return Reply.tool(("submit_rubric_verdict", verdict))


def _run(tmp: Path, env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    return subprocess.run(
        [DBARCH, "eval", str(CASES / "tiny-notes.yaml"), "--rubric", "--format", "json"],
        capture_output=True, text=True, timeout=280, check=False,
        env={**env, "DBARCH_HOME": str(tmp / "home"), **env_extra},
    )  # fmt: skip


def test_rubric_scores_come_apart_from_the_pass_rate(tmp_path: Path) -> None:
    with ScriptedAnthropicServer(grader) as server:
        done = _run(tmp_path, {"ANTHROPIC_BASE_URL": server.base_url})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["pass_rate"] == 1.0 and report["brain"] == "rules"
    scored = {(r["case"], r["section"]): r["score"] for r in report["rubric"]}
    assert scored[("tiny-notes", "Technology recommendation")] == 4
    assert scored[("tiny-notes", "Index strategy")] == 5
    assert set(scored) == {("tiny-notes", heading) for heading in load_rubric()}
    assert len(server.exchanges) == len(scored)  # one call per section the report has
    assert all("grade one section" in x.body["system"][0]["text"] for x in server.exchanges)
    case = report["cases"][0]
    assert case["cost_usd"] > 0 and case["tokens"] > 0  # grading is paid for, and counted
    assert "rubric" not in case  # listed once, under the report


def test_without_a_model_the_rubric_is_skipped(tmp_path: Path) -> None:
    done = _run(tmp_path, {})
    assert done.returncode == 0, done.stderr
    assert "rubric grader skipped: no model configured" in done.stderr
    report = json.loads(done.stdout)
    assert report["rubric"] == [] and report["cost_usd"] == 0
