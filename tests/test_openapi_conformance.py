"""The OpenAPI document is true: schemathesis fuzzes a live server on loopback from it and
finds no server error, no undocumented status or content type, no body off its schema.

Bounded: a fixed seed, a few examples per operation, no job workers (runs stay queued, so
nothing heavy starts) and event streams that end after a second. One run without tokens,
one with a bearer token (then schemathesis also checks that auth is really enforced).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from service_support import live_server, settings_for

from tools.sql.server import PgServer

TOKEN = "conformance-token"
# positive_data_acceptance is left out on purpose: a schema cannot say "SQL that parses",
# "a persona that exists" or "a brain this server can run", and those are rightly 422s.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
]


@pytest.mark.slow
@pytest.mark.parametrize("tokens", ["", TOKEN], ids=["no-tokens", "bearer"])
def test_schemathesis_finds_no_failure(pg: PgServer, tmp_path: Path, tokens: str) -> None:
    settings = settings_for(
        tmp_path / "home", pg, DBARCH_API_TOKENS=tokens, workers=0, sse_max_s=1.0,
        rate_limit_per_minute=0, auth_failures_per_minute=0,
    )  # fmt: skip
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "run", "--no-color",
        "--checks", ",".join(CHECKS), "--seed", "20261204", "--max-examples", "8",
        "--workers", "1", "--request-timeout", "30", "--generation-database", "none",
        "--phases", "coverage,fuzzing,stateful",
    ]  # fmt: skip
    if tokens:
        command += ["--header", f"Authorization: Bearer {tokens}"]
    with live_server(settings) as server:
        run = subprocess.run(
            [*command, f"{server.url}/openapi.json"],
            cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-8000:]
    assert "13 selected / 13 total" in report  # every operation was in the run
