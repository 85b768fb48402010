"""Rewrites of one SELECT's parse tree that keep its result columns: each returns why, or None.

Every function edits the pglast tree in place and only when it can keep the query's meaning
(the columns it returns and their order); a shape it cannot handle safely (USING joins,
subqueries in FROM, mixed sort directions) is left alone and `None` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from pglast import ast, enums
from pglast.stream import RawStream

from tools.sql import pgparse
from tools.sql.astwalk import column_ref_name, func_name, walk
from tools.sql.catalog import Catalog, TableInfo

_DATE_FUNCS = frozenset({"date"})


@dataclass(frozen=True)
class Source:
    """One table of a FROM clause and the name queries refer to it by."""

    alias: str
    table: TableInfo


def sql(node: ast.Node) -> str:
    return str(RawStream()(node))


def from_tables(stmt: ast.SelectStmt, catalog: Catalog) -> list[Source] | None:
    """The plain tables of FROM in order; None when a source's columns are not simply its own."""
    found: list[Source] = []
    stack = list(reversed(stmt.fromClause or ()))
    while stack:
        item = stack.pop()
        if isinstance(item, ast.JoinExpr):
            if item.usingClause or item.isNatural:
                return None  # USING/NATURAL merge columns: `*` is not the tables' columns
            stack += [item.rarg, item.larg]
        elif isinstance(item, ast.RangeVar):
            key = item.relname or ""
            if item.schemaname and item.schemaname != "public":
                key = f"{item.schemaname}.{key}"
            table = catalog.table(key)
            if table is None:
                return None
            alias = item.alias.aliasname if item.alias and item.alias.aliasname else item.relname
            found.append(Source(alias or key, table))
        else:
            return None
    return found


def column(qualifier: str | None, name: str) -> ast.ColumnRef:
    parts = (qualifier, name) if qualifier else (name,)
    return ast.ColumnRef(fields=tuple(ast.String(sval=p) for p in parts))


def expand_star(stmt: ast.SelectStmt, catalog: Catalog) -> str | None:
    """`SELECT *` / `t.*` -> the columns from the catalogue, in table order."""
    sources = from_tables(stmt, catalog)
    if not sources:
        return None
    targets: list[ast.Node] = []
    expanded = False
    for target in stmt.targetList or ():
        value = target.val if isinstance(target, ast.ResTarget) else None
        fields = value.fields or () if isinstance(value, ast.ColumnRef) else ()
        if not fields or not isinstance(fields[-1], ast.A_Star):
            targets.append(target)
            continue
        qualifier = (
            fields[-2].sval if len(fields) > 1 and isinstance(fields[-2], ast.String) else None
        )
        chosen = [s for s in sources if qualifier is None or s.alias == qualifier]
        if not chosen:
            return None
        qualify = qualifier is not None or len(sources) > 1
        for source in chosen:
            for name in source.table.columns:
                ref = column(source.alias if qualify else None, name)
                targets.append(ast.ResTarget(val=ref))
        expanded = True
    if not expanded:
        return None
    stmt.targetList = tuple(targets)
    return (
        "SELECT * reads and ships every column, including ones added later, and keeps "
        "covering indexes from serving the query; these are the columns it returns today: "
        "keep the ones the caller reads."
    )


def unique_keys(table: TableInfo) -> list[list[str]]:
    """Column lists that identify a row: the primary key first, then full unique indexes."""
    keys = [ix.columns for ix in table.indexes if ix.primary]
    keys += [ix.columns for ix in table.indexes if ix.unique and not ix.primary and not ix.partial]
    return [k for k in keys if k and "" not in k]


def params(stmt: ast.Node) -> list[ast.ParamRef]:
    return [n for n in walk(stmt) if isinstance(n, ast.ParamRef)]


def renumber_params(stmt: ast.Node) -> int:
    """Number the remaining `$n` 1..k in order of first number (a dropped OFFSET leaves a gap)."""
    refs = params(stmt)
    mapping = {old: new for new, old in enumerate(sorted({r.number or 0 for r in refs}), 1)}
    for ref in refs:
        ref.number = mapping[ref.number or 0]
    return len(mapping)


def and_where(stmt: ast.SelectStmt, predicate: str) -> None:
    parsed = pgparse.parse_sql(f"SELECT 1 WHERE {predicate}")[0].stmt
    assert isinstance(parsed, ast.SelectStmt) and parsed.whereClause is not None
    extra = parsed.whereClause
    if stmt.whereClause is None:
        stmt.whereClause = extra
    else:
        stmt.whereClause = ast.BoolExpr(
            boolop=enums.BoolExprType.AND_EXPR, args=(stmt.whereClause, extra)
        )


def sargable_dates(stmt: ast.SelectStmt) -> str | None:
    """`col::date = x` / `date(col) = x` -> a half-open range on the bare column."""
    conjuncts: list[ast.Node] = []
    changed = []
    for conjunct in _conjuncts(stmt.whereClause):
        replaced = _date_range(conjunct)
        if replaced is None:
            conjuncts.append(conjunct)
        else:
            conjuncts += _conjuncts(replaced[0])  # flat: `a AND b AND c`, not `(a AND b) AND c`
            changed.append(replaced[1])
    if not changed:
        return None
    stmt.whereClause = (
        conjuncts[0]
        if len(conjuncts) == 1
        else ast.BoolExpr(boolop=enums.BoolExprType.AND_EXPR, args=tuple(conjuncts))
    )
    return (
        f"casting {', '.join(changed)} to a date hides the column from its index; the "
        "half-open range on the bare column selects the same rows and can use it."
    )


def _conjuncts(node: ast.Node | None) -> list[ast.Node]:
    if node is None:
        return []
    if isinstance(node, ast.BoolExpr) and node.boolop == enums.BoolExprType.AND_EXPR:
        return list(node.args or ())
    return [node]


def _date_range(node: ast.Node) -> tuple[ast.Node, str] | None:
    if not isinstance(node, ast.A_Expr) or node.kind != enums.A_Expr_Kind.AEXPR_OP:
        return None
    if [n.sval for n in node.name or () if isinstance(n, ast.String)] != ["="]:
        return None
    for wrapped, other in ((node.lexpr, node.rexpr), (node.rexpr, node.lexpr)):
        ref = _date_of_column(wrapped)
        if ref is not None and isinstance(other, ast.Node) and not _has_column(other):
            col, value = sql(ref), sql(other)
            text = f"{col} >= CAST({value} AS date) AND {col} < CAST({value} AS date) + 1"
            parsed = pgparse.parse_sql(f"SELECT 1 WHERE {text}")[0].stmt
            assert isinstance(parsed, ast.SelectStmt) and parsed.whereClause is not None
            return parsed.whereClause, col
    return None


def _date_of_column(node: object) -> ast.ColumnRef | None:
    if isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.ColumnRef):
        names = [n.sval for n in node.typeName.names or ()] if node.typeName else []
        return node.arg if names and names[-1] == "date" else None
    if isinstance(node, ast.FuncCall) and func_name(node) in _DATE_FUNCS:
        args = node.args or ()
        if len(args) == 1 and isinstance(args[0], ast.ColumnRef):
            return args[0]
    return None


def _has_column(node: ast.Node) -> bool:
    return any(isinstance(n, ast.ColumnRef) and column_ref_name(n) is not None for n in walk(node))
