"""DBARCH_ENABLE_BASH is a real setting: read once (Settings), honoured by every door with Bash.

The Bash refusal told users to set it while nothing read it; `dbarch chat --bash` was the
only way in. Now `Settings.tool_context` is the one place a ToolContext is made in `agent/`.
"""

from __future__ import annotations

import ast as pyast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

from agent.config import Settings
from agent.llm import Reply
from agent.llm.scripted.server import ScriptedAnthropicServer
from tools.bash.sandbox import isolation
from tools.catalog import toolset_for
from tools.errors import ToolError

ROOT = FIXTURES.parents[1]
DBARCH = str(Path(sys.executable).with_name("dbarch"))


def _sandbox_ok() -> bool:
    try:
        isolation(allow_unsandboxed=False)
    except ToolError:
        return False
    return True


def _environment(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    if not _sandbox_ok():
        env["DBARCH_BASH_ALLOW_UNSANDBOXED"] = "1"
    return env | values


@pytest.mark.parametrize(("value", "enabled"), [("1", True), ("true", True), ("0", False)])
def test_the_setting_reaches_the_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, enabled: bool
) -> None:
    for name, setting in _environment(DBARCH_ENABLE_BASH=value).items():
        if name.startswith("DBARCH_"):
            monkeypatch.setenv(name, setting)
    (tmp_path / "here.txt").write_text("x\n")
    tools = toolset_for(["Bash"], Settings().tool_context(tmp_path, None))
    outcome = tools.call("Bash", {"command": "ls"})
    assert outcome.is_error is not enabled, outcome.content
    if enabled:
        assert "here.txt" in json.loads(outcome.content)["stdout"]
    else:
        assert "DBARCH_ENABLE_BASH=1" in outcome.content


def test_tool_contexts_are_made_from_settings_only() -> None:
    """A door that built its own ToolContext would ignore the switches again."""
    makers = []
    for path in (ROOT / "agent").rglob("*.py"):
        for node in pyast.walk(pyast.parse(path.read_text(), str(path))):
            if isinstance(node, pyast.Call) and pyast.unparse(node.func).endswith("ToolContext"):
                makers.append(str(path.relative_to(ROOT)))
    assert makers == ["agent/config.py"]


@pytest.mark.timeout(180)
@pytest.mark.parametrize(("env", "runs"), [({"DBARCH_ENABLE_BASH": "1"}, True), ({}, False)])
def test_chat_runs_bash_when_the_setting_says_so(
    tmp_path: Path, env: dict[str, str], runs: bool
) -> None:
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id int);\n")
    replies = [Reply.tool(("Bash", {"command": "ls"})), Reply.text("Done.")]
    with ScriptedAnthropicServer(replies) as server:
        done = subprocess.run(
            [DBARCH, "chat", "--persona", "schema-specialist", "--workspace", str(tmp_path)],
            input="list the files\n\n",
            capture_output=True,
            text=True,
            timeout=170,
            env=_environment(
                DBARCH_HOME=str(tmp_path / "home"), ANTHROPIC_BASE_URL=server.base_url, **env
            ),
        )
        assert done.returncode == 0, done.stderr
        sent = server.exchanges[-1].body["messages"]
    results = [
        b
        for m in sent
        for b in m["content"]
        if isinstance(b, dict) and b.get("type") == "tool_result"
    ]
    assert len(results) == 1
    assert bool(results[0].get("is_error")) is not runs, results[0]
    assert ("schema.sql" in json.dumps(results[0])) is runs
