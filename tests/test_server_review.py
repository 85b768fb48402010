"""POST /v1/review on real SQL against the real PostgreSQL: the review JSON and index advice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import CORPUS, FIXTURES
from fastapi.testclient import TestClient
from service_support import local_client, settings_for

from agent.service import create_app
from tools.sql.server import PgServer

SQL = FIXTURES / "service"


@pytest.fixture(scope="module")
def client(pg: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("review")
    with local_client(create_app(settings_for(home, pg, mount_mcp=False, workers=0))) as client:
        yield client


def _review(client: TestClient, name: str, **extra: object) -> dict[str, object]:
    body = {"schema": (SQL / name).read_text(encoding="utf-8"), "name": name, **extra}
    response = client.post("/v1/review", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def test_a_syntax_error_is_422_with_its_line_and_column(client: TestClient) -> None:
    body = {"schema": (SQL / "syntax.sql").read_text(encoding="utf-8"), "name": "syntax.sql"}
    response = client.post("/v1/review", json=body)
    assert response.status_code == 422
    assert response.json() == {
        "type": "SqlSyntaxError",
        "message": 'syntax error at or near "label"',
        "file": "syntax.sql",
        "line": 8,
        "column": 5,
    }


def test_review_json_has_the_documented_fields(client: TestClient) -> None:
    report = _review(client, "broken.sql", squawk=False)
    assert report["valid"] is False
    assert report["tables"] == ["accounts", "invoices"]
    errors = report["errors"]
    assert isinstance(errors, list)
    assert (errors[0]["line"], errors[0]["message"]) == (
        8,
        'relation "customers" does not exist',
    )
    findings = report["findings"]
    assert isinstance(findings, list)
    first = findings[0]
    assert {"rule", "severity", "table", "column", "message"} <= set(first)
    assert (first["rule"], first["severity"], first["column"]) == (
        "float-for-money",
        "error",
        "amount",
    )
    assert str(report["erd"]).startswith("erDiagram")
    assert report["index_advice"] == [] and "workload" not in report


def test_a_real_dump_reviews_clean_of_refusals(client: TestClient) -> None:
    body = {"schema": (CORPUS / "chinook-postgresql.sql").read_text(encoding="utf-8")}
    response = client.post("/v1/review", json=body)
    assert response.status_code == 200
    report = response.json()
    assert report["valid"] is True
    assert {"album", "artist", "track"} <= set(report["tables"])


def test_a_workload_gets_index_advice_that_pays_off(client: TestClient) -> None:
    workload = (SQL / "workload.sql").read_text(encoding="utf-8")
    rows = {"customers": 20_000, "orders": 200_000, "order_items": 10}
    report = _review(client, "shop.sql", workload=workload, rows=rows, squawk=False)
    advice = report["index_advice"]
    assert isinstance(advice, list) and advice
    best = advice[0]
    assert best["table"] == "orders" and "customer_id" in best["ddl"]
    assert best["queries"] == ["recent orders of a customer"]
    assert best["cost_after"] < best["cost_before"]
    (plan,) = report["plans"]  # type: ignore[misc]
    assert plan["name"] == "recent orders of a customer" and plan["total_cost"] > 0
    summary = report["workload"]
    assert isinstance(summary, dict)
    assert summary["workload_cost_after"] < summary["workload_cost_before"]
