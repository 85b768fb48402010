"""How much more a pattern's plan costs at the stated volume than on the sample.

The sample keeps the ratios between tables only down to a floor, so a plan's work does not
shrink evenly: a scan that reads most of a table grows with that table's sampling ratio;
a scan found through a parameter on a foreign key (`WHERE project_id = $1`) reads all rows
of one parent, which grow by the child's ratio over the parent's, unless a LIMIT or a range
condition bounds what it reads. The plan's cost times the largest of these factors is its
cost at the stated volume (an upper bound: the plan's fixed part is scaled too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pglast
from pglast import ast

from tools.sql import pgparse
from tools.sql.astwalk import column_ref_name, param_equality, walk
from tools.sql.datagen import TableLoad
from tools.sql.model import Schema
from tools.sql.query import QueryPlan

WHOLE_SHARE = 0.1  # a scan returning this share of a table's rows reads "most of" it


@dataclass(frozen=True)
class Growth:
    factor: float
    whole: frozenset[str]  # tables the plan reads most of


def volume_growth(plan: QueryPlan, schema: Schema, loads: Sequence[TableLoad]) -> Growth:
    loaded = {t.table: t.loaded for t in loads}
    ratio = {t.table: t.stated / t.loaded for t in loads if t.loaded}
    keys, bounded = _parameter_columns(plan.sql)
    factor, whole = 1.0, set()
    for scan in plan.scans:
        table = parent_table(schema, scan.relation) if scan.relation else None
        if table is None or not loaded.get(table):
            continue
        if scan.rows >= WHOLE_SHARE * loaded[table]:
            whole.add(table)
            factor = max(factor, ratio.get(table, 1.0))
            continue
        info = schema.tables.get(table)
        for fk in info.foreign_keys if info and not bounded else []:
            if len(fk.columns) == 1 and fk.columns[0] in keys:
                per_parent = ratio.get(table, 1.0) / ratio.get(fk.ref_table, 1.0)
                factor = max(factor, per_parent)
    return Growth(factor, frozenset(whole))


def _parameter_columns(sql: str) -> tuple[set[str], bool]:
    """Columns compared for equality with a parameter, and whether a LIMIT or a range
    condition bounds the rows the statement reads."""
    try:
        tree = pgparse.parse_sql(sql)
    except pglast.parser.ParseError:
        return set(), True
    found, bounded = set(), False
    for node in walk(tree):
        column = param_equality(node)
        named = column_ref_name(column) if column is not None else None
        if named is not None:
            found.add(named[1])
        bounded = bounded or _bounds(node)
    return found, bounded


def _bounds(node: ast.Node) -> bool:
    if isinstance(node, ast.SelectStmt) and node.limitCount is not None:
        return True
    if not isinstance(node, ast.A_Expr):
        return False
    operator = [getattr(n, "sval", "") for n in node.name or ()]
    return operator in (["<"], [">"], ["<="], [">="]) or "BETWEEN" in str(node.kind)


def parent_table(schema: Schema, relation: str) -> str:
    """A partition's parent (sizes and plans count partitions in it), else the relation."""
    table = schema.tables.get(relation)
    return table.partition_of if table is not None and table.partition_of else relation
