"""Value ranges and choice lists derived from simple CHECK constraints.

`price > 0`, `quantity BETWEEN 1 AND 100`, `status IN ('a', 'b')` and `x = ANY (ARRAY[..])`
become bounds the generators respect. Anything else is returned as unsupported: the loader
then filters generated rows through the check itself and says so in its report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pglast import ast, enums
from pglast.parser import ParseError

from tools.sql import pgparse
from tools.sql.model import Table
from tools.sql.query import deparse

_BETWEEN = (enums.A_Expr_Kind.AEXPR_BETWEEN, enums.A_Expr_Kind.AEXPR_BETWEEN_SYM)
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
# Checks our generators satisfy by construction: non-empty, trimmed text.
_HARMLESS_FUNCS = frozenset({"length", "char_length", "btrim", "trim", "octet_length"})


@dataclass
class ColumnRule:
    low: float | None = None
    high: float | None = None
    low_strict: bool = False
    high_strict: bool = False
    choices: list[str] = field(default_factory=list)  # SQL literals
    after: str | None = None  # another column this one must exceed (`ends_on > starts_on`)


@dataclass
class CheckRules:
    columns: dict[str, ColumnRule] = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)  # check expressions, as SQL


def derive_rules(table: Table) -> CheckRules:
    rules = CheckRules()
    for check in table.checks:
        try:
            expr = _parse_expression(check.expression)
        except ParseError:
            rules.unsupported.append(check.expression)
            continue
        for conjunct in _conjuncts(expr):
            if not _apply(conjunct, rules):
                rules.unsupported.append(check.expression)
                break
    return rules


def _parse_expression(text: str) -> ast.Node:
    stmt = pgparse.parse_sql(f"SELECT {text}")[0].stmt
    assert isinstance(stmt, ast.SelectStmt) and stmt.targetList
    target = stmt.targetList[0]
    assert isinstance(target, ast.ResTarget) and target.val is not None
    return target.val


def _conjuncts(node: ast.Node) -> list[ast.Node]:
    if isinstance(node, ast.BoolExpr) and node.boolop == enums.BoolExprType.AND_EXPR:
        return [c for arg in node.args or () for c in _conjuncts(arg)]
    return [node]


def _apply(node: ast.Node, rules: CheckRules) -> bool:
    """Fold one conjunct into the rules; False when it is not a shape we understand."""
    if isinstance(node, ast.NullTest):
        return True  # IS NOT NULL: NOT NULL columns are never generated NULL
    if isinstance(node, ast.BoolExpr) and node.boolop == enums.BoolExprType.OR_EXPR:
        return _apply_null_or(node, rules)
    if not isinstance(node, ast.A_Expr):
        return False
    if _is_harmless(node) or _apply_ordering(node, rules):
        return True
    column = _column(node.lexpr)
    if column is None:
        return _apply_flipped(node, rules)
    rule = rules.columns.setdefault(column, ColumnRule())
    if node.kind in _BETWEEN and isinstance(node.rexpr, list | tuple) and len(node.rexpr) == 2:
        low, high = _number(node.rexpr[0]), _number(node.rexpr[1])
        if low is None or high is None:
            return False
        _tighten(rule, ">=", min(low, high))
        _tighten(rule, "<=", max(low, high))
        return True
    if node.kind in (enums.A_Expr_Kind.AEXPR_IN, enums.A_Expr_Kind.AEXPR_OP_ANY):
        return _choices(node, rule)
    value = _number(node.rexpr)
    operator = _operator(node)
    if node.kind == enums.A_Expr_Kind.AEXPR_OP and value is not None and operator in _FLIP:
        _tighten(rule, operator, value)
        return True
    return False


def _apply_null_or(node: ast.BoolExpr, rules: CheckRules) -> bool:
    """`x IS NULL OR <rule>`: NULLs pass on their own, other values follow the rule."""
    args = list(node.args or ())
    nulls = [a for a in args if isinstance(a, ast.NullTest)]
    rest = [a for a in args if not isinstance(a, ast.NullTest)]
    is_null = all(n.nulltesttype == enums.NullTestType.IS_NULL for n in nulls)
    return len(nulls) == 1 and len(rest) == 1 and is_null and _apply(rest[0], rules)


def _apply_ordering(node: ast.A_Expr, rules: CheckRules) -> bool:
    """`ends_on > starts_on`: the later column is generated as the earlier one plus a gap."""
    left, right, operator = _column(node.lexpr), _column(node.rexpr), _operator(node)
    if left is None or right is None or operator not in _FLIP:
        return False
    later, earlier = (left, right) if operator in (">", ">=") else (right, left)
    rules.columns.setdefault(later, ColumnRule()).after = earlier
    return True


def _apply_flipped(node: ast.A_Expr, rules: CheckRules) -> bool:
    """`0 < price` is `price > 0`."""
    column, value, operator = _column(node.rexpr), _number(node.lexpr), _operator(node)
    if column is None or value is None or operator not in _FLIP:
        return False
    _tighten(rules.columns.setdefault(column, ColumnRule()), _FLIP[operator], value)
    return True


def _tighten(rule: ColumnRule, operator: str, value: float) -> None:
    if operator in (">", ">=") and (rule.low is None or value >= rule.low):
        rule.low, rule.low_strict = value, operator == ">"
    elif operator in ("<", "<=") and (rule.high is None or value <= rule.high):
        rule.high, rule.high_strict = value, operator == "<"


def _choices(node: ast.A_Expr, rule: ColumnRule) -> bool:
    items: Any = node.rexpr
    if isinstance(items, ast.A_ArrayExpr):
        items = items.elements
    if isinstance(items, ast.TypeCast) and isinstance(items.arg, ast.A_ArrayExpr):
        items = items.arg.elements
    if not isinstance(items, list | tuple) or not all(_constant(i) for i in items):
        return False
    rule.choices = [deparse(i) for i in items]
    return True


def _is_harmless(node: ast.A_Expr) -> bool:
    """`length(name) > 0`, `btrim(code) <> ''`: satisfied by every generated text value."""
    left, right, operator = node.lexpr, node.rexpr, _operator(node)
    if isinstance(left, ast.FuncCall):
        names = [n.sval for n in left.funcname or () if isinstance(n, ast.String)]
        bound = _number(right)
        lower_bound = operator in (">", ">=") and bound is not None and bound <= 1
        return bool(names) and names[-1] in _HARMLESS_FUNCS and lower_bound
    if isinstance(right, ast.A_Const) and isinstance(right.val, ast.String):
        return operator in ("<>", "!=") and right.val.sval == ""
    return False


def _column(node: Any) -> str | None:
    if isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.ColumnRef) and node.fields:
        last = node.fields[-1]
        return last.sval if isinstance(last, ast.String) else None
    return None


def _number(node: Any) -> float | None:
    if isinstance(node, ast.TypeCast):
        node = node.arg
    negative = False
    if isinstance(node, ast.A_Expr) and _operator(node) == "-" and node.lexpr is None:
        negative, node = True, node.rexpr
    if isinstance(node, ast.A_Const):
        value = node.val
        if isinstance(value, ast.Integer):
            number = float(value.ival or 0)
        elif isinstance(value, ast.Float):
            number = float(value.fval or 0)
        else:
            return None
        return -number if negative else number
    return None


def _constant(node: Any) -> bool:
    if isinstance(node, ast.TypeCast):
        node = node.arg
    return isinstance(node, ast.A_Const)


def _operator(node: ast.A_Expr) -> str:
    names = [n.sval or "" for n in node.name or () if isinstance(n, ast.String)]
    return names[-1] if names else ""
