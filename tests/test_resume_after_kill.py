"""Killed (kill -9) right after any stage starts, a run resumed from its checkpoint ends with
the package an uninterrupted run makes: from the CLI, and through the service when another
server takes over the crashed job.

Packages are compared by their structure (tables, indexes, ADRs, technology, gate verdicts),
not against fixed text, so the comparison holds whatever the stages write.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import FIXTURES
from service_support import free_port, live_server, local_client, settings_for

from agent.brains.rules.brain import RulesBrain
from agent.config import Settings
from agent.context import RunContext
from agent.engine import run_design
from agent.graph import STAGES_BY_MODE
from agent.service import create_app
from agent.spec import load_spec
from agent.state import DesignRequest
from tools.sql.server import PgServer

MINI = FIXTURES / "design" / "mini.yaml"
CAP = "50000"
STAGES = STAGES_BY_MODE["design"]
PAUSE = str(Path(__file__).with_name("pause_at_stage.py"))
DBARCH = str(Path(sys.executable).with_name("dbarch"))


def shape(package: dict[str, Any]) -> dict[str, Any]:
    """What a design is made of, without when it was made."""
    schema = package.get("schema_design") or {}
    return {
        "tables": sorted(t["name"] for t in schema.get("tables", [])),
        "ddl": schema.get("ddl"),
        "indexes": [
            (i["table"], i["ddl"]) for i in (package.get("indexes") or {}).get("indexes", [])
        ],
        "adrs": [(a["number"], a["title"], a["status"], a["decision"]) for a in package["adrs"]],
        "technology": (package.get("technology") or {}).get("primary"),
        "gates": sorted(
            (c["stage"], c["gate"], c["attempt"], c["passed"]) for c in package["checks"]
        ),
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, pg: PgServer) -> dict[str, Any]:
    """The package of the same spec, run without interruption."""
    settings = Settings(home=tmp_path_factory.mktemp("reference"), sample_row_cap=int(CAP))
    ctx = RunContext(brain=RulesBrain(settings), settings=settings, _pg=pg)
    outcome = asyncio.run(run_design(DesignRequest(spec=load_spec(MINI)), ctx))
    assert outcome.status == "done" and outcome.package is not None, outcome.message
    package = shape(outcome.package.model_dump(mode="json", by_alias=True))
    assert package["tables"] and package["indexes"] and len(package["adrs"]) >= 4
    assert {stage for stage, *_ in package["gates"]} == set(STAGES)
    return package


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env.update(DBARCH_HOME=str(home), DBARCH_SAMPLE_ROW_CAP=CAP, **extra)
    return env


def _killed_at(stage: str, out: Path, home: Path) -> str:
    """Run the CLI until it reports `stage` running (it then stops there), kill -9 it."""
    proc = subprocess.Popen(
        [sys.executable, PAUSE, "design", str(MINI), "--out", str(out), "--no-input"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_env(home, DBARCH_TEST_PAUSE=stage),
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if f"[{stage}] running" in line:
            proc.kill()
            break
    assert proc.wait(timeout=300) == -signal.SIGKILL, "".join(seen)
    thread = re.search(r"--resume (\w+)", "".join(seen))
    assert thread, "".join(seen)
    return thread[1]


@pytest.mark.parametrize("stage", STAGES)
def test_the_cli_resumes_a_run_killed_at_a_stage_start_to_the_same_package(
    stage: str, tmp_path: Path, reference: dict[str, Any]
) -> None:
    out = tmp_path / "out"
    thread = _killed_at(stage, out, tmp_path)
    assert not out.exists()
    resumed = subprocess.run(
        [DBARCH, "design", "--resume", thread, "--out", str(out)],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr
    ran = re.findall(r"\[(\w+)\] running", resumed.stderr)
    assert ran == list(STAGES[STAGES.index(stage) :]), resumed.stderr  # from the checkpoint on
    assert shape(json.loads((out / "design.json").read_text())) == reference


@pytest.fixture
def server_process(tmp_path: Path, pg: PgServer) -> Iterator[Any]:
    """Start `dbarch serve` (with the pause hook) on demand; kill -9 whatever is left."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(plan: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        env = _env(
            tmp_path,
            DATABASE_URL=pg.url,
            DBARCH_TEST_PAUSE=json.dumps(plan),
            DBARCH_WORKERS=str(workers),
            DBARCH_JOB_LEASE_S="1",
            DBARCH_WORKER_POLL_S="0.1",
            DBARCH_MOUNT_MCP="false",
        )
        command = [sys.executable, PAUSE, "serve", "--port", str(port), "--log-level", "warning"]
        proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return proc, url
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("dbarch serve did not come up")

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def _wait_for(check: Any, timeout_s: float = 300) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_another_server_takes_over_jobs_killed_at_each_stage_to_the_same_package(
    tmp_path: Path, pg: PgServer, reference: dict[str, Any], server_process: Any
) -> None:
    settings = settings_for(tmp_path, pg, mount_mcp=False, sample_row_cap=int(CAP), workers=0)
    queue = create_app(settings)  # queues jobs; it runs no worker
    jobs = queue.state.service.jobs
    spec = yaml.safe_load(MINI.read_text())
    plan: dict[str, str] = {}  # job id -> the stage its first server dies in
    with local_client(queue) as client:
        for stage in STAGES:
            plan[client.post("/v1/designs", json={"spec": spec}).json()["id"]] = stage
    crashed, _ = server_process(plan, workers=len(plan))

    def at(statuses: set[str], stages: dict[str, str] | None = None) -> bool:
        views = {i: jobs.get(i) for i in plan}
        return all(
            job is not None
            and job.status in statuses
            and (stages is None or job.stage == stages[i])
            for i, job in views.items()
        )

    _wait_for(lambda: at({"running"}, plan))  # each job stopped at the start of its stage
    crashed.send_signal(signal.SIGKILL)
    crashed.wait(timeout=30)
    taking_over = settings.model_copy(update={"workers": 2, "job_lease_s": 1.0})
    with live_server(taking_over):
        _wait_for(lambda: at({"done", "failed"}))
    for job_id, stage in plan.items():
        job = jobs.get(job_id)
        assert job is not None and job.status == "done", (stage, job and job.message)
        assert job.attempts >= 2, stage  # claimed by the killed server, then by the other
        assert job.result is not None
        assert shape(job.result["package"]) == reference, stage
        events = [e.event for e in jobs.events_after(job_id, 0)]
        starts = [i for i, e in enumerate(events) if e.kind == "run_start"]
        ran = [e.stage for e in events[starts[-1] :] if e.kind == "stage_start"]
        assert len(starts) == 2 and ran == list(STAGES[STAGES.index(stage) :]), (stage, ran)
