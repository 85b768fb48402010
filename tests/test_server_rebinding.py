"""DNS rebinding: a server without tokens answers only to loopback Host names (and a browser
only from a loopback Origin), on the REST routes and /mcp alike, checked on a live server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from service_support import LiveServer, live_server, settings_for

from agent.service.guards.hosts import loopback_authority, loopback_origin
from tools.sql.server import PgServer

MCP_PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}
ROUTES = [
    ("GET", "/healthz", None),
    ("GET", "/metrics", None),
    ("GET", "/v1/designs/0123abc", None),
    ("POST", "/v1/review", {"schema": "CREATE TABLE t (id int PRIMARY KEY);"}),
    ("POST", "/v1/sessions", {}),
    ("POST", "/mcp", MCP_PING),
]


@pytest.fixture(scope="module")
def open_server(pg: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = settings_for(tmp_path_factory.mktemp("rebinding"), pg, workers=0)
    with live_server(settings) as server:
        yield server


def _call(server: LiveServer, method: str, path: str, body: object, **headers: str) -> int:
    response = httpx.request(
        method, f"{server.url}{path}", json=body, headers={**MCP_HEADERS, **headers}, timeout=60
    )
    return response.status_code


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_a_foreign_host_is_421_on_every_route(
    open_server: LiveServer, method: str, path: str, body: object
) -> None:
    for host in ("attacker.example", "127.0.0.1.nip.io", "localhost.attacker.example"):
        assert _call(open_server, method, path, body, Host=host) == 421


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_a_foreign_origin_is_403_on_every_route(
    open_server: LiveServer, method: str, path: str, body: object
) -> None:
    port = open_server.url.rsplit(":", 1)[1]
    for origin in ("http://attacker.example", "null", f"http://attacker.example:{port}"):
        assert _call(open_server, method, path, body, Origin=origin) == 403


def test_loopback_names_and_origins_are_served(open_server: LiveServer) -> None:
    port = open_server.url.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "127.0.0.1"):
        assert _call(open_server, "GET", "/healthz", None, Host=host) == 200
    for origin in (f"http://localhost:{port}", f"http://127.0.0.1:{port}"):
        assert _call(open_server, "POST", "/mcp", MCP_PING, Origin=origin) == 200


def test_with_tokens_any_host_is_served(
    pg: PgServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A token is what a rebinding page lacks; a proxy in front may use its own name."""
    home = tmp_path_factory.mktemp("proxied")
    settings = settings_for(home, pg, workers=0, DBARCH_API_TOKENS="t")
    with live_server(settings) as server:
        assert _call(server, "GET", "/healthz", None, Host="api.example.org") == 200
        assert _call(server, "GET", "/metrics", None, Host="api.example.org") == 401


@pytest.mark.parametrize(
    "authority",
    ["127.0.0.1", "127.0.0.1:8080", "127.9.9.9:1", "localhost", "LOCALHOST:80", "[::1]:8080"],
)
def test_loopback_authorities_pass(authority: str) -> None:
    assert loopback_authority(authority)
    assert loopback_origin(f"http://{authority}") and loopback_origin(f"https://{authority}")


@pytest.mark.parametrize(
    "authority",
    [
        "", "attacker.example", "127.0.0.1.attacker.example", "127.0.0.1@attacker.example",
        "attacker.example#@127.0.0.1", "attacker.example/127.0.0.1", "127.0.0.1:99999",
        "127.0.0.1:80:80", "localhost:abc", "127.0.0.1/x", "0.0.0.0", "[::]:80", "::1",
        "127.1", "localhost.", "user@localhost",
    ],
)  # fmt: skip
def test_other_authorities_do_not(authority: str) -> None:
    assert not loopback_authority(authority)
    assert not loopback_origin(f"http://{authority}")
