"""Values for an access pattern's `$n` parameters, taken from the rows the session can see.

A request carries real values: the id of a project that exists, an email someone signed up
with. Each parameter is matched with the column it is compared with (`project_id = $1`,
`recorded_at >= $2`, `INSERT INTO t (a, b) VALUES ($1, $2)`), and the values come from one
row of that column's table, read in the same session (so under the same tenant). Range
bounds are moved one step outside the row's value so the row itself matches; LIMIT gets
50. A parameter compared with no single column stays NULL: the statement still has to run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pglast import ast
from pglast.enums.parsenodes import A_Expr_Kind
from psycopg import sql

from tools.sql.astwalk import walk
from tools.sql.catalog import Catalog, ColumnInfo
from tools.sql.query import Scope
from tools.sql.server import Conn

Role = Literal["equal", "lower", "upper", "array", "contains", "limit", "offset"]
_FIXED: dict[Role, str] = {"limit": "50", "offset": "0", "contains": "{}"}
_FLIPPED: dict[str, str] = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "@>": "<@"}
_BY_OPERATOR: dict[str, Role] = {">": "lower", ">=": "lower", "<": "upper", "<=": "upper",
                                 "@>": "contains"}  # fmt: skip
_LIKE_KINDS = (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE, A_Expr_Kind.AEXPR_SIMILAR)
_BETWEEN_KINDS = (A_Expr_Kind.AEXPR_BETWEEN, A_Expr_Kind.AEXPR_BETWEEN_SYM)


@dataclass(frozen=True)
class Slot:
    """Where one `$n` sits: compared with `table.column` (written as `alias`) in `role`."""

    number: int
    role: Role
    alias: str | None = None
    table: str | None = None
    column: str | None = None


def parameter_count(statement: ast.Node) -> int:
    numbers = [n.number or 0 for n in walk(statement) if isinstance(n, ast.ParamRef)]
    return max(numbers, default=0)


def parameter_slots(statement: ast.Node, catalog: Catalog) -> dict[int, Slot]:
    """Each parameter's slot, for the parameters a column (or LIMIT/OFFSET) explains."""
    scope = Scope(catalog)
    for node in walk(statement):
        if isinstance(node, ast.RangeVar):
            scope.add_range_var(node)
    slots: dict[int, Slot] = {}
    for slot in _slots(statement, scope):
        slots.setdefault(slot.number, slot)
    return slots


def _slots(statement: ast.Node, scope: Scope) -> Iterator[Slot]:
    for node in walk(statement):
        if isinstance(node, ast.A_Expr):
            yield from _compared(node, scope)
        elif isinstance(node, ast.SelectStmt):
            for value, role in ((node.limitCount, "limit"), (node.limitOffset, "offset")):
                if (number := _param(value)) is not None:
                    yield Slot(number, role)  # type: ignore[arg-type]
        elif isinstance(node, ast.InsertStmt):
            yield from _inserted(node, scope)
        elif isinstance(node, ast.UpdateStmt):
            yield from _assigned(node, scope)


def _compared(expr: ast.A_Expr, scope: Scope) -> Iterator[Slot]:
    operator = "".join(n.sval or "" for n in expr.name or () if isinstance(n, ast.String))
    rights = expr.rexpr if isinstance(expr.rexpr, tuple) else (expr.rexpr,)
    if expr.kind in _BETWEEN_KINDS and len(rights) == 2:
        for side, role in zip(rights, ("lower", "upper"), strict=True):
            yield from _column_slot(expr.lexpr, side, role, scope)  # type: ignore[arg-type]
        return
    if expr.kind == A_Expr_Kind.AEXPR_IN:
        for side in rights:
            yield from _column_slot(expr.lexpr, side, "equal", scope)
        return
    if expr.kind in (A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_OP_ALL):
        yield from _column_slot(expr.lexpr, expr.rexpr, "array", scope)
        return
    if expr.kind != A_Expr_Kind.AEXPR_OP and expr.kind not in _LIKE_KINDS:
        return
    yield from _column_slot(expr.lexpr, expr.rexpr, _BY_OPERATOR.get(operator, "equal"), scope)
    flipped = _BY_OPERATOR.get(_FLIPPED.get(operator, operator), "equal")
    yield from _column_slot(expr.rexpr, expr.lexpr, flipped, scope)


def _column_slot(
    column_side: object, param_side: object, role: Role, scope: Scope
) -> Iterator[Slot]:
    number = _param(param_side)
    refs = [n for n in walk(column_side) if isinstance(n, ast.ColumnRef)]
    if number is None or len(refs) != 1 or _param(column_side) is not None:
        return
    resolved = scope.resolve(refs[0])
    if resolved is None:
        return
    fields = [f.sval for f in refs[0].fields or () if isinstance(f, ast.String)]
    alias = fields[-2] if len(fields) >= 2 else resolved[0]
    yield Slot(number, role, alias, *resolved)


def _inserted(node: ast.InsertStmt, scope: Scope) -> Iterator[Slot]:
    select = node.selectStmt
    if not isinstance(select, ast.SelectStmt) or not select.valuesLists or node.relation is None:
        return
    table = scope.add_range_var(node.relation)
    names = [t.name for t in node.cols or () if isinstance(t, ast.ResTarget)]
    for name, item in zip(names, select.valuesLists[0], strict=False):
        if (number := _param(item)) is not None and table and name:
            yield Slot(number, "equal", node.relation.relname, table, name)


def _assigned(node: ast.UpdateStmt, scope: Scope) -> Iterator[Slot]:
    if node.relation is None:
        return
    table = scope.add_range_var(node.relation)
    alias = node.relation.alias.aliasname if node.relation.alias else node.relation.relname
    for target in node.targetList or ():
        number = _param(target.val) if isinstance(target, ast.ResTarget) else None
        if number is not None and table and target.name:
            yield Slot(number, "equal", alias, table, target.name)


def _param(node: object) -> int | None:
    """The number of the one parameter a side is made of (`$1`, `$1::jsonb`, `lower($1)`)."""
    found = {n.number for n in walk(node) if isinstance(n, ast.ParamRef)}
    columns = any(isinstance(n, ast.ColumnRef) for n in walk(node))
    return found.pop() if len(found) == 1 and not columns else None


def bind(conn: Conn, slots: dict[int, Slot], count: int, catalog: Catalog) -> list[str | None]:
    """Values for $1..$count as text (PostgreSQL casts them to each parameter's type)."""
    values: list[str | None] = [None] * count
    groups: dict[tuple[str, str], list[Slot]] = {}
    for slot in slots.values():
        if slot.role in _FIXED:
            values[slot.number - 1] = _FIXED[slot.role]
        elif slot.table and slot.column:
            groups.setdefault((slot.alias or slot.table, slot.table), []).append(slot)
    for (_, table), group in groups.items():
        row = _anchor_row(conn, table, group, catalog)
        for slot, value in zip(group, row or (), strict=False):
            values[slot.number - 1] = value
    return values


def _anchor_row(
    conn: Conn, table: str, group: list[Slot], catalog: Catalog
) -> tuple[str, ...] | None:
    info = catalog.table(table)
    if info is None:
        return None
    exprs, present = [], []
    for slot in group:
        column = info.columns.get(slot.column or "")
        if column is None:
            return None
        exprs.append(_value_expr(slot.role, column))
        present.append(sql.SQL("{} IS NOT NULL").format(sql.Identifier(column.name)))
    query = sql.SQL("SELECT {} FROM {} WHERE {} LIMIT 1").format(
        sql.SQL(", ").join(exprs), sql.Identifier(*table.split(".")), sql.SQL(" AND ").join(present)
    )
    row = conn.execute(query).fetchone()
    return tuple(str(v) for v in row) if row is not None else None


def _value_expr(role: Role, column: ColumnInfo) -> sql.Composable:
    name = sql.Identifier(column.name)
    step = _step(column)
    if role == "array":
        return sql.SQL("ARRAY[{}]::text").format(name)
    if role in ("lower", "upper") and step is not None:
        sign = sql.SQL("-" if role == "lower" else "+")
        return sql.SQL("({} {} {})::text").format(name, sign, sql.SQL(step))
    return sql.SQL("{}::text").format(name)


def _step(column: ColumnInfo) -> str | None:
    """One step of the column's type, to put a range bound just outside a value."""
    if column.category == "N":
        return "1"
    if column.category == "D":
        return "1" if column.type == "date" else "interval '1 day'"
    return None
