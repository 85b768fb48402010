"""Index candidates from the parsed shape of each query: the advisor's search space.

Equality columns come first (most selective first), then one range column or the sort
columns; constant predicates make partial indexes; wrapped columns make expression
indexes; containment on jsonb or arrays, and full-text matches, make GIN. Only the
what-if evaluation decides which of them are worth their bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from psycopg import sql

from tools.sql.catalog import Catalog, TableInfo
from tools.sql.query import Filter, SelectShape

MAX_KEY_COLUMNS = 4
MAX_INCLUDE = 3
_NARROW_BYTES = 32
_FEW_VALUES = 20
_CONSTANT_OPS = frozenset({"ne", "null", "notnull", "bool", "eq"})


@dataclass(frozen=True)
class Element:
    column: str | None = None
    expression: str | None = None
    descending: bool = False
    opclass: str | None = None

    def sql(self) -> str:
        text = sql.Identifier(self.column).as_string() if self.column else f"({self.expression})"
        if self.opclass:
            text += f" {self.opclass}"
        return text + (" DESC" if self.descending else "")


@dataclass
class Candidate:
    table: str
    elements: tuple[Element, ...]
    kind: str = "btree"  # btree | composite | partial | covering | expression | gin
    method: str = "btree"
    include: tuple[str, ...] = ()
    where: str | None = None
    queries: set[str] = field(default_factory=set)  # queries whose shape suggested it

    @property
    def key(self) -> tuple[object, ...]:
        return (self.table, self.method, self.elements, self.include, self.where)

    @property
    def columns(self) -> list[str]:
        return [e.column or f"({e.expression})" for e in self.elements]

    @property
    def name(self) -> str:
        """A conventional name: `orders_customer_id_created_at_idx`, at most 63 bytes."""
        words = [e.column or _expression_word(e.expression or "") for e in self.elements]
        if self.kind in ("partial", "covering", "gin"):
            words.append(self.kind)
        return "_".join([self.table.split(".")[-1], *words, "idx"])[:63]

    def ddl(self, name: str | None = None) -> str:
        table = sql.Identifier(*self.table.split(".")).as_string()
        label = sql.Identifier(name or self.name).as_string()
        using = f" USING {self.method}" if self.method != "btree" else ""
        keys = ", ".join(e.sql() for e in self.elements)
        text = f"CREATE INDEX {label} ON {table}{using} ({keys})"
        if self.include:
            text += f" INCLUDE ({', '.join(sql.Identifier(c).as_string() for c in self.include)})"
        return text + (f" WHERE {self.where}" if self.where else "")


def _expression_word(expression: str) -> str:
    """`lower(email)` -> `lower_email`: the identifier-ish parts of an expression."""
    return "_".join(re.findall(r"[a-z_][a-z0-9_]*", expression.lower())[:3]) or "expr"


def generate_candidates(shapes: dict[str, list[SelectShape]], catalog: Catalog) -> list[Candidate]:
    """Every candidate suggested by the queries, deduplicated, minus what already exists."""
    pool: dict[tuple[object, ...], Candidate] = {}
    for name, query_shapes in shapes.items():
        for shape in query_shapes:
            for table_name in dict.fromkeys(shape.tables):
                table = catalog.table(table_name)
                if table is None:
                    continue
                for candidate in _for_table(shape, table):
                    known = pool.setdefault(candidate.key, candidate)
                    known.queries.add(name)
    return [c for c in pool.values() if not _exists(c, catalog)]


def _for_table(shape: SelectShape, table: TableInfo) -> list[Candidate]:
    filters = [f for f in shape.filters if f.table == table.name]
    plain = [f for f in filters if f.expression is None]
    equal = _by_selectivity([f.column for f in plain if f.op in ("eq", "in")], table)
    ranges = list(dict.fromkeys(f.column for f in plain if f.op in ("range", "like")))
    joins = [c for j in shape.joins for t, c in (j.left, j.right) if t == table.name]
    sort = [(c, desc) for t, c, desc in shape.order_by if t == table.name]
    group = [c for t, c in shape.group_by if t == table.name]
    found = [_index(table, [c]) for c in dict.fromkeys([*equal, *ranges, *joins])]
    found += [_index(table, [*equal, r], "composite") for r in ranges[:2] if equal]
    found += [_index(table, [*equal, j], "composite") for j in joins if equal and j not in equal]
    found += [_index(table, [j, *ranges[:1]], "composite") for j in joins if ranges]
    found += _sorted(table, equal, sort, ranges)
    if group:
        found.append(_index(table, [*equal, *[g for g in group if g not in equal]], "composite"))
    found += _covering(table, found, shape.used.get(table.name, set()))
    found += _partial(table, filters, equal, ranges, sort, joins)
    found += _expressions(table, filters, equal)
    found += _gin(table, filters)
    return [c for c in found if c.elements]


def _index(table: TableInfo, columns: list[str], kind: str = "btree") -> Candidate:
    unique = list(dict.fromkeys(columns))[:MAX_KEY_COLUMNS]
    kind = kind if len(unique) > 1 else "btree"
    return Candidate(table.name, tuple(Element(column=c) for c in unique), kind)


def _by_selectivity(columns: list[str], table: TableInfo) -> list[str]:
    """Most distinct values first: the first key column should cut the most rows."""
    unique = list(dict.fromkeys(columns))
    info = table.columns
    return sorted(unique, key=lambda c: -(info[c].distinct(table.rows) if c in info else 0))


def _sorted(
    table: TableInfo, equal: list[str], sort: list[tuple[str, bool]], ranges: list[str]
) -> list[Candidate]:
    """Equality columns, then the ORDER BY columns in their directions (no sort step)."""
    keys = [(c, d) for c, d in sort if c not in equal]
    if not keys:
        return []
    uniform = len({d for _, d in keys}) == 1  # one direction: a backward scan serves it
    elements = [Element(column=c) for c in equal]
    elements += [Element(column=c, descending=d and not uniform) for c, d in keys]
    found = [Candidate(table.name, tuple(elements[:MAX_KEY_COLUMNS]), "composite")]
    if ranges and not equal:
        found.append(_index(table, [keys[0][0]]))
    return found


def _covering(table: TableInfo, found: list[Candidate], used: set[str]) -> list[Candidate]:
    """The widest composite plus the other columns the query reads, for index-only scans."""
    composites = [c for c in found if c.kind == "composite" and c.method == "btree"]
    if not composites:
        return []
    best = max(composites, key=lambda c: len(c.elements))
    keys = {e.column for e in best.elements}
    extra = sorted(c for c in used if c not in keys and _narrow(table, c))
    if not extra or len(extra) > MAX_INCLUDE or len(used - keys) > len(extra):
        return []
    return [Candidate(table.name, best.elements, "covering", include=tuple(extra))]


def _narrow(table: TableInfo, column: str) -> bool:
    info = table.columns.get(column)
    if info is None or info.category in ("A", "U"):
        return False
    return (info.avg_width or 8) <= _NARROW_BYTES


def _partial(
    table: TableInfo,
    filters: list[Filter],
    equal: list[str],
    ranges: list[str],
    sort: list[tuple[str, bool]],
    joins: list[str],
) -> list[Candidate]:
    """Constant predicates (`status <> 'done'`, `deleted_at IS NULL`) as the index's WHERE."""
    constant = [f for f in filters if f.constant and _partial_worthy(f, table)]
    if not constant:
        return []
    fixed = {f.column for f in constant}
    where = " AND ".join(dict.fromkeys(f.constant or "" for f in constant))
    keys = [c for c in equal if c not in fixed] + [c for c, _ in sort] + ranges[:1] + joins[:1]
    keys = [c for c in dict.fromkeys(keys) if c not in fixed]
    if not keys:
        return []
    base = _index(table, keys, "partial")
    return [Candidate(table.name, base.elements, "partial", where=where)]


def _partial_worthy(flt: Filter, table: TableInfo) -> bool:
    """A constant predicate on a status-like column, not one literal key of many.

    `status = 'open'` or `deleted_at IS NULL` describe a lasting slice of the table;
    `customer_id = 123` is one value of thousands and would fit that literal alone.
    """
    if flt.op not in _CONSTANT_OPS:
        return False
    if flt.op not in ("eq", "ne"):
        return True
    info = table.columns.get(flt.column)
    return info is not None and info.distinct(table.rows) <= _FEW_VALUES


def _expressions(table: TableInfo, filters: list[Filter], equal: list[str]) -> list[Candidate]:
    found = []
    for flt in filters:
        if flt.expression is None or flt.op not in ("eq", "in", "range"):
            continue
        rest = [Element(column=c) for c in equal if c != flt.column]
        elements = (Element(expression=flt.expression), *rest)
        found.append(Candidate(table.name, elements[:MAX_KEY_COLUMNS], "expression"))
    return found


def _gin(table: TableInfo, filters: list[Filter]) -> list[Candidate]:
    """GIN for containment (jsonb_path_ops when only `@>` is asked: smaller, faster) and for
    full-text matches over a `to_tsvector(...)` expression."""
    found = []
    operators: dict[str, set[str]] = {}
    for flt in filters:
        if flt.op == "contains" and flt.expression is None:
            operators.setdefault(flt.column, set()).add(flt.operator or "")
        elif flt.operator == "@@" and flt.expression is not None:  # to_tsvector(...) @@ query
            element = Element(expression=flt.expression)
            found.append(Candidate(table.name, (element,), "gin", method="gin"))
    for column, ops in operators.items():
        info = table.columns.get(column)
        if info is None or (info.type != "jsonb" and info.category != "A"):
            continue
        opclass = "jsonb_path_ops" if info.type == "jsonb" and ops == {"@>"} else None
        element = Element(column=column, opclass=opclass)
        found.append(Candidate(table.name, (element,), "gin", method="gin"))
    return found


def _exists(candidate: Candidate, catalog: Catalog) -> bool:
    """Already served: an existing full index of the same method starts with these keys."""
    table = catalog.table(candidate.table)
    if table is None or candidate.where or candidate.include:
        return False
    if any(e.expression or e.opclass or e.descending for e in candidate.elements):
        return False
    wanted = [e.column for e in candidate.elements]
    return any(
        ix.method == candidate.method and not ix.partial and ix.columns[: len(wanted)] == wanted
        for ix in table.indexes
    )
