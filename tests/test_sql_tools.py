"""The model-facing SQL tools through `Toolset.call`, on real DDL files and a real PostgreSQL."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from tools.catalog import all_tools
from tools.registry import ToolContext, Toolset
from tools.sql.review import TOOLS
from tools.sql.server import SCRATCH_PREFIX, PgServer, connect

SQL = FIXTURES / "service"


def _text(name: str) -> str:
    return (SQL / name).read_text(encoding="utf-8")


@pytest.fixture
def tools(pg: PgServer, tmp_path: Path) -> Toolset:
    return Toolset(TOOLS, ToolContext(workspace=tmp_path, pg=pg))


def _call(tools: Toolset, name: str, args: dict[str, Any]) -> dict[str, Any]:
    outcome = tools.call(name, args)
    assert not outcome.is_error, outcome.content
    result: dict[str, Any] = json.loads(outcome.content)
    return result


def test_schemas_are_generated_from_the_input_models() -> None:
    schemas = {tool.name: tool.schema() for tool in TOOLS}
    assert set(schemas) == {"review_schema", "validate_ddl", "lint_schema", "render_erd"}
    for schema in schemas.values():
        body = schema["input_schema"]
        assert body["required"] == ["schema"]  # one name for DDL in every tool
        assert body["additionalProperties"] is False
        assert "title" not in body
        assert len(schema["description"]) > 60
    assert schemas["lint_schema"]["input_schema"]["properties"]["min_severity"]["enum"] == [
        "error",
        "warning",
        "info",
    ]


def test_catalogue_serves_the_review_tools() -> None:
    found = all_tools()
    for tool in TOOLS:
        assert found[tool.name] is tool


def test_validate_ddl_accepts_a_sound_schema(tools: Toolset) -> None:
    result = _call(tools, "validate_ddl", {"schema": _text("shop.sql"), "name": "shop.sql"})
    assert result["valid"] is True
    assert result["applied"] == 4
    assert result["tables"] == ["customers", "orders", "order_items"]
    assert result["errors"] == [] and result["error_count"] == 0
    assert result["server_version"] >= 180000


def test_validate_ddl_names_the_refused_statement_and_its_consequence(tools: Toolset) -> None:
    result = _call(tools, "validate_ddl", {"schema": _text("broken.sql"), "name": "broken.sql"})
    assert result["valid"] is False
    assert result["error_count"] == 2
    root, follow = result["errors"]
    assert root["message"] == 'relation "customers" does not exist'
    assert (root["file"], root["line"], root["sqlstate"]) == ("broken.sql", 8, "42P01")
    assert root.get("caused_by") is None
    assert follow["kind"] == "IndexStmt" and follow["line"] == 16
    assert follow["caused_by"] == 8


def test_validate_ddl_caps_the_error_list_but_counts_all(tools: Toolset) -> None:
    result = _call(tools, "validate_ddl", {"schema": _text("broken.sql"), "max_errors": 1})
    assert result["error_count"] == 2
    assert [e["line"] for e in result["errors"]] == [8]


def test_validate_ddl_leaves_no_scratch_database(tools: Toolset, pg: PgServer) -> None:
    _call(tools, "validate_ddl", {"schema": _text("shop.sql")})
    mine = f"{SCRATCH_PREFIX}{os.getpid()}_%"
    with connect(pg.dsn(), autocommit=True) as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (mine,))
        assert left.fetchall() == []


def test_validate_ddl_refuses_without_a_server(tmp_path: Path) -> None:
    outcome = Toolset(TOOLS, ToolContext(workspace=tmp_path)).call(
        "validate_ddl", {"schema": _text("shop.sql")}
    )
    assert outcome.is_error
    assert "needs a PostgreSQL server" in outcome.content


@pytest.mark.parametrize("tool", ["validate_ddl", "lint_schema", "render_erd"])
def test_syntax_errors_are_positioned(tools: Toolset, tool: str) -> None:
    outcome = tools.call(tool, {"schema": _text("syntax.sql"), "name": "syntax.sql"})
    assert outcome.is_error
    assert outcome.content.startswith("SqlSyntaxError: syntax.sql:8:5:")
    assert '"label"' in outcome.content


def test_lint_schema_finds_the_unindexed_foreign_key(tools: Toolset) -> None:
    result = _call(tools, "lint_schema", {"schema": _text("shop.sql"), "name": "shop.sql"})
    assert result["counts"] == {"error": 0, "warning": 1, "info": 0}
    (finding,) = result["findings"]
    assert finding["rule"] == "fk-without-index"
    assert (finding["table"], finding["column"], finding["line"]) == ("orders", "customer_id", 12)


def test_lint_schema_orders_by_severity_and_filters(tools: Toolset) -> None:
    sql = _text("broken.sql")
    every = _call(tools, "lint_schema", {"schema": sql})
    assert every["findings"][0]["rule"] == "float-for-money"
    assert every["counts"]["error"] == 1
    errors_only = _call(tools, "lint_schema", {"schema": sql, "min_severity": "error"})
    assert [f["rule"] for f in errors_only["findings"]] == ["float-for-money"]
    only = ["timestamp-without-time-zone"]
    one_rule = _call(tools, "lint_schema", {"schema": sql, "rules": only})
    assert {f["rule"] for f in one_rule["findings"]} == {"timestamp-without-time-zone"}
    assert one_rule["findings"][0]["column"] == "issued_at"


def test_lint_schema_passes_squawk_findings_through(tools: Toolset) -> None:
    result = _call(tools, "lint_schema", {"schema": _text("shop.sql"), "squawk": True})
    squawk = [f for f in result["findings"] if f["rule"].startswith("squawk:")]
    assert {(f["table"], f["column"]) for f in squawk} == {
        ("order_items", "line_no"),
        ("order_items", "quantity"),
    }
    assert all(f["severity"] == "info" for f in squawk)


def test_render_erd_draws_tables_and_cardinalities(tools: Toolset) -> None:
    outcome = tools.call("render_erd", {"schema": _text("shop.sql")})
    assert not outcome.is_error
    lines = outcome.content.splitlines()
    assert lines[0] == "erDiagram"
    assert '    "customers" ||..o{ "orders" : "customer_id"' in lines
    assert '    "orders" ||--o{ "order_items" : "order_id"' in lines


def test_render_erd_can_draw_a_subset(tools: Toolset) -> None:
    outcome = tools.call("render_erd", {"schema": _text("shop.sql"), "tables": ["orders"]})
    assert not outcome.is_error
    assert '"orders" {' in outcome.content
    assert "customers" not in outcome.content
    missing = tools.call("render_erd", {"schema": _text("shop.sql"), "tables": ["payments"]})
    assert missing.is_error
    assert "payments" in missing.content and "customers, orders, order_items" in missing.content


@pytest.mark.parametrize(
    ("name", "raw", "needle"),
    [
        ("validate_ddl", {"schema": "SELECT 1", "path": "/etc/passwd"}, "path"),
        ("lint_schema", {}, "'schema' is required"),
        ("lint_schema", {"schema": "CREATE TABLE t (id int)", "rules": ["no-such"]}, "no-such"),
        ("render_erd", {"schema": ""}, "'schema' should have at least 1 character"),
        ("validate_ddl", {"sql": "SELECT 1"}, "'sql' is not an input of this tool (inputs: schema"),
        ("validate_ddl", '{"schema": ', "not valid JSON"),
        (
            "lint_schema",
            {"schema": "CREATE TABLE t (id int)", "min_severity": "fatal"},
            "'min_severity' should be 'error', 'warning' or 'info' (got 'fatal').",
        ),
    ],
)
def test_bad_input_is_an_error_result(
    tools: Toolset, name: str, raw: dict[str, Any] | str, needle: str
) -> None:
    outcome = tools.call(name, raw)
    assert outcome.is_error
    assert needle in outcome.content
    assert "\n" not in outcome.content and "pydantic" not in outcome.content  # one sentence


def test_json_text_input_is_accepted(tools: Toolset) -> None:
    raw = json.dumps({"schema": _text("shop.sql"), "rules": ["fk-without-index"]})
    outcome = tools.call("lint_schema", raw)
    assert not outcome.is_error
    assert json.loads(outcome.content)["counts"]["warning"] == 1
