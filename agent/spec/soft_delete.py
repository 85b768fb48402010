"""Soft delete in a spec: which tables keep deleted rows, and patterns that must skip them.

A soft-deleted table keeps removed rows with `deleted_at` set (a name of the contract, so
access patterns can be written against it). A read pattern that lists or counts rows of
such a table must say `deleted_at IS NULL`, or it hands deleted rows to the application;
a lookup by primary key may read a deleted row on purpose (to show it as deleted).
"""

from __future__ import annotations

from pglast import ast
from pglast.parser import ParseError

from agent.naming import SOFT_DELETE_COLUMN, table_name
from agent.spec.contract import Problem
from agent.spec.model import AccessPattern, Requirements
from tools.sql import pgparse
from tools.sql.astwalk import walk


def soft_deleted_tables(spec: Requirements) -> list[str]:
    """Tables of entities with soft delete (their own flag, else the spec's default)."""
    return [
        table_name(e.name)
        for e in spec.entities
        if (e.soft_delete if e.soft_delete is not None else spec.soft_delete)
    ]


def unfiltered_reads(pattern: AccessPattern, soft: set[str]) -> list[str]:
    """Soft-deleted tables a read pattern reads without any condition on `deleted_at`."""
    if pattern.is_write:
        return []
    try:
        statements = pgparse.parse_sql(pattern.sql)
    except ParseError:
        return []  # the SQL problem is reported by the spec's own SQL check
    found: list[str] = []
    for raw in statements:
        refs = _range_names(raw.stmt)
        filtered = _qualifiers_of(raw.stmt, SOFT_DELETE_COLUMN)
        by_id = _qualifiers_of(raw.stmt, "id", equality_only=True)
        for table, alias in refs:
            if table not in soft or table in found:
                continue
            names = {alias, table, None} if len(refs) == 1 else {alias, table}
            if names & filtered or names & by_id:
                continue
            found.append(table)
    return found


def _range_names(stmt: ast.Node | None) -> list[tuple[str, str]]:
    """(table, alias or table) for every table the statement reads."""
    return [
        (node.relname, (node.alias.aliasname if node.alias else None) or node.relname)
        for node in walk(stmt)
        if isinstance(node, ast.RangeVar) and node.relname
    ]


def _qualifiers_of(
    stmt: ast.Node | None, column: str, equality_only: bool = False
) -> set[str | None]:
    """Qualifiers (alias, table or None) of references to `column` anywhere (or in `=`)."""
    nodes = (
        [
            side
            for node in walk(stmt)
            if isinstance(node, ast.A_Expr) and _is_equality(node)
            for side, other in ((node.lexpr, node.rexpr), (node.rexpr, node.lexpr))
            if _is_value(other)
        ]
        if equality_only
        else list(walk(stmt))
    )
    found: set[str | None] = set()
    for node in nodes:
        if not isinstance(node, ast.ColumnRef):
            continue
        parts = [f.sval for f in node.fields or () if isinstance(f, ast.String)]
        if parts and parts[-1] == column:
            found.add(parts[-2] if len(parts) > 1 else None)
    return found


def _is_value(node: object) -> bool:
    """A parameter or a literal (a join condition `a.task_id = t.id` is not a lookup)."""
    if isinstance(node, ast.TypeCast):
        node = node.arg
    return isinstance(node, ast.ParamRef | ast.A_Const)


def _is_equality(node: ast.A_Expr) -> bool:
    names = [n.sval for n in node.name or () if isinstance(n, ast.String)]
    return names == ["="]


def soft_delete_problems(spec: Requirements) -> list[Problem]:
    soft = set(soft_deleted_tables(spec))
    problems: list[Problem] = []
    for index, pattern in enumerate(spec.access_patterns):
        for table in unfiltered_reads(pattern, soft) if soft else []:
            message = (
                f"access pattern '{pattern.name}' reads {table}, which keeps deleted rows "
                f"(soft delete), without a condition on {SOFT_DELETE_COLUMN}: add "
                f"`{SOFT_DELETE_COLUMN} IS NULL` (qualified by its alias in a join), or look "
                "the row up by id"
            )
            problems.append(Problem(("access_patterns", index, "sql"), message))
    return problems
