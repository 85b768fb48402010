"""`dbarch design "free text" --brain anthropic` against an Anthropic-compatible endpoint:
a real process writes a package; an endpoint that keeps failing ends with exit 3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from claude_architect import REQUEST, Architect, requests_of

from agent.cli import exits, main
from agent.llm import Reply
from agent.llm.scripted.server import ScriptedAnthropicServer
from tools.sql.server import PgServer

pytestmark = pytest.mark.timeout(300)

DBARCH = str(Path(sys.executable).with_name("dbarch"))


def _env(home: Path, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env.update(ANTHROPIC_BASE_URL=base_url, DBARCH_HOME=str(home), DBARCH_SAMPLE_ROW_CAP="10000")
    return env


def test_free_text_design_writes_a_package(tmp_path: Path, pg: PgServer) -> None:
    out = tmp_path / "shop-design"
    with ScriptedAnthropicServer(Architect()) as server:
        done = subprocess.run(
            [DBARCH, "design", REQUEST, "--brain", "anthropic", "--out", str(out)],
            capture_output=True,
            text=True,
            env=_env(tmp_path / "home", server.base_url),
            stdin=subprocess.DEVNULL,  # no terminal: assumptions instead of questions
            timeout=280,
        )
    assert done.returncode == exits.OK, done.stderr
    assert "[schema] lint_clean: float-for-money" in done.stderr  # the gate said no once
    assert "[schema] attempt 2: addressing 1 finding(s)" in done.stderr
    package = json.loads((out / "design.json").read_text())
    assert package["brain"] == "anthropic" and package["name"] == "store-orders"
    assert package["usage"]["output_tokens"] > 0 and package["usage"]["cost_usd"] > 0
    assert "total numeric(19,4)" in (out / "schema.sql").read_text()
    assert (out / "indexes.sql").read_text().startswith("CREATE INDEX")
    assert len(list((out / "adr").glob("*.md"))) >= 4
    # Without a terminal nobody is asked: the open growth rate became an assumption.
    assert any("grow" in a for a in package["assumptions"])
    assert len(requests_of(server, "requirements")) == 2


def test_an_endpoint_that_keeps_failing_exits_3_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never"
    overloaded = Reply.error(529, error_message="overloaded, try later")
    with ScriptedAnthropicServer([overloaded], repeat=True) as server:
        for name, value in _env(tmp_path / "home", server.base_url).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("DBARCH_MODEL_MAX_ATTEMPTS", "2")
        monkeypatch.setenv("DBARCH_MODEL_RETRY_BASE_S", "0.01")
        argv = ["dbarch", "design", REQUEST, "--brain", "anthropic", "--out", str(out)]
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as ended:
            main()
    assert ended.value.code == exits.INFRA
    error = capsys.readouterr().err
    assert "dbarch: error: model call failed" in error and "529" in error
    assert "after 2 attempts" in error
    assert len(server.exchanges) == 2 and not out.exists()
