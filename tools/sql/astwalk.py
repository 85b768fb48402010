"""Walk every node of a pglast parse tree, so checks never miss a node a visitor forgot."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast


def walk(node: Any) -> Iterator[ast.Node]:
    """Yield `node` and every pglast node below it, depth first, in source order.

    Generic over the slot layout instead of a per-type visitor: a guard that only knows
    the node types it expects is exactly how functions in FROM slipped past other tools.
    """
    return _walk(node, enter_selects=True)


def walk_scope(node: Any) -> Iterator[ast.Node]:
    """Like `walk`, but a nested SELECT is yielded and not entered: it has its own scope."""
    return _walk(node, enter_selects=False)


def _walk(node: Any, enter_selects: bool) -> Iterator[ast.Node]:
    stack: list[Any] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Node):
            yield item
            if not enter_selects and isinstance(item, ast.SelectStmt) and item is not node:
                continue
            slots: dict[str, Any] = getattr(type(item), "__slots__", {})
            children = [getattr(item, name, None) for name in slots]
            stack.extend(reversed([c for c in children if isinstance(c, ast.Node | tuple | list)]))
        elif isinstance(item, tuple | list):
            stack.extend(reversed(item))


def func_name(call: ast.FuncCall) -> str:
    """The unqualified, lower-case function name: `pg_catalog.Set_Config` is `set_config`."""
    parts = [p.sval or "" for p in call.funcname or () if isinstance(p, ast.String)]
    return parts[-1].lower() if parts else ""


def column_ref_name(ref: ast.ColumnRef) -> tuple[str | None, str] | None:
    """(qualifier, column) of a column reference; None for `*` and `t.*`."""
    parts = [p.sval or "" for p in ref.fields or () if isinstance(p, ast.String)]
    if not parts or isinstance((ref.fields or ())[-1], ast.A_Star):
        return None
    qualifier = parts[-2] if len(parts) >= 2 else None
    return qualifier, parts[-1]


def param_equality(node: ast.Node) -> ast.ColumnRef | None:
    """The column of `column = $n` (or `$n = column`); None for anything else."""
    if not isinstance(node, ast.A_Expr) or len(node.name or ()) != 1:
        return None
    if getattr((node.name or ())[0], "sval", None) != "=":
        return None
    for column, other in ((node.lexpr, node.rexpr), (node.rexpr, node.lexpr)):
        if isinstance(column, ast.ColumnRef) and isinstance(other, ast.ParamRef):
            return column
    return None
