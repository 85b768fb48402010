"""Shared fixtures: the real embedded PostgreSQL (started once) and a loopback-only network."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tools.sql.server import PgServer, Scratch, resolve_server, scratch_database

# CI shares 2 cores with PostgreSQL: a slow draw or example is load, not a finding. The
# properties are still checked on every example; only the timing health checks are off.
settings.register_profile("dbarch", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("dbarch")

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Pagila, Chinook and OpenStreetMap as their tools write them (see fixtures/corpus/README.md).
CORPUS = FIXTURES / "corpus"

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> None:
    """Tests may talk to 127.0.0.1, ::1 and Unix sockets, never to the outside."""
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = str(address[0])
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise OSError(f"network access outside loopback blocked in tests: {host}")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _block_network() -> Iterator[None]:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def pg() -> PgServer:
    """The real PostgreSQL every SQL test uses: embedded unless DATABASE_URL says otherwise."""
    return resolve_server(os.environ.get("DATABASE_URL"))


@pytest.fixture
def scratch(pg: PgServer) -> Iterator[Scratch]:
    """A fresh scratch database, dropped after the test."""
    with scratch_database(pg) as db:
        yield db
