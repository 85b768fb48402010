"""`dbarch explain` on a database given by DATABASE_URL: plans, refusals, nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES

from tools.sql.server import PgServer, Scratch, connect, scratch_database

WORKLOAD = FIXTURES / "workload"
DBARCH = Path(sys.executable).parent / "dbarch"


@pytest.fixture(scope="module")
def users_db(pg: PgServer) -> Iterator[Scratch]:
    """Stands in for a user's own database: the shop schema with hand-written rows."""
    with scratch_database(pg) as db:
        with connect(db.dsn, autocommit=True) as conn:
            conn.execute((WORKLOAD / "shop.sql").read_text())
            conn.execute((WORKLOAD / "shop_data.sql").read_text())
        yield db


def dbarch(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": dsn}
    argv = [str(DBARCH), "explain", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env, check=False)


def test_explains_the_users_database_read_only(users_db: Scratch, tmp_path: Path) -> None:
    queries = tmp_path / "q.sql"
    queries.write_text(
        "-- name: history\nSELECT id FROM orders WHERE customer_id = $1 ORDER BY created_at;\n"
        "-- name: smuggle\nSELECT 1; COMMIT; DELETE FROM order_items;\n"
        "-- name: wipe\nWITH x AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM x;\n"
    )
    done = dbarch(users_db.dsn, str(queries), "--format", "json")
    assert done.returncode == 1, done.stderr
    plans = {p["name"]: p for p in json.loads(done.stdout)["plans"]}
    assert plans["history"]["total_cost"] > 0 and plans["history"]["generic"] is True
    # The file splits where PostgreSQL's grammar does: COMMIT and DELETE are statements
    # of their own, each refused by name, while the SELECT before them plans.
    assert plans["smuggle"]["error"] is None
    assert "only SELECT" in plans["q3"]["error"] and "only SELECT" in plans["q4"]["error"]
    assert "DELETE inside a query" in plans["wipe"]["error"]
    with connect(users_db.dsn) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_items)"
        )
        assert counts.fetchone() == (60000, 60000)


def test_needs_database_url_and_refuses_writes(tmp_path: Path) -> None:
    queries = tmp_path / "q.sql"
    queries.write_text("SELECT 1")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    argv = [str(DBARCH), "explain", str(queries)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, check=False)
    assert done.returncode == 2 and "DATABASE_URL" in done.stderr
    refused = dbarch("postgresql:///nowhere", str(queries), "--no-read-only")
    assert refused.returncode == 2 and "only ever read" in refused.stderr
