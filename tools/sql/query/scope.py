"""Which table a column reference means: FROM-clause aliases, CTEs and outer queries.

Index advice and plan findings talk about `orders.customer_id`, never about `o.customer_id`
or a bare `customer_id`, so every reference is resolved against the catalog first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pglast import ast
from pglast.stream import RawStream

from tools.sql import pgparse
from tools.sql.astwalk import column_ref_name, walk, walk_scope
from tools.sql.catalog import Catalog


@dataclass
class Scope:
    """The relations one SELECT can see: alias -> table (None for subqueries, CTEs, functions)."""

    catalog: Catalog
    parent: Scope | None = None
    ctes: frozenset[str] = frozenset()
    aliases: dict[str, str | None] = field(default_factory=dict)

    @property
    def tables(self) -> list[str]:
        return [t for t in self.aliases.values() if t is not None]

    def add_range_var(self, var: ast.RangeVar) -> str | None:
        relname = var.relname or ""
        table: str | None = relname
        if var.schemaname and var.schemaname != "public":
            table = f"{var.schemaname}.{relname}"
        elif relname in self.ctes or self.catalog.table(relname) is None:
            table = None
        alias = var.alias.aliasname if var.alias and var.alias.aliasname else relname
        self.aliases[alias] = table
        return table

    def resolve(self, ref: ast.ColumnRef) -> tuple[str, str] | None:
        """(table, column) of a reference, looking outwards through enclosing queries."""
        name = column_ref_name(ref)
        if name is None:
            return None
        qualifier, column = name
        scope: Scope | None = self
        while scope is not None:
            found = scope._lookup(qualifier, column)
            if found is not None:
                return found
            if qualifier is not None and qualifier in scope.aliases:
                return None  # the alias exists here but is not a table we know
            scope = scope.parent
        return None

    def _lookup(self, qualifier: str | None, column: str) -> tuple[str, str] | None:
        if qualifier is not None:
            table = self.aliases.get(qualifier)
            info = self.catalog.table(table) if table else None
            return (table, column) if table and info and column in info.columns else None
        owners = {t for t in self.tables if self._has(t, column)}
        return (owners.pop(), column) if len(owners) == 1 else None

    def _has(self, table: str, column: str) -> bool:
        info = self.catalog.table(table)
        return info is not None and column in info.columns


def range_vars(from_item: ast.Node | None, scope: Scope) -> None:
    """Register the tables of one FROM item (plain, aliased or joined) in `scope`."""
    if isinstance(from_item, ast.RangeVar):
        scope.add_range_var(from_item)
    elif isinstance(from_item, ast.JoinExpr):
        range_vars(from_item.larg, scope)
        range_vars(from_item.rarg, scope)
    elif isinstance(from_item, ast.RangeSubselect | ast.RangeFunction):
        alias = from_item.alias.aliasname if from_item.alias else None
        if alias:
            scope.aliases[alias] = None


def column_refs(node: ast.Node | tuple[Any, ...] | None, scope: Scope) -> list[tuple[str, str]]:
    """Every resolvable column reference under `node` (not entering nested SELECTs)."""
    if node is None:
        return []
    found = []
    for item in walk_scope(node):
        if isinstance(item, ast.ColumnRef):
            resolved = scope.resolve(item)
            if resolved is not None:
                found.append(resolved)
    return found


def deparse(node: ast.Node) -> str:
    return str(RawStream()(node))


def unqualified(node: ast.Node) -> str:
    """Deparse an expression with table qualifiers dropped, as index DDL needs it.

    The node is re-parsed from its text first, so the caller's tree is never changed.
    """
    copy = pgparse.parse_sql(f"SELECT {deparse(node)}")[0].stmt
    assert isinstance(copy, ast.SelectStmt) and copy.targetList
    target = copy.targetList[0]
    assert isinstance(target, ast.ResTarget) and target.val is not None
    for item in walk(target.val):
        if isinstance(item, ast.ColumnRef) and item.fields and len(item.fields) > 1:
            item.fields = (item.fields[-1],)
    return deparse(target.val)
