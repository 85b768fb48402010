"""Facts about a spec that decide technology and scaling: rates, volumes, shape of the queries.

Computed once, deterministically, from the spec alone (no database), so the decision matrix
can cite them in its reasons.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pglast
from pglast import ast

from agent.brains.rules.timeseries import time_series_reason
from agent.brains.rules.volumes import DEFAULT_ROWS, SECONDS_PER_MONTH, pattern_rate, spec_volumes
from agent.spec import AccessPattern, Entity, Requirements
from tools.sql import pgparse

HORIZON_MONTHS = 36


@dataclass(frozen=True)
class QueryShape:
    joins: int = 0
    aggregates: bool = False
    recursive: bool = False
    self_joins: bool = False  # one table joined to itself: a traversal hop (friends of friends)
    json_containment: bool = False
    text_search: bool = False


@dataclass(frozen=True)
class Signals:
    entities: int
    references: int  # belongs_to + one-to-many/one-to-one relationships
    many_to_many: int
    self_many_to_many: int
    reads_per_second: float
    writes_per_second: float  # stated write patterns, or average ingest when higher
    rows_now: int  # in entity and link tables, as the scaling plan counts them
    rows_horizon: int  # the same after HORIZON_MONTHS of growth
    time_series_rows: int  # of rows_horizon, in time-series / append-only entities
    json_entities: int
    joins: int  # access patterns that join
    aggregates: int
    recursive: int
    traversals: int  # patterns that recurse or join a table to itself
    json_containment: int
    text_search: int
    money: bool
    patterns: int

    @property
    def time_series_share(self) -> float:
        return self.time_series_rows / self.rows_horizon if self.rows_horizon else 0.0


def entity_rows(entity: Entity, months: int = 0) -> int:
    base = entity.rows if entity.rows is not None else DEFAULT_ROWS
    return base + months * (entity.growth_per_month or 0)


def collect(spec: Requirements) -> Signals:
    shapes = [query_shape(p.sql) for p in spec.access_patterns]
    horizon = {e.name: entity_rows(e, HORIZON_MONTHS) for e in spec.entities}
    volumes = spec_volumes(spec).values()
    ingest = sum((e.growth_per_month or 0) for e in spec.entities) / SECONDS_PER_MONTH
    return Signals(
        entities=len(spec.entities),
        references=sum(len(e.belongs_to) for e in spec.entities)
        + sum(1 for r in spec.relationships if r.kind != "many-to-many"),
        many_to_many=sum(1 for r in spec.relationships if r.kind == "many-to-many"),
        self_many_to_many=sum(
            1 for r in spec.relationships if r.kind == "many-to-many" and r.from_ == r.to
        ),
        reads_per_second=_rate(p for p in spec.access_patterns if not p.is_write),
        writes_per_second=max(_rate(p for p in spec.access_patterns if p.is_write), ingest),
        rows_now=sum(v.rows_now for v in volumes),
        rows_horizon=sum(v.rows_at(HORIZON_MONTHS) for v in volumes),
        time_series_rows=sum(
            horizon[e.name] for e in spec.entities if time_series_reason(spec, e) is not None
        ),
        json_entities=sum(
            1
            for e in spec.entities
            if e.varying_attributes or any(a.kind == "json" for a in e.attributes.values())
        ),
        joins=sum(1 for s in shapes if s.joins),
        aggregates=sum(1 for s in shapes if s.aggregates),
        recursive=sum(1 for s in shapes if s.recursive),
        traversals=sum(1 for s in shapes if s.recursive or s.self_joins),
        json_containment=sum(1 for s in shapes if s.json_containment),
        text_search=sum(1 for s in shapes if s.text_search),
        money=any(a.kind == "money" for e in spec.entities for a in e.attributes.values()),
        patterns=len(spec.access_patterns),
    )


def _rate(patterns: Iterable[AccessPattern]) -> float:
    return sum(pattern_rate(p) for p in patterns)


def query_shape(sql: str) -> QueryShape:
    """Joins, aggregates, recursion, jsonb containment and text search in one statement."""
    try:
        tree = pgparse.parse_sql(sql)
    except pglast.parser.ParseError:
        return QueryShape()
    joins = aggregates = 0
    recursive = containment = text_search = False
    relations: list[str] = []
    for node in _nodes(tree):
        if isinstance(node, ast.RangeVar) and node.relname:
            relations.append(node.relname)
        elif isinstance(node, ast.JoinExpr):
            joins += 1
        elif isinstance(node, ast.SelectStmt):
            joins += max(0, len(node.fromClause or ()) - 1)
            aggregates += 1 if node.groupClause else 0
            recursive = recursive or bool(node.withClause and node.withClause.recursive)
        elif isinstance(node, ast.FuncCall) and _name(node.funcname) in _AGGREGATES:
            aggregates += 1
        elif isinstance(node, ast.A_Expr):
            operator = _name(node.name)
            containment = containment or operator in ("@>", "<@", "?", "?|", "?&")
            text_search = (
                text_search
                or operator in ("@@", "~~*", "~*")
                or (operator == "~~" and _leading_wildcard(node.rexpr))
            )
    self_joins = len(relations) != len(set(relations))
    return QueryShape(joins, aggregates > 0, recursive, self_joins, containment, text_search)


_AGGREGATES = {"count", "sum", "avg", "min", "max", "percentile_cont", "array_agg"}


def _name(parts: object) -> str:
    items = parts if isinstance(parts, tuple | list) else ()
    return str(getattr(items[-1], "sval", "")) if items else ""


def _leading_wildcard(node: object) -> bool:
    value = getattr(getattr(node, "val", None), "sval", None)
    return isinstance(value, str) and value.startswith("%")


def _nodes(node: object) -> list[object]:
    found: list[object] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, tuple | list):
            stack.extend(current)
        elif isinstance(current, ast.Node):
            found.append(current)
            stack.extend(getattr(current, attr) for attr in current)
    return found
