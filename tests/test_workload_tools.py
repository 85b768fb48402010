"""The explain_queries and advise_indexes tools through the registry, as the model calls them."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FIXTURES

from tools.registry import ToolContext, Toolset
from tools.sql.advise.tools import TOOLS
from tools.sql.server import PgServer

WORKLOAD = FIXTURES / "workload"


def _toolset(pg: PgServer, tmp_path: Path) -> Toolset:
    return Toolset(TOOLS, ToolContext(workspace=tmp_path, pg=pg))


def test_schemas_are_generated_from_the_input_models(pg: PgServer, tmp_path: Path) -> None:
    schemas = {s["name"]: s for s in _toolset(pg, tmp_path).schemas()}
    assert set(schemas) == {"explain_queries", "advise_indexes"}
    assert schemas["advise_indexes"]["input_schema"]["required"] == ["schema", "workload"]
    assert "additionalProperties" in schemas["explain_queries"]["input_schema"]


def test_explain_tool_plans_on_sample_data_and_names_failures(pg: PgServer, tmp_path: Path) -> None:
    queries = "-- name: by customer\nSELECT id FROM orders WHERE customer_id = $1;\n"
    queries += "-- name: broken\nSELECT nope FROM orders;"
    args = {"schema": (WORKLOAD / "shop.sql").read_text(), "workload": queries}
    args["rows"] = {"orders": 20000}
    outcome = _toolset(pg, tmp_path).call("explain_queries", args)
    assert not outcome.is_error
    result = json.loads(outcome.content)
    assert [p["name"] for p in result["plans"]] == ["by customer", "broken"]
    assert "plan" not in result["plans"][0]
    rules = {f["rule"] for f in result["plans"][0]["findings"]}
    assert "seq-scan-on-large-table" in rules
    assert result["failed"] and "query 'broken'" in result["failed"][0]


def test_explain_tool_without_schema_needs_a_configured_database(
    pg: PgServer, tmp_path: Path
) -> None:
    outcome = _toolset(pg, tmp_path).call("explain_queries", {"workload": "SELECT 1"})
    assert outcome.is_error == pg.embedded


def test_advise_tool_returns_proven_indexes(pg: PgServer, tmp_path: Path) -> None:
    args = {
        "schema": (WORKLOAD / "shop.sql").read_text(),
        "workload": "-- name: history\nSELECT id FROM orders WHERE customer_id = $1",
        "rows": {"orders": 20000, "customers": 2000},
        "budget": "8MB",
    }
    outcome = _toolset(pg, tmp_path).call("advise_indexes", args)
    assert not outcome.is_error, outcome.content
    result = json.loads(outcome.content)
    [advice] = result["index_advice"]
    assert advice["queries"] == ["history"] and '"customer_id"' in advice["ddl"]
    assert advice["cost_after"] < advice["cost_before"]
    assert result["budget_bytes"] == 8 * 1024**2
