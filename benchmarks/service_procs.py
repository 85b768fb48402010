"""Real processes for load and crash tests: the scripted model server and `dbarch serve`.

Everything binds to 127.0.0.1. A server process gets its settings through the environment,
as an operator would give them; `kill()` is kill -9, for crash tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _python() -> str:
    return sys.executable


def dbarch_binary() -> str:
    beside = Path(sys.executable).parent / "dbarch"
    return str(beside) if beside.exists() else shutil.which("dbarch") or "dbarch"


@contextmanager
def model_server(replies: list[dict[str, object]], folder: Path) -> Iterator[str]:
    """`python -m agent.llm.scripted.server` cycling through `replies`; yields its base URL."""
    script = folder / "model-script.json"
    script.write_text(json.dumps({"replies": replies, "repeat": True}), encoding="utf-8")
    port = free_port()
    argv = [
        _python(),
        "-m",
        "agent.llm.scripted.server",
        "--script",
        str(script),
        "--port",
        str(port),
    ]
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        process.stdout.readline()  # "scripted Anthropic API at ...": it is listening
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """kill -9: no lease released, no connection closed, nothing flushed."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


def server_env(home: Path, model_url: str, **extra: str) -> dict[str, str]:
    """The environment of one `dbarch serve`: its home, the scripted model, and `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env.update(DBARCH_HOME=str(home), ANTHROPIC_BASE_URL=model_url, **extra)
    return env


@contextmanager
def serve(env: dict[str, str], folder: Path, name: str) -> Iterator[ServerProcess]:
    """`dbarch serve` on a free loopback port, ready (healthz 200) before it is yielded."""
    port = free_port()
    log = folder / f"{name}.log"
    argv = [dbarch_binary(), "serve", "--port", str(port), "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = ServerProcess(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_ready(server)
        yield server
    finally:
        _stop(process)


def _wait_ready(server: ServerProcess, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited: {server.log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout_s}s: {server.log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@dataclass
class PeakSampler:
    """Calls `count` every `interval_s` in a thread and keeps the highest value seen."""

    count: Callable[[], int]
    interval_s: float = 0.05
    peak: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> PeakSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        close = getattr(self.count, "close", None)
        if close is not None:
            close()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak = max(self.peak, self.count())
            self.samples += 1


class PgConnections:
    """Client connections to `dbname` (the sampler's own sits in another database).

    Only client backends: an autovacuum worker the write load wakes on the state database
    shows in pg_stat_activity with its name too, and counted as a ninth "connection" of two
    pools of four."""

    def __init__(self, admin_dsn: str, dbname: str) -> None:
        self.conn = psycopg.connect(admin_dsn, autocommit=True)
        self.dbname = dbname

    def __call__(self) -> int:
        row = self.conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = %s AND backend_type = 'client backend'",
            (self.dbname,),
        ).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.conn.close()


def sqlite_connections(pids: list[int], home: Path) -> Callable[[], int]:
    """Open SQLite database files under `home` (not their -wal/-shm) held by `pids`."""

    def count() -> int:
        total = 0
        for pid in pids:
            fd_dir = Path(f"/proc/{pid}/fd")
            for fd in _listdir(fd_dir):
                target = _readlink(fd_dir / fd)
                if target.startswith(str(home)) and target.endswith(".sqlite"):
                    total += 1
        return total

    return count


def _listdir(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _readlink(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield Path(folder)
