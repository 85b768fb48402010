"""`langgraph dev` serves the design graph from langgraph.json; a design runs through its API.

The in-memory LangGraph server starts on a free loopback port (its state in a temporary
folder), and a run is driven the way LangGraph Studio or the SDK drive one: a thread, then
a run with the graph's input and context, waited for.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import FIXTURES, REPO

LANGGRAPH = str(Path(sys.executable).with_name("langgraph"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("langgraph")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env.update(
        DBARCH_HOME=str(folder / "home"),
        DBARCH_SAMPLE_ROW_CAP="20000",
        LANGGRAPH_CLI_NO_ANALYTICS="1",
        LANGSMITH_TRACING="false",
    )
    command = [LANGGRAPH, "dev", "--config", str(REPO / "langgraph.json"), "--host", "127.0.0.1",
               "--port", str(port), "--no-browser", "--no-reload"]  # fmt: skip
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc, folder / "server.log")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        log.close()


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"langgraph dev exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"langgraph dev did not answer within 120 s: {log.read_text()[-2000:]}")


def test_langgraph_json_names_the_design_graph() -> None:
    config = json.loads((REPO / "langgraph.json").read_text())
    graph = config["graphs"]["design"]
    module, _, attribute = graph["path"].partition(":")
    assert (REPO / (module.replace(".", "/") + ".py")).is_file() and attribute == "design"
    assert all(word in graph["description"] for word in ("Input", "Context", "Configuration"))


@pytest.mark.slow
def test_a_design_runs_end_to_end_through_the_server(server: str) -> None:
    spec = yaml.safe_load((FIXTURES / "design" / "mini.yaml").read_text())
    with httpx.Client(base_url=server, timeout=600) as client:
        assistants = client.post("/assistants/search", json={"graph_id": "design"}).json()
        assert [a["graph_id"] for a in assistants] == ["design"]
        assert "Context" in assistants[0]["description"]
        thread = client.post("/threads", json={}).json()["thread_id"]
        run = {"assistant_id": "design", "input": {"request": {"spec": spec}},
               "context": {"brain": "rules"}}  # fmt: skip
        state = client.post(f"/threads/{thread}/runs/wait", json=run).json()
        assert "__error__" not in state, state
        assert state.get("failed") is None
        gates = {c["gate"] for c in state["checks"] if c["passed"]}
        assert {"ddl_applies", "lint_clean", "patterns_indexed", "adrs_complete"} <= gates
        assert all(c["passed"] for c in state["checks"])
        assert "CREATE TABLE orders" in state["schema_design"]["ddl"]
        assert len(state["adrs"]) >= 4 and state["spec"]["pg_version"] == 18
        history = client.get(f"/threads/{thread}/state").json()
        assert history["values"]["scaling"] is not None and history["next"] == []
