"""Lookups before a tenant is known (login by email, an invitation link), under RLS.

Under shared-schema tenancy a table's policy admits only the session tenant's rows, and at
login no tenant is known yet: the stated query would return nothing for the application
role. Each such read pattern gets a narrow SECURITY DEFINER function that runs exactly the
pattern's query as the table owner, with search_path pinned (pg_temp last). The table's
row-level security stays enabled but is not forced, so that the owner, and only code
running as the owner, reads across tenants; the report says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pglast import ast
from pglast.parser import ParseError

from agent.brains.rules.schema.plan import LookupDef, SchemaPlan, TableDef
from agent.spec import AccessPattern, Requirements
from agent.stages import TenancyPlan
from tools.sql import pgparse
from tools.sql.astwalk import walk

SEARCH_PATH = "pg_catalog, public, pg_temp"
_BEFORE_TENANT = re.compile(
    r"\b(log\s?in|login|sign[\s-]?in|signin|invit\w*|password\s+reset|magic\s+link)\b", re.I
)


def runs_before_tenant(pattern: AccessPattern) -> bool:
    """Stated (`before_tenant`), else read patterns named like a login or an invitation."""
    if pattern.before_tenant is not None:
        return pattern.before_tenant
    return not pattern.is_write and bool(_BEFORE_TENANT.search(pattern.name))


@dataclass
class _Shape:
    table: str
    query: str
    arguments: list[str]
    returns: list[tuple[str, str]]


def apply_lookups(spec: Requirements, plan: SchemaPlan, tenancy: TenancyPlan) -> None:
    """A lookup function per pre-tenant pattern on a table with tenant row-level security."""
    if tenancy.model != "shared-schema" or tenancy.tenant_column is None:
        return
    taken = set(plan.functions)
    for pattern in spec.access_patterns:
        if not runs_before_tenant(pattern):
            continue
        shape = _shape(pattern.sql, plan)
        table = plan.tables.get(shape.table) if shape else None
        if shape is None or table is None:
            plan.assumptions.append(
                f"'{pattern.name}' runs before a tenant is known but is not a single-table "
                "SELECT of plain columns with typed parameters: serve it from a global "
                "identity table, or state it as one"
            )
            continue
        if not table.rls or _filters_tenant(pattern.sql, tenancy.tenant_column):
            continue
        name = _function_name(pattern.name, taken)
        taken.add(name)
        plan.lookups.append(
            LookupDef(name, table.name, pattern.name, shape.query, shape.arguments, shape.returns)
        )
    for table in plan.tables.values():
        _unforce(table, [lookup for lookup in plan.lookups if lookup.table == table.name])


def _unforce(table: TableDef, lookups: list[LookupDef]) -> None:
    if not lookups:
        return
    functions = ", ".join(f"{lookup.name}()" for lookup in lookups)
    patterns = ", ".join(f"'{lookup.pattern}'" for lookup in lookups)
    table.force_rls = False
    table.unforced_reason = (
        f"{functions} {'reads' if len(lookups) == 1 else 'read'} it as the owner before a "
        f"tenant is known ({patterns}); the application role, which does not own the table, "
        "is still filtered by the policy"
    )


def _function_name(pattern: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", pattern.lower()).strip("_")[:55] or "lookup"
    base = base if base[0].isalpha() else f"lookup_{base}"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}_{number}"
    return name


def _filters_tenant(sql: str, column: str) -> bool:
    """The pattern names the tenant key in its WHERE: the tenant is known, no function needed."""
    try:
        statements = pgparse.parse_sql(sql)
    except ParseError:
        return False
    return any(
        isinstance(node, ast.ColumnRef) and _column(node) == column
        for raw in statements
        if isinstance(raw.stmt, ast.SelectStmt)
        for node in walk(raw.stmt.whereClause)
    )


def _column(ref: ast.ColumnRef) -> str | None:
    fields = [f.sval for f in ref.fields or () if isinstance(f, ast.String)]
    return fields[-1] if fields else None


def _shape(sql: str, plan: SchemaPlan) -> _Shape | None:
    """The pattern's table, returned columns and parameter types, when they are plain."""
    try:
        statements = pgparse.parse_sql(sql)
    except ParseError:
        return None
    stmt = statements[0].stmt if len(statements) == 1 else None
    if not isinstance(stmt, ast.SelectStmt) or len(stmt.fromClause or ()) != 1:
        return None
    source = stmt.fromClause[0] if stmt.fromClause else None
    table = plan.tables.get(source.relname or "") if isinstance(source, ast.RangeVar) else None
    if table is None:
        return None
    returns = _returns(stmt, table)
    arguments = _arguments(stmt, table)
    if returns is None or arguments is None:
        return None
    return _Shape(table.name, sql.strip().rstrip(";"), arguments, returns)


def _returns(stmt: ast.SelectStmt, table: TableDef) -> list[tuple[str, str]] | None:
    found: list[tuple[str, str]] = []
    for target in stmt.targetList or ():
        value = target.val if isinstance(target, ast.ResTarget) else None
        if not isinstance(value, ast.ColumnRef):
            return None
        if isinstance((value.fields or (None,))[-1], ast.A_Star):
            found += [(c.name, c.sql_type) for c in table.columns]
            continue
        column = table.column(_column(value) or "")
        if column is None:
            return None
        found.append((target.name or column.name, column.sql_type))
    return found or None


def _arguments(stmt: ast.SelectStmt, table: TableDef) -> list[str] | None:
    """`$n` typed by the column it is compared with (`email = $1`); every `$n` must be."""
    typed: dict[int, str] = {}
    for node in walk(stmt):
        if not isinstance(node, ast.A_Expr):
            continue
        for side, other in ((node.lexpr, node.rexpr), (node.rexpr, node.lexpr)):
            column = table.column(_column(side) or "") if isinstance(side, ast.ColumnRef) else None
            if column is not None and isinstance(other, ast.ParamRef) and other.number:
                typed[other.number] = column.sql_type
    numbers = {n.number or 0 for n in walk(stmt) if isinstance(n, ast.ParamRef)}
    if not numbers or numbers != set(range(1, max(numbers) + 1)) or numbers - typed.keys():
        return None
    return [typed[n] for n in sorted(numbers)]
