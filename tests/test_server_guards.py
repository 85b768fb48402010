"""Service guards on a real uvicorn server: tokens, bind refusal, body cap, rate limit, 422s."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from service_support import LiveServer, live_server, local_client, settings_for

from agent.service import check_bind, create_app
from tools.errors import InputError
from tools.sql.server import PgServer

TOKEN = "t0k3n-for-tests-only"
OTHER = "second-token"


@pytest.fixture(scope="module")
def guarded(pg: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("guarded")
    settings = settings_for(
        home, pg, DBARCH_API_TOKENS=f"{TOKEN}, {OTHER}", max_body_bytes=4096, mount_mcp=False
    )
    with live_server(settings) as server:
        yield server


def test_no_token_is_401_with_a_bearer_challenge(guarded: LiveServer) -> None:
    with guarded.client() as client:
        response = client.post("/v1/review", json={"schema": "CREATE TABLE t (id int)"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="dbarch"'
    assert response.json()["type"] == "Unauthorized"


def test_wrong_token_is_401_and_never_echoed(guarded: LiveServer) -> None:
    wrong = "not-the-token-0123456789"
    with guarded.client(wrong) as client:
        response = client.get("/metrics")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert wrong not in response.text
    basic = httpx.get(f"{guarded.url}/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401


@pytest.mark.parametrize("token", [TOKEN, OTHER])
def test_every_configured_token_is_accepted(guarded: LiveServer, token: str) -> None:
    with guarded.client(token) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert TOKEN not in response.text and OTHER not in response.text


def test_healthz_needs_no_token(guarded: LiveServer) -> None:
    response = httpx.get(f"{guarded.url}/healthz", timeout=30)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_body_over_the_cap_is_413_by_content_length(guarded: LiveServer) -> None:
    with guarded.client(TOKEN) as client:
        response = client.post("/v1/review", json={"schema": "x" * 5000})
    assert response.status_code == 413
    assert response.json()["limit"] == 4096


def test_chunked_body_over_the_cap_is_413(guarded: LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"schema": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    with guarded.client(TOKEN) as client:
        response = client.post(
            "/v1/review", content=chunks(), headers={"content-type": "application/json"}
        )
    assert response.status_code == 413


def test_bad_spec_is_422_with_the_problem_key_paths(guarded: LiveServer) -> None:
    spec = {"name": "shop", "entities": [{"name": "order", "attributes": {"total": "blob"}}]}
    with guarded.client(TOKEN) as client:
        response = client.post("/v1/designs", json={"spec": {**spec, "colour": "red"}})
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "SpecError"
    assert {p["path"] for p in body["problems"]} >= {"colour"}


def test_spec_text_errors_carry_line_and_column(guarded: LiveServer) -> None:
    text = "name: shop\nentities:\n  - name: order\n    attributes:\n      total: blob\n"
    with guarded.client(TOKEN) as client:
        response = client.post("/v1/designs", json={"spec": text})
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert problem["path"] == "entities[0].attributes.total"
    assert (problem["line"], problem["column"]) == (5, 14)


def test_a_spec_string_is_never_read_as_a_server_path(guarded: LiveServer) -> None:
    with guarded.client(TOKEN) as client:
        response = client.post("/v1/designs", json={"spec": "/etc/hostname"})
    assert response.status_code == 422
    assert "mapping" in response.json()["problems"][0]["message"]


def test_body_validation_is_422_with_the_key_path(guarded: LiveServer) -> None:
    with guarded.client(TOKEN) as client:
        wrong_type = client.post("/v1/designs", json={"spec": {}, "rows": {"tasks": "many"}})
        unknown = client.post("/v1/review", json={"schema": "SELECT 1", "scheme": "x"})
    assert wrong_type.status_code == 422
    assert [p["path"] for p in wrong_type.json()["problems"]] == ["body.rows.tasks"]
    assert unknown.status_code == 422
    assert "body.scheme" in [p["path"] for p in unknown.json()["problems"]]


def test_rate_limit_is_429_with_retry_after_and_shared_by_processes(
    pg: PgServer, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, pg, rate_limit_per_minute=3, mount_mcp=False)
    with live_server(settings) as first, live_server(settings) as second:
        codes = [httpx.get(f"{first.url}/v1/sessions/nope").status_code for _ in range(3)]
        assert codes == [404, 404, 404]
        limited = httpx.get(f"{second.url}/v1/sessions/nope")  # same store, same caller
    assert limited.status_code == 429
    retry = int(limited.headers["retry-after"])
    assert 1 <= retry <= 60
    assert limited.json()["retry_after"] == retry


def _fresh_window(window_s: int = 60, margin_s: float = 15) -> None:
    """Start a count early in a fixed window, so it cannot roll over halfway through."""
    left = window_s - time.time() % window_s
    if left < margin_s:
        time.sleep(left + 0.1)


def test_failed_authentication_is_throttled_per_address_across_processes(
    pg: PgServer, tmp_path: Path
) -> None:
    settings = settings_for(
        tmp_path, pg, DBARCH_API_TOKENS=TOKEN, auth_failures_per_minute=5, mount_mcp=False
    )
    with live_server(settings) as first, live_server(settings) as second:
        _fresh_window()
        guesses = [
            httpx.get(f"{first.url}/metrics", headers={"Authorization": f"Bearer guess-{i}"})
            for i in range(5)
        ]
        missing = httpx.get(f"{second.url}/v1/designs/x")  # same address, another process
        right = httpx.get(f"{second.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert [g.status_code for g in guesses] == [401] * 5
    for throttled in (missing, right):  # even the right token waits: no oracle for guessers
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["retry-after"]) <= 60
        assert "failed authentications" in throttled.json()["message"]


def test_binding_beyond_loopback_needs_tokens(pg: PgServer, tmp_path: Path) -> None:
    open_settings = settings_for(tmp_path, pg)
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind(host, open_settings)
    for host in ("0.0.0.0", "::", "192.0.2.10", "example.org"):
        with pytest.raises(InputError, match="DBARCH_API_TOKENS"):
            check_bind(host, open_settings)
    check_bind("0.0.0.0", settings_for(tmp_path, pg, DBARCH_API_TOKENS=TOKEN))


def test_dbarch_serve_refuses_an_open_bind(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.cli import exits
    from agent.cli.serve import serve_command

    monkeypatch.delenv("DBARCH_API_TOKENS", raising=False)
    with pytest.raises(InputError, match=r"refusing to bind to 0\.0\.0\.0") as refused:
        serve_command(host="0.0.0.0", port=9)
    assert exits.code_for(refused.value) == exits.BAD_INPUT


def test_unknown_ids_are_404(pg: PgServer, tmp_path: Path) -> None:

    with local_client(create_app(settings_for(tmp_path, pg, mount_mcp=False))) as client:
        assert client.get("/v1/designs/0123abc").status_code == 404
        assert client.get("/v1/designs/0123abc/events").status_code == 404
        assert client.post("/v1/designs/x/answers", json={"answers": {}}).status_code == 404
        assert client.get("/v1/sessions/x").json()["type"] == "NotFound"


def test_refusals_keep_the_connection_and_are_counted(
    pg: PgServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """401, 413 and 429 are answered on a kept-alive connection, logged without a traceback
    and counted in /metrics under their route template (a FastAPI 0.16x router once broke it)."""
    settings = settings_for(
        tmp_path, pg, DBARCH_API_TOKENS=TOKEN, max_body_bytes=512, rate_limit_per_minute=3,
        mount_mcp=False,
    )  # fmt: skip
    with live_server(settings) as server, server.client() as anonymous:
        assert anonymous.get("/v1/designs/abc").status_code == 401
        with server.client(TOKEN) as client:
            too_big = client.post("/v1/review", content=b"x" * 2048)
            codes = [client.get("/v1/sessions/nope").status_code for _ in range(4)]
            metrics = client.get("/metrics")
            metrics = metrics if metrics.status_code == 200 else None
        assert anonymous.get("/v1/designs/abc").status_code == 401  # same connection, still open
    assert too_big.status_code == 413 and codes == [404, 404, 404, 429]
    assert "Traceback" not in caplog.text and "AttributeError" not in caplog.text
    assert metrics is not None  # /metrics is never rate-limited
    counted = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in metrics.text.splitlines()
        if line.startswith("dbarch_http_requests_total{")
    }
    expected = [
        'method="GET",route="/v1/designs/{job_id}",status="401"',
        'method="POST",route="/v1/review",status="413"',
        'method="GET",route="/v1/sessions/{session_id}",status="429"',
    ]
    for labels in expected:
        assert counted.get(f"dbarch_http_requests_total{{{labels}}}") == 1, metrics.text
