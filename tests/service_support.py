"""Helpers for the service tests: settings pinned for tests, a real uvicorn server on loopback,
and an SSE reader that parses the wire format itself (so the tests check what clients get)."""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg import sql

from agent.service import create_app
from agent.service.config import ServiceSettings
from agent.store import Database, open_database
from tools.sql.server import PgServer, connect


def settings_for(home: Path, pg: PgServer, **overrides: Any) -> ServiceSettings:
    """Test settings: nothing read from this machine's environment decides a result."""
    values: dict[str, Any] = {
        "home": home,
        "DATABASE_URL": pg.url,
        "ANTHROPIC_API_KEY": None,
        "ANTHROPIC_BASE_URL": None,
        "DBARCH_API_TOKENS": "",
        "DBARCH_STATE_URL": None,
        "worker_poll_s": 0.1,
        "sse_poll_s": 0.05,
    }
    values.update(overrides)
    return ServiceSettings(**values)


def local_client(app: FastAPI) -> TestClient:
    """A TestClient that calls as a local client does: its default Host `testserver` is not a
    loopback name, and a server without tokens answers only to those (DNS rebinding)."""
    return TestClient(app, base_url="http://127.0.0.1")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    app: FastAPI
    url: str

    def client(self, token: str | None = None, timeout: float = 60.0) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)


@contextmanager
def live_server(settings: ServiceSettings) -> Iterator[LiveServer]:
    """`create_app(settings)` served by uvicorn on 127.0.0.1 in a thread, stopped afterwards."""
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@dataclass
class SseEvent:
    event: str
    data: Any
    id: str | None = None


def read_sse(response: httpx.Response) -> list[SseEvent]:
    """Parse an event stream to its end: `event:`, `id:`, `data:` lines, blank-line separated."""
    events: list[SseEvent] = []
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if "data" in fields:
                events.append(
                    SseEvent(fields.get("event", "message"), json.loads(fields["data"]),
                             fields.get("id"))
                )  # fmt: skip
            fields = {}
            continue
        if line.startswith(":"):
            continue  # a comment (keep-alive ping)
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        fields[name] = fields[name] + "\n" + value if name in fields else value
    return events


def state_url(pg: PgServer, dbname: str) -> str:
    """The server's URL, pointing at another database on it."""
    parts = urlsplit(pg.url)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


@contextmanager
def state_database(pg: PgServer) -> Iterator[str]:
    """A fresh database on the real PostgreSQL for DBARCH_STATE_URL; dropped afterwards."""
    name = f"dbarch_state_test_{secrets.token_hex(4)}"
    with connect(pg.dsn(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield state_url(pg, name)
    finally:
        with connect(pg.dsn(), autocommit=True) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


Opener = Callable[[], Database]


@pytest.fixture(params=["sqlite", "postgresql"])
def opener(request: pytest.FixtureRequest, pg: PgServer, tmp_path: Path) -> Iterator[Opener]:
    """Opens a new connection to one shared state database, as another process would."""
    with contextlib.ExitStack() as stack:
        url = None if request.param == "sqlite" else stack.enter_context(state_database(pg))
        opened: list[Database] = []
        stack.callback(lambda: [db.close() for db in opened])  # before the database is dropped

        def open_one() -> Database:
            opened.append(open_database(url, tmp_path / "service.sqlite"))
            return opened[-1]

        yield open_one


def wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    """Poll `/healthz` until 200 (the port may be bound late); the process must stay up."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "dbarch serve exited"
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("dbarch serve did not become healthy")
