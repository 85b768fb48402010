"""A design job that kills its server process is failed after `job_max_attempts`, not retried
after every restart: real server processes, really killed (SIGABRT) in the middle of the run."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from conftest import FIXTURES, REPO
from service_support import free_port, local_client, settings_for, wait_healthy

from agent.service import create_app
from agent.service.stores import JobRecord, JobStore
from agent.store import open_database
from tools.sql.server import PgServer

NOTES = yaml.safe_load((FIXTURES / "service" / "notes.yaml").read_text(encoding="utf-8"))
MAX_ATTEMPTS = 2


def _no_core_dumps() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _start(home: Path, pg: PgServer, port: int) -> subprocess.Popen[bytes]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME", str(home / "cache")),
        "DBARCH_HOME": str(home),
        "DATABASE_URL": pg.url,
        "DBARCH_JOB_LEASE_S": "0.5",
        "DBARCH_WORKER_POLL_S": "0.1",
        "DBARCH_JOB_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "DBARCH_MOUNT_MCP": "false",
    }
    script = REPO / "tests" / "crashing_server.py"
    return subprocess.Popen(
        [sys.executable, str(script), str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_no_core_dumps,
    )


def _until_it_exits(server: subprocess.Popen[bytes], timeout_s: float = 60) -> str:
    try:
        _, stderr = server.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        server.kill()
        _, stderr = server.communicate()
    return stderr.decode(errors="replace")[-3000:]


def _wait_for(store: JobStore, job_id: str, status: str, timeout_s: float = 120) -> JobRecord:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = store.get(job_id)
        if job is not None and job.status == status:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never became {status}: {store.get(job_id)}")


def test_a_job_that_kills_its_server_is_failed_after_its_attempts(
    pg: PgServer, tmp_path: Path
) -> None:
    with local_client(create_app(settings_for(tmp_path, pg, workers=0))) as client:
        job_id = client.post("/v1/designs", json={"spec": NOTES}).json()["id"]
    store = JobStore(open_database(None, tmp_path / "service.sqlite"))

    for attempt in range(1, MAX_ATTEMPTS + 1):  # each server claims the job and dies in it
        server = _start(tmp_path, pg, free_port())
        stderr = _until_it_exits(server)
        assert server.returncode == -signal.SIGABRT, stderr
        job = store.get(job_id)
        assert job is not None and (job.status, job.attempts) == ("running", attempt)
        kinds = [stored.event.kind for stored in store.events_after(job_id, 0)]
        assert kinds == ["run_start"] * attempt  # killed in the run, after it began

    port = free_port()
    survivor = _start(tmp_path, pg, port)
    try:
        failed = _wait_for(store, job_id, "failed")
        wait_healthy(f"http://127.0.0.1:{port}", survivor)  # the next server lives on, and serves
    finally:
        survivor.send_signal(signal.SIGTERM)
        survivor.wait(timeout=30)
    assert failed.message is not None
    assert f"gave up after {MAX_ATTEMPTS} attempts" in failed.message
    last = store.events_after(job_id, 0)[-1].event
    assert (last.kind, last.message) == ("run_failed", failed.message)
