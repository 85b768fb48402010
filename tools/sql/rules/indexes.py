"""Index rules: indexes another one already covers, and indexes led by a few-valued column."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tools.sql.model import Index, Schema, Table
from tools.sql.rules.base import Hit, own_tables, rule

Element = tuple[str, str | None, bool]  # key, opclass, descending

_KIND_RANK = {"primary key": 0, "unique constraint": 1, "exclusion constraint": 1,
              "unique index": 2, "index": 3}  # fmt: skip
FEW_VALUES = 5  # an enum with at most this many labels is too coarse to lead a btree


@dataclass(frozen=True)
class KeyStructure:
    """A PK, UNIQUE constraint or index, reduced to what decides whether one covers another."""

    kind: str
    name: str
    elements: tuple[Element, ...]
    method: str = "btree"
    where: str | None = None
    include: frozenset[str] = frozenset()
    line: int | None = None

    @property
    def unique(self) -> bool:
        return self.kind != "index"

    @property
    def columns(self) -> set[str]:
        return {key for key, _, _ in self.elements}


def key_structures(table: Table) -> list[KeyStructure]:
    found: list[KeyStructure] = []
    if table.primary_key:
        found.append(_plain("primary key", f"{table.name}_pkey", table.primary_key, table.line))
    for u in table.uniques:
        found.append(_plain("unique constraint", u.name or "UNIQUE", u.columns, u.line))
    found += [_from_index(index) for index in table.indexes]
    return found


def _plain(kind: str, name: str, columns: list[str], line: int | None) -> KeyStructure:
    return KeyStructure(kind, name, tuple((c, None, False) for c in columns), line=line)


def _from_index(index: Index) -> KeyStructure:
    """An EXCLUDE constraint's index enforces a rule, like a unique one: only the same
    constraint covers it, and it is the one kept beside a plain index of the same keys."""
    kind = "unique index" if index.unique else "index"
    return KeyStructure(
        kind="exclusion constraint" if index.exclusion else kind,
        name=index.name or f"index on {index.table}",
        elements=tuple((e.key, e.opclass, e.descending) for e in index.elements),
        method=index.method,
        where=index.where,
        include=frozenset(index.include),
        line=index.line,
    )


def covers(big: KeyStructure, small: KeyStructure) -> bool:
    """Whether `big` serves every lookup `small` serves (and enforces what `small` does)."""
    if (big.method, big.where) != (small.method, small.where):
        return False
    if not small.include <= big.columns | big.include:
        return False
    if small.unique:
        return big.unique and big.elements == small.elements
    if big.method == "btree":
        return big.elements[: len(small.elements)] == small.elements
    return big.elements == small.elements


def _outranks(a: tuple[int, KeyStructure], b: tuple[int, KeyStructure]) -> bool:
    """Of two identical structures keep the PK/constraint, else the one defined first."""
    return (_KIND_RANK[a[1].kind], a[0]) < (_KIND_RANK[b[1].kind], b[0])


def redundant_pairs(table: Table) -> Iterator[tuple[KeyStructure, KeyStructure]]:
    """(redundant, covered-by) pairs; a primary key is never the redundant one."""
    structures = list(enumerate(key_structures(table)))
    for small in structures:
        if small[1].kind == "primary key":
            continue
        for big in structures:
            if big is small or not covers(big[1], small[1]):
                continue
            identical = covers(small[1], big[1])
            if not identical or _outranks(big, small):
                yield small[1], big[1]
                break


@rule(
    "redundant-index",
    "warning",
    "An index whose keys are a prefix of another index with the same method and predicate "
    "(or a duplicate of the primary key) costs writes and memory and serves no extra query.",
    "DROP INDEX the redundant one; the covering index answers the same lookups.",
)
def redundant_index(schema: Schema) -> Iterator[Hit]:
    for table in own_tables(schema):
        for small, big in redundant_pairs(table):
            keys = ", ".join(k for k, _, _ in small.elements)
            message = (
                f"{small.kind} '{small.name}' ({keys}) on '{table.name}' is covered by "
                f"{big.kind} '{big.name}'"
            )
            yield Hit(table.name, keys, message, small.line or table.line, table.file)


def few_valued(schema: Schema, table: Table, column_name: str | None) -> str | None:
    """Why a leading column has too few distinct values to be worth a btree, or None."""
    column = table.column(column_name) if column_name else None
    if column is None or column.is_array:
        return None
    if column.base_type in {"bool", "boolean"}:
        return "boolean"
    enum = schema.enums.get(column.base_type)
    if enum is not None and len(enum.values) <= FEW_VALUES:
        return f"enum {enum.name} with {len(enum.values)} values"
    allowed = checked_values(table, column.name)
    if allowed is not None and allowed <= FEW_VALUES:
        return f"CHECK allows {allowed} values"
    return None


_LITERAL = re.compile(r"'(?:[^']|'')*'")
# Deparsed CHECKs that list a column's values: "kind IN ('a', 'b')" and its
# "kind = ANY(ARRAY[...])" spelling; one compiled pattern each, whatever the column.
_VALUE_LISTS = (
    re.compile(r"\(?(?P<column>[\w$]+|\"(?:[^\"]|\"\")+\") IN \((?P<values>.*)\)\)?"),
    re.compile(r"\(?(?P<column>[\w$]+|\"(?:[^\"]|\"\")+\") = ANY\s*\(ARRAY\[(?P<values>.*)\]\)\)?"),
)


def checked_values(table: Table, column: str) -> int | None:
    """How many values a CHECK (col IN (...)) / (col = ANY(ARRAY[...])) allows, if any."""
    for check in table.checks:
        if column not in check.columns:
            continue
        for shape in _VALUE_LISTS:
            found = shape.fullmatch(check.expression.strip())
            if found and found.group("column").strip('"') == column:
                return len(_LITERAL.findall(found.group("values")))
    return None


@rule(
    "low-selectivity-index",
    "warning",
    "A btree led by a boolean, a few-valued enum or a column a CHECK limits to a few values "
    "matches a large share of the table per value; the planner prefers a sequential scan, "
    "so the index mostly costs writes.",
    "Use a partial index (WHERE flag / WHERE status = 'open') or lead with a selective column.",
)
def low_selectivity_index(schema: Schema) -> Iterator[Hit]:
    for table in own_tables(schema):
        for index in table.indexes:
            if index.unique or index.where is not None or index.method != "btree":
                continue
            lead = index.elements[0].column if index.elements else None
            why = few_valued(schema, table, lead)
            if why is None:
                continue
            composite = len(index.elements) > 1
            message = f"index '{index.name or lead}' on '{table.name}' is led by {lead} ({why})"
            yield Hit(
                table.name,
                lead,
                message,
                index.line or table.line,
                table.file,
                severity="info" if composite else None,
            )
