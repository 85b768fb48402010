"""`dbarch review --workload`: plans[] and index_advice[] in the JSON, exit codes, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

from tools.counts import parse_rows
from tools.errors import InputError

WORKLOAD = FIXTURES / "workload"
DBARCH = Path(sys.executable).parent / "dbarch"


def dbarch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DBARCH), *args], capture_output=True, text=True, timeout=300, check=False,
        env=dict(os.environ),
    )  # fmt: skip


def test_review_with_workload_adds_plans_and_index_advice(tmp_path: Path) -> None:
    queries = tmp_path / "q.sql"
    queries.write_text(
        "-- name: history\nSELECT id, total FROM orders WHERE customer_id = $1;\n"
        "-- name: broken\nSELECT id FROM orderz;\n"
    )
    done = dbarch(
        "review", str(WORKLOAD / "shop.sql"), "--format", "json", "--workload", str(queries),
        "--rows", "orders=30k", "--rows", "customers=3000", "--budget", "8MB",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # a query failed to plan
    report = json.loads(done.stdout)
    assert report["valid"] is True
    assert [p["name"] for p in report["plans"]] == ["history", "broken"]
    assert report["plans"][1]["error"].startswith("query 'broken' (")
    [advice] = report["index_advice"]
    assert advice["queries"] == ["history"] and advice["cost_after"] < advice["cost_before"]
    assert {"ddl", "queries", "cost_before", "cost_after", "size_bytes"} <= set(advice)
    assert report["workload"]["budget_bytes"] == 8 * 1024**2
    assert report["workload"]["errors"] == [report["plans"][1]["error"]]


def test_workload_syntax_error_is_bad_input_naming_the_position(tmp_path: Path) -> None:
    queries = tmp_path / "q.sql"
    queries.write_text("SELECT 1;\nSELEC 2;\n")
    done = dbarch("review", str(WORKLOAD / "shop.sql"), "--workload", str(queries))
    assert done.returncode == 2
    assert f"{queries}:2:1" in done.stderr


def test_rows_option_parses_counts_with_suffixes() -> None:
    assert parse_rows(["orders=2M", "users=50k", "events=1.5b", "t=1_000"]) == {
        "orders": 2_000_000, "users": 50_000, "events": 1_500_000_000, "t": 1000,
    }  # fmt: skip
    with pytest.raises(InputError, match="TABLE=COUNT"):
        parse_rows(["orders"])
