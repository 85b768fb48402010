"""Scratch databases of dead processes are swept by ownership (an advisory lock the owner
holds while it lives), on any server, whatever PIDs were reused, also at start-up."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from psycopg import sql
from service_support import free_port

from tools.sql.scratch_owner import sweep_orphans
from tools.sql.server import SCRATCH_PREFIX, PgServer, connect, resolve_server, scratch_database

REPO = Path(__file__).resolve().parents[1]
_OWNER = """
import sys
from tools.sql.server import resolve_server, scratch_database
with scratch_database(resolve_server(sys.argv[1])) as scratch:
    print(scratch.name, flush=True)
    sys.stdin.read()
"""


def _databases(pg: PgServer) -> set[str]:
    with connect(pg.dsn(), autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", ("dbarch%",))
        return {str(r[0]) for r in rows}


def _orphan(pg: PgServer, pid: int) -> str:
    """A scratch database as a killed process leaves it: named by `pid`, its owner's lock free."""
    name = f"{SCRATCH_PREFIX}{pid}_{secrets.token_hex(4)}_{secrets.token_hex(4)}"
    with connect(pg.dsn(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def _sweep(pg: PgServer) -> list[str]:
    with connect(pg.dsn(), autocommit=True) as admin:
        return sweep_orphans(admin)


def _gone(pg: PgServer, name: str, timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while name in _databases(pg):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def remote(pg: PgServer) -> PgServer:
    """The same server reached as DATABASE_URL names it: not ours, its PIDs not ours to see."""
    return resolve_server(pg.url)


def test_an_orphan_whose_pid_is_alive_again_is_swept(pg: PgServer) -> None:
    reused = _orphan(pg, os.getpid())  # the dead owner's PID now belongs to a live process
    with scratch_database(pg) as mine:
        assert reused not in _databases(pg)
        assert _sweep(pg) == [] and mine.name in _databases(pg)  # a live owner keeps its own
    assert mine.name not in _databases(pg)


def test_on_another_server_a_killed_owner_s_database_is_swept_a_live_one_kept(
    remote: PgServer, pg: PgServer
) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER, remote.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert owner.stdout is not None
        name = owner.stdout.readline().strip()
        assert name.startswith(f"{SCRATCH_PREFIX}{owner.pid}_")
        assert _sweep(remote) == [] and name in _databases(pg)
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=30)
    deadline = time.monotonic() + 30  # the server notices the closed connection at once
    while name not in _sweep(remote) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert name not in _databases(pg)


def test_a_process_sweeps_when_it_resolves_the_server(remote: PgServer, pg: PgServer) -> None:
    """A CLI run or an eval sweeps at start-up, before (or without) a scratch of its own."""
    orphan = _orphan(pg, 999_999_999)
    resolve = "import sys; from tools.sql.server import resolve_server; resolve_server(sys.argv[1])"
    subprocess.run([sys.executable, "-c", resolve, remote.url], cwd=REPO, check=True, timeout=60)
    assert orphan not in _databases(pg)


def test_the_service_sweeps_at_start_up(pg: PgServer, tmp_path: Path) -> None:
    orphan = _orphan(pg, 999_999_999)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env.update(DBARCH_HOME=str(tmp_path), DATABASE_URL=pg.url, DBARCH_WORKERS="0")
    command = [sys.executable, "-c", "from agent.cli import main; main()", "serve"]
    proc = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning"], env=env, cwd=REPO
    )
    try:
        assert _gone(pg, orphan), "the service did not sweep at start-up"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
