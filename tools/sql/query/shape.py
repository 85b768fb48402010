"""What each SELECT of a query asks of its tables: filters, joins, ORDER BY, GROUP BY.

Parsed with pglast into resolved (table, column) facts; index candidates and plan findings
are derived from these facts, never from the query text.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from pglast import ast, enums

from tools.sql.astwalk import func_name, walk, walk_scope
from tools.sql.catalog import Catalog
from tools.sql.query.scope import Scope, column_refs, range_vars, unqualified

_RANGE_OPS = frozenset({"<", ">", "<=", ">="})
_CONTAINS_OPS = frozenset({"@>", "<@", "?", "?|", "?&", "&&", "@?", "@@"})
_KIND_OPS = {
    enums.A_Expr_Kind.AEXPR_IN: "in",
    enums.A_Expr_Kind.AEXPR_OP_ANY: "in",
    enums.A_Expr_Kind.AEXPR_BETWEEN: "range",
    enums.A_Expr_Kind.AEXPR_BETWEEN_SYM: "range",
    enums.A_Expr_Kind.AEXPR_LIKE: "like",
    enums.A_Expr_Kind.AEXPR_ILIKE: "like",
}
_ANY_SUBLINK = enums.SubLinkType.ANY_SUBLINK
_CONSTANT_NODES = (ast.A_Const, ast.TypeCast, ast.A_ArrayExpr, ast.String, ast.Integer)


@dataclass
class Filter:
    """One conjunct restricting one table: `status = $1`, `lower(email) = $1`, `tags @> x`."""

    table: str
    column: str
    op: str  # eq | in | range | ne | like | null | notnull | contains | bool
    operator: str | None = None
    expression: str | None = None  # unqualified expression when the column is wrapped
    constant: str | None = None  # unqualified predicate text when it holds only literals


@dataclass
class Join:
    left: tuple[str, str]
    right: tuple[str, str]


@dataclass
class SelectShape:
    tables: list[str] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    joins: list[Join] = field(default_factory=list)
    order_by: list[tuple[str, str, bool]] = field(default_factory=list)  # table, col, desc
    group_by: list[tuple[str, str]] = field(default_factory=list)
    used: dict[str, set[str]] = field(default_factory=dict)
    star: bool = False
    offset: bool = False
    limit: bool = False


def query_shapes(stmt: ast.Node, catalog: Catalog) -> list[SelectShape]:
    """One shape per SELECT in the statement: CTE bodies, set-operation arms, subqueries."""
    shapes: list[SelectShape] = []
    for node in walk(stmt):
        if isinstance(node, ast.UpdateStmt | ast.DeleteStmt):
            shapes.append(_dml_shape(node, catalog))
    _visit_select(_top_select(stmt), Scope(catalog), shapes)
    return shapes


def _top_select(stmt: ast.Node) -> ast.Node | None:
    if isinstance(stmt, ast.ExplainStmt):
        return stmt.query
    return stmt


def _visit_select(node: ast.Node | None, outer: Scope, shapes: list[SelectShape]) -> None:
    if not isinstance(node, ast.SelectStmt):
        return
    outer = replace(outer, ctes=outer.ctes | _cte_names(node))
    bodies = [c.ctequery for c in _ctes(node)]
    for body in bodies:
        _visit_select(body, outer, shapes)
    if node.op != enums.SetOperation.SETOP_NONE:
        for arm in (node.larg, node.rarg):
            _visit_select(arm, outer, shapes)
        return
    scope = Scope(outer.catalog, outer if outer.aliases else outer.parent, outer.ctes)
    for item in node.fromClause or ():
        range_vars(item, scope)
    shapes.append(_shape(node, scope))
    for nested in walk_scope(node):
        is_body = any(nested is body for body in bodies)
        if isinstance(nested, ast.SelectStmt) and nested is not node and not is_body:
            _visit_select(nested, scope, shapes)


def _ctes(node: ast.SelectStmt) -> list[ast.CommonTableExpr]:
    ctes = node.withClause.ctes if node.withClause else ()
    return [c for c in ctes or () if isinstance(c, ast.CommonTableExpr)]


def _cte_names(node: ast.SelectStmt) -> frozenset[str]:
    return frozenset(c.ctename or "" for c in _ctes(node))


def _shape(node: ast.SelectStmt, scope: Scope) -> SelectShape:
    shape = SelectShape(tables=scope.tables, offset=_real_offset(node.limitOffset))
    shape.limit = node.limitCount is not None
    for conjunct in _conjuncts(node.whereClause) + _join_quals(node.fromClause):
        _classify(conjunct, scope, shape)
    shape.joins.extend(_using_joins(node.fromClause, scope))
    shape.order_by = _order_by(node, scope)
    shape.group_by = [ref for g in node.groupClause or () for ref in column_refs(g, scope)[:1]]
    for table, column in column_refs(node, scope):
        shape.used.setdefault(table, set()).add(column)
    shape.star = _star(node, scope, shape)
    return shape


def _dml_shape(node: ast.UpdateStmt | ast.DeleteStmt, catalog: Catalog) -> SelectShape:
    """UPDATE/DELETE find their rows like a SELECT does; indexes on their WHERE help too."""
    scope = Scope(catalog)
    if node.relation is not None:
        scope.add_range_var(node.relation)
    shape = SelectShape(tables=scope.tables)
    for conjunct in _conjuncts(node.whereClause):
        _classify(conjunct, scope, shape)
    return shape


def _real_offset(offset: ast.Node | None) -> bool:
    if isinstance(offset, ast.A_Const) and isinstance(offset.val, ast.Integer):
        return bool(offset.val.ival)
    return offset is not None


def _conjuncts(node: ast.Node | None) -> list[ast.Node]:
    if node is None:
        return []
    if isinstance(node, ast.BoolExpr) and node.boolop == enums.BoolExprType.AND_EXPR:
        return [c for arg in node.args or () for c in _conjuncts(arg)]
    return [node]


def _join_quals(from_clause: tuple[ast.Node, ...] | None) -> list[ast.Node]:
    quals: list[ast.Node] = []
    for item in walk_scope(from_clause or ()):
        if isinstance(item, ast.JoinExpr):
            quals.extend(_conjuncts(item.quals))
    return quals


def _using_joins(from_clause: tuple[ast.Node, ...] | None, scope: Scope) -> list[Join]:
    """`a JOIN b USING (x)` joins a.x to b.x: find which table on each side has x."""
    joins: list[Join] = []
    for item in walk_scope(from_clause or ()):
        if not isinstance(item, ast.JoinExpr) or not item.usingClause:
            continue
        for name in item.usingClause:
            column = name.sval if isinstance(name, ast.String) else None
            left, right = _owner(item.larg, column, scope), _owner(item.rarg, column, scope)
            if column and left and right:
                joins.append(Join((left, column), (right, column)))
    return joins


def _owner(side: ast.Node | None, column: str | None, scope: Scope) -> str | None:
    for item in walk_scope(side):
        if isinstance(item, ast.RangeVar):
            alias = item.alias.aliasname if item.alias else item.relname
            table = scope.aliases.get(alias or "")
            info = scope.catalog.table(table) if table else None
            if info is not None and column in info.columns:
                return table
    return None


def _classify(conjunct: ast.Node, scope: Scope, shape: SelectShape) -> None:
    if isinstance(conjunct, ast.A_Expr):
        _classify_a_expr(conjunct, scope, shape)
    elif isinstance(conjunct, ast.NullTest):
        ref = _single_column(conjunct.arg, scope)
        if ref is not None and ref[1] is None:
            is_null = conjunct.nulltesttype == enums.NullTestType.IS_NULL
            op = "null" if is_null else "notnull"
            shape.filters.append(Filter(*ref[0], op, constant=unqualified(conjunct)))
    elif isinstance(conjunct, ast.ColumnRef | ast.BoolExpr):
        _classify_boolean(conjunct, scope, shape)
    elif (
        isinstance(conjunct, ast.SubLink) and conjunct.subLinkType == enums.SubLinkType.ANY_SUBLINK
    ):
        ref = _single_column(conjunct.testexpr, scope)
        if ref is not None and ref[1] is None:
            shape.filters.append(Filter(*ref[0], "in"))


def _classify_boolean(node: ast.ColumnRef | ast.BoolExpr, scope: Scope, shape: SelectShape) -> None:
    """`WHERE active` and `WHERE NOT archived`: constant predicates, good partial indexes."""
    inner = node
    if isinstance(node, ast.BoolExpr):
        if node.boolop != enums.BoolExprType.NOT_EXPR or not node.args:
            return
        inner = node.args[0]
    if isinstance(inner, ast.ColumnRef):
        resolved = scope.resolve(inner)
        if resolved is not None:
            shape.filters.append(Filter(*resolved, "bool", constant=unqualified(node)))


def _classify_a_expr(expr: ast.A_Expr, scope: Scope, shape: SelectShape) -> None:
    operator = _operator(expr)
    searched = _text_search_side(expr, scope) if operator == "@@" else None
    if searched is not None:
        (owner, first_column), document = searched
        shape.filters.append(Filter(owner, first_column, "contains", operator, document))
        return
    left, right = _single_column(expr.lexpr, scope), _single_column(expr.rexpr, scope)
    if left and right:
        if operator == "=" and left[1] is None and right[1] is None and left[0][0] != right[0][0]:
            shape.joins.append(Join(left[0], right[0]))
        return
    side, other = (left, expr.rexpr) if left else (right, expr.lexpr)
    if side is None or column_refs(other, scope):
        return
    op = _op_name(expr, operator)
    if op is None:
        return
    (table, column), expression = side
    literal = _is_literal(other) and expression is None
    shape.filters.append(
        Filter(table, column, op, operator, expression, unqualified(expr) if literal else None)
    )


def _text_search_side(expr: ast.A_Expr, scope: Scope) -> tuple[tuple[str, str], str] | None:
    """`to_tsvector('english', title || ' ' || body) @@ q`: a document built from one
    table's columns, which an expression GIN index over that very call can serve."""
    for side in (expr.lexpr, expr.rexpr):
        if not isinstance(side, ast.FuncCall) or func_name(side) != "to_tsvector":
            continue
        refs = column_refs(side, scope)
        if refs and len({table for table, _ in refs}) == 1:
            return refs[0], unqualified(side)
    return None


def _operator(expr: ast.A_Expr) -> str:
    names = [n.sval or "" for n in expr.name or () if isinstance(n, ast.String)]
    return names[-1] if names else ""


def _op_name(expr: ast.A_Expr, operator: str) -> str | None:
    kind = expr.kind
    if kind in _KIND_OPS:
        return _KIND_OPS[kind]
    if kind != enums.A_Expr_Kind.AEXPR_OP:
        return None
    if operator == "=":
        return "eq"
    if operator in _RANGE_OPS:
        return "range"
    if operator in ("<>", "!="):
        return "ne"
    return "contains" if operator in _CONTAINS_OPS else None


def _single_column(
    node: ast.Node | tuple[Any, ...] | None, scope: Scope
) -> tuple[tuple[str, str], str | None] | None:
    """((table, column), expression) when `node` reads exactly one column of one table.

    expression is None for the bare column and the unqualified text for `lower(email)`,
    `created_at::date` and the like (an index on the column cannot serve those).
    """
    if not isinstance(node, ast.Node):
        return None  # absent, or a list such as the right side of IN (...)
    if any(isinstance(n, ast.SubLink | ast.SelectStmt) for n in walk(node)):
        return None
    refs = set(column_refs(node, scope))
    if len(refs) != 1:
        return None
    ref = refs.pop()
    return ref, None if isinstance(node, ast.ColumnRef) else unqualified(node)


def _is_literal(node: ast.Node | tuple[Any, ...] | None) -> bool:
    """Only literals (no parameters, no functions) may go into a partial index predicate."""
    if node is None:
        return False
    nodes = list(walk(node))
    allowed = (*_CONSTANT_NODES, ast.TypeName, ast.Float, ast.Boolean)
    return all(isinstance(n, allowed) for n in nodes)


def _order_by(node: ast.SelectStmt, scope: Scope) -> list[tuple[str, str, bool]]:
    """Sort keys when all are plain columns of one table (only then can an index provide them)."""
    keys: list[tuple[str, str, bool]] = []
    for sort in node.sortClause or ():
        if not isinstance(sort, ast.SortBy) or not isinstance(sort.node, ast.ColumnRef):
            return []
        resolved = scope.resolve(sort.node)
        if resolved is None:
            return []
        keys.append((*resolved, sort.sortby_dir == enums.SortByDir.SORTBY_DESC))
    return keys if len({k[0] for k in keys}) == 1 else []


def _star(node: ast.SelectStmt, scope: Scope, shape: SelectShape) -> bool:
    """Whether the select list has `*` or `t.*`; the starred tables count as fully used."""
    star = False
    for target in node.targetList or ():
        value = target.val if isinstance(target, ast.ResTarget) else None
        if isinstance(value, ast.ColumnRef) and isinstance((value.fields or ())[-1], ast.A_Star):
            star = True
            fields = value.fields or ()
            qualifier = (
                fields[0].sval if len(fields) > 1 and isinstance(fields[0], ast.String) else None
            )
            tables = [scope.aliases.get(qualifier)] if qualifier else scope.tables
            for table in tables:
                info = scope.catalog.table(table) if table else None
                if table and info:
                    shape.used.setdefault(table, set()).update(info.columns)
    return star
