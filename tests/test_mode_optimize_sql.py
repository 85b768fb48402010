"""Query rewrites and the optimize index plan on hand-built catalogues (no database needed)."""

from __future__ import annotations

import pglast
import pytest
from pglast import ast

from agent.brains.rules.optimize.indexes import covering, index_plan, link_rewrites
from agent.brains.rules.optimize.keyset import keyset
from agent.brains.rules.optimize.rewrites import rewrite_query
from agent.brains.rules.optimize.sql import expand_star, sargable_dates, sql
from agent.stages import GateFinding, IndexRecommendation, QueryRewrite
from tools.sql.advise import AdviceResult, IndexAdvice, WorkloadReport
from tools.sql.catalog import Catalog, ColumnInfo, IndexInfo, TableInfo
from tools.sql.query import PlanFinding, parse_workload


def _table(name: str, columns: list[str], primary: list[str], rows: float = 50_000) -> TableInfo:
    table = TableInfo(name, oid=1, rows=rows, size_bytes=8192)
    table.columns = {c: ColumnInfo(c, "text", "S") for c in columns}
    pkey = IndexInfo(f"{name}_pkey", primary, [], True, True, "btree", False, "", 8192)
    table.indexes = [pkey]
    return table


CATALOG = Catalog(
    tables={
        "tasks": _table("tasks", ["id", "project_id", "title", "created_at"], ["id"]),
        "projects": _table("projects", ["id", "name"], ["id"]),
        "events": _table("events", ["device_id", "at", "value"], ["device_id", "at"]),
    }
)


def _select(text: str) -> ast.SelectStmt:
    stmt = pglast.parse_sql(text)[0].stmt
    assert isinstance(stmt, ast.SelectStmt)
    return stmt


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "SELECT * FROM tasks WHERE id = $1",
            "SELECT id, project_id, title, created_at FROM tasks WHERE id = $1",
        ),
        (
            "SELECT * FROM tasks t JOIN projects p ON p.id = t.project_id",
            "SELECT t.id, t.project_id, t.title, t.created_at, p.id, p.name "
            "FROM tasks AS t INNER JOIN projects AS p ON p.id = t.project_id",
        ),
        (
            "SELECT p.name, t.* FROM tasks t JOIN projects p ON p.id = t.project_id",
            "SELECT p.name, t.id, t.project_id, t.title, t.created_at "
            "FROM tasks AS t INNER JOIN projects AS p ON p.id = t.project_id",
        ),
    ],
)
def test_star_becomes_the_catalogue_columns_in_order(before: str, after: str) -> None:
    stmt = _select(before)
    assert expand_star(stmt, CATALOG) is not None
    assert sql(stmt) == after


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM tasks JOIN projects USING (id)",  # USING merges the id columns
        "SELECT * FROM (SELECT id FROM tasks) s",  # a subquery's columns are its own
        "SELECT * FROM nowhere",  # not in the catalogue
        "SELECT id FROM tasks",  # nothing to expand
    ],
)
def test_star_left_alone_when_the_columns_would_differ(text: str) -> None:
    stmt = _select(text)
    assert expand_star(stmt, CATALOG) is None
    assert sql(stmt) == sql(_select(text))


def test_keyset_descending_with_a_tiebreaker_and_renumbered_parameters() -> None:
    stmt = _select(
        "SELECT id, title FROM tasks WHERE project_id = $1 "
        "ORDER BY created_at DESC LIMIT 50 OFFSET $2"
    )
    why = keyset(stmt, CATALOG)
    assert why is not None and "created_at, id as $2, $3" in why
    assert sql(stmt) == (
        "SELECT id, title FROM tasks WHERE project_id = $1 AND (created_at, id) < ($2, $3) "
        "ORDER BY created_at DESC, id DESC LIMIT 50"
    )


def test_keyset_on_a_unique_key_and_without_order_by() -> None:
    unique = _select("SELECT id FROM tasks ORDER BY id LIMIT 10 OFFSET 100")
    assert keyset(unique, CATALOG) is not None
    assert sql(unique) == "SELECT id FROM tasks WHERE id > $1 ORDER BY id LIMIT 10"
    unordered = _select("SELECT value FROM events LIMIT 10 OFFSET 20")
    assert keyset(unordered, CATALOG) is not None
    assert sql(unordered) == (
        "SELECT value FROM events WHERE (device_id, at) > ($1, $2) ORDER BY device_id, at LIMIT 10"
    )


@pytest.mark.parametrize(
    "text",
    [
        "SELECT id FROM tasks ORDER BY created_at DESC, title LIMIT 5 OFFSET 5",  # mixed
        "SELECT id FROM tasks ORDER BY lower(title) LIMIT 5 OFFSET 5",  # an expression
        "SELECT id FROM tasks ORDER BY created_at NULLS FIRST LIMIT 5 OFFSET 5",
        "SELECT id FROM tasks ORDER BY id LIMIT 5",  # no OFFSET
    ],
)
def test_keyset_refuses_orderings_one_row_comparison_cannot_seek(text: str) -> None:
    assert keyset(_select(text), CATALOG) is None


def test_date_casts_become_half_open_ranges() -> None:
    stmt = _select("SELECT id FROM tasks WHERE date(created_at) = $1 AND project_id = $2")
    assert sargable_dates(stmt) is not None
    assert sql(stmt) == (
        "SELECT id FROM tasks WHERE created_at >= CAST($1 AS date) "
        "AND created_at < CAST($1 AS date) + 1 AND project_id = $2"
    )
    assert sargable_dates(_select("SELECT id FROM tasks WHERE lower(title) = $1")) is None


def test_join_column_finding_becomes_an_index_rewrite() -> None:
    (query,) = parse_workload(
        "-- name: titles of a project\n"
        "SELECT t.title FROM tasks t JOIN projects p ON t.project_id = p.id WHERE p.name = $1"
    )
    finding = PlanFinding(
        rule="missing-join-index",
        severity="warning",
        message="joins on tasks.project_id",
        relation="tasks",
        column="project_id",
    )
    (rewrite,) = rewrite_query(query, [finding], CATALOG)
    assert rewrite.problem == "missing-join-index" and rewrite.rewritten == query.sql
    assert rewrite.index_ddl == "CREATE INDEX tasks_project_id_idx ON tasks (project_id)"


def _advice(ddl: str, table: str) -> IndexAdvice:
    return IndexAdvice(
        ddl=ddl,
        table=table,
        kind="btree",
        queries=["q"],
        cost_before=100.0,
        cost_after=5.0,
        size_bytes=8192,
    )


def test_index_plan_reuses_the_advisors_index_and_rejects_what_the_gate_refused() -> None:
    advice = AdviceResult(
        advice=[
            _advice("CREATE INDEX tasks_pc_idx ON tasks (project_id, created_at)", "tasks"),
            _advice("CREATE INDEX projects_name_idx ON projects (name)", "projects"),
        ],
        method="built",
        budget_bytes=1 << 20,
    )
    rewrite = QueryRewrite(
        query="q",
        problem="missing-join-index",
        original="SELECT 1",
        rewritten="SELECT 1",
        why="join column",
        index_ddl="CREATE INDEX tasks_project_id_idx ON tasks (project_id)",
    )
    refused = GateFinding(
        gate="indexes_pay_off",
        message="index projects_name_idx lowers no access pattern's cost at the stated volumes",
    )
    plan = index_plan(advice, [rewrite], WorkloadReport(), [refused], existing={"tasks_pkey"})
    assert [i.ddl for i in plan.indexes] == [advice.advice[0].ddl]
    assert [r.ddl for r in plan.rejected] == [advice.advice[1].ddl]
    (linked,) = link_rewrites([rewrite], plan)
    assert linked.index_ddl == advice.advice[0].ddl
    own = IndexRecommendation(
        ddl="CREATE INDEX x ON events (value)", table="events", columns=["value"]
    )
    assert covering("CREATE INDEX y ON events (value, at)", [own]) is own
    assert covering("CREATE INDEX y ON events (at)", [own]) is None
