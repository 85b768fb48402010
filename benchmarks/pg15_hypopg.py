"""A throw-away PostgreSQL 15 cluster with hypopg, and postgres-mcp in its own venv.

Both advisors are compared on this one server so their costs are comparable. Everything is
set up here when possible (apt as root, a Python 3.12 from pyenv); otherwise `why_not`
says what is missing and the comparison is skipped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
HYPOPG = Path("/usr/share/postgresql/15/extension/hypopg.control")
PY312 = Path("/root/.pyenv/versions/3.12.1/bin/python")
REPO = Path(__file__).resolve().parents[1]
PGMCP_VENV = REPO / "build" / "pgmcp-venv"
PGMCP_DEPS = [
    "attrs>=25.3.0", "humanize>=4.8.0", "instructor>=1.7.9", "mcp[cli]>=1.5.0,<2",
    "pglast>=7.2,<8", "psycopg-pool>=3.2.6", "psycopg[binary]>=3.2.6",
]  # fmt: skip
PORT = 54329


def _run(*argv: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    if user and os.geteuid() == 0:
        argv = ("runuser", "-u", user, "--", *argv)
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def ensure_hypopg() -> str | None:
    """None when PostgreSQL 15 and hypopg are installed (installing them as root)."""
    if PG_BIN.exists() and HYPOPG.exists():
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "postgresql-15-hypopg is not installed and apt-get as root is not available"
    _run("apt-get", "update", "-q")
    done = _run("apt-get", "install", "-y", "-q", "postgresql-15", "postgresql-15-hypopg")
    if done.returncode != 0 or not HYPOPG.exists():
        return f"apt-get install postgresql-15-hypopg failed: {done.stderr.strip()[-300:]}"
    return None


def ensure_pgmcp() -> str | None:
    """None when postgres-mcp 0.3.0 is importable from its own Python 3.12 venv.

    It pins pglast==7.2.0, which the registry lacks, so it is installed without its
    dependencies and those are installed with pglast 7.2x instead.
    """
    python = PGMCP_VENV / "bin" / "python"
    if python.exists() and _run(str(python), "-c", "import postgres_mcp").returncode == 0:
        return None
    if not PY312.exists():
        return f"postgres-mcp needs Python >= 3.12 and {PY312} is missing"
    steps = [
        [str(PY312), "-m", "venv", str(PGMCP_VENV)],
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "postgres-mcp==0.3.0"],
        [str(python), "-m", "pip", "install", "-q", *PGMCP_DEPS],
    ]
    for step in steps:
        done = _run(*step)
        if done.returncode != 0:
            return f"installing postgres-mcp failed: {done.stderr.strip()[-300:]}"
    return None


@contextlib.contextmanager
def pg15_cluster() -> Iterator[str]:
    """Start a trust-auth cluster on a Unix socket; yield its superuser URL; remove it."""
    folder = Path(tempfile.mkdtemp(prefix="dbarch-pg15-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    user = "postgres" if os.geteuid() == 0 else None
    init = _run(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", user=user)
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed: {init.stderr}")
    options = f"-k {folder} -p {PORT} -c listen_addresses='' -c fsync=off -c shared_buffers=256MB"
    log = str(folder / "server.log")  # the server must not inherit our pipes, or we wait forever
    pg_ctl = (str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", log, "-o", options, "-w", "start")
    start = _run(*pg_ctl, user=user)
    if start.returncode != 0:
        raise RuntimeError(f"pg_ctl start failed: {start.stderr}")
    try:
        time.sleep(0.2)
        yield f"postgresql://postgres@/postgres?host={folder}&port={PORT}"
    finally:
        _run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop", user=user)
        shutil.rmtree(folder, ignore_errors=True)
