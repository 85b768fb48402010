"""Findings about one query's plan: what makes it slow at the stated volumes, and where.

Rules: `seq-scan-on-large-table`, `select-star`, `offset-pagination`,
`function-on-indexed-column`, `missing-join-index`. Each reads the plan JSON and the
query's parsed shape, so a finding names a real table and column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pglast import ast
from pydantic import BaseModel, ConfigDict

from tools.sql.catalog import Catalog, TableInfo
from tools.sql.query.shape import SelectShape, query_shapes

Severity = Literal["error", "warning", "info"]


class PlanFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str
    severity: Severity
    message: str
    relation: str | None = None
    column: str | None = None


def plan_findings(
    name: str, stmt: ast.Node, plan: dict[str, Any], catalog: Catalog, large_rows: int
) -> list[PlanFinding]:
    shapes = query_shapes(stmt, catalog)
    seq_scanned = {
        n["Relation Name"] for n in iter_plan_nodes(plan) if n["Node Type"] == "Seq Scan"
    }
    found = list(_seq_scans(name, plan, catalog, large_rows))
    for shape in shapes:
        found.extend(_shape_findings(name, shape, catalog, seq_scanned, large_rows))
    return _unique(found)


def iter_plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from iter_plan_nodes(child)


def _seq_scans(
    name: str, plan: dict[str, Any], catalog: Catalog, large_rows: int
) -> Iterator[PlanFinding]:
    for node in iter_plan_nodes(plan):
        table = catalog.table(node.get("Relation Name", ""))
        if node["Node Type"] != "Seq Scan" or table is None or table.rows < large_rows:
            continue
        detail = f" filtering {node['Filter']}" if "Filter" in node else ""
        yield PlanFinding(
            rule="seq-scan-on-large-table",
            severity="warning",
            message=f"query '{name}' reads all {table.rows:,.0f} rows of {table.name}{detail}",
            relation=table.name,
        )


def _shape_findings(
    name: str, shape: SelectShape, catalog: Catalog, seq_scanned: set[str], large_rows: int
) -> Iterator[PlanFinding]:
    if shape.star:
        message = f"query '{name}' selects *: name the columns it needs"
        yield PlanFinding(rule="select-star", severity="info", message=message)
    if shape.offset:
        message = f"query '{name}' pages with OFFSET, which reads and discards every skipped row"
        yield PlanFinding(rule="offset-pagination", severity="warning", message=message)
    yield from _wrapped_columns(name, shape, catalog)
    yield from _join_indexes(name, shape, catalog, seq_scanned, large_rows)


def _wrapped_columns(name: str, shape: SelectShape, catalog: Catalog) -> Iterator[PlanFinding]:
    for flt in shape.filters:
        table = catalog.table(flt.table)
        if flt.expression is None or table is None or not table.leading_indexed(flt.column):
            continue
        if _has_expression_index(table, flt.expression):
            continue
        yield PlanFinding(
            rule="function-on-indexed-column",
            severity="warning",
            message=(
                f"query '{name}' filters on {flt.expression}, so the index on "
                f"{table.name}.{flt.column} cannot be used; compare the bare column or "
                "add an expression index"
            ),
            relation=table.name,
            column=flt.column,
        )


def _has_expression_index(table: TableInfo, expression: str) -> bool:
    wanted = "".join(expression.lower().split())
    squeezed = ["".join(ix.definition.lower().split()) for ix in table.indexes if "" in ix.columns]
    return any(wanted in definition for definition in squeezed)


def _join_indexes(
    name: str, shape: SelectShape, catalog: Catalog, seq_scanned: set[str], large_rows: int
) -> Iterator[PlanFinding]:
    for join in shape.joins:
        for table_name, column in (join.left, join.right):
            table = catalog.table(table_name)
            if table is None or table.rows < large_rows or table_name not in seq_scanned:
                continue
            if table.leading_indexed(column):
                continue
            yield PlanFinding(
                rule="missing-join-index",
                severity="warning",
                message=(
                    f"query '{name}' joins on {table_name}.{column}, which no index leads "
                    f"with; {table_name} ({table.rows:,.0f} rows) is read in full"
                ),
                relation=table_name,
                column=column,
            )


def _unique(findings: list[PlanFinding]) -> list[PlanFinding]:
    seen: dict[tuple[str, str | None, str | None, str], PlanFinding] = {}
    for finding in findings:
        seen.setdefault((finding.rule, finding.relation, finding.column, finding.message), finding)
    return list(seen.values())
