"""Render a schema model as a Mermaid `erDiagram`: tables, key marks and FK relationships.

A column that holds a period an EXCLUDE constraint keeps from overlapping carries it as the
attribute's comment (`timestamptz starts_at "no overlap per room_id"`).

Cardinality is read from the constraints, not guessed: the parent end is "exactly one"
when every FK column is NOT NULL (else "zero or one"); the child end is "zero or one" when
the FK columns are themselves unique (a 1:1 extension), else "zero or more". An FK that is
part of the child's primary key is an identifying relationship (solid line).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tools.sql.model import Column, ForeignKey, Schema, Table

# Mermaid's erDiagram lexer (erDiagram.jison): an attribute word, and key words it would
# take for PK/FK/UK (case-insensitive, JavaScript's ASCII-only word boundary).
_ATTRIBUTE_WORD = re.compile(r"[*A-Za-z_\u00C0-\uFFFF][A-Za-z0-9\-_\[\]().,\u00C0-\uFFFF*]*")
_KEY_WORD = re.compile(r"(?i)(?:pk|fk|uk)(?![A-Za-z0-9_])")
_ENTITY_FORBIDDEN = re.compile(r'["%\\\r\n\v\b]')
_SHORT_TYPES = (
    (re.compile(r"^timestamp(\(\d+\))? with time zone"), r"timestamptz\1"),
    (re.compile(r"^timestamp(\(\d+\))? without time zone"), r"timestamp\1"),
    (re.compile(r"^time(\(\d+\))? with time zone"), r"timetz\1"),
    (re.compile(r"^time(\(\d+\))? without time zone"), r"time\1"),
    (re.compile(r"^character varying"), "varchar"),
    (re.compile(r"^character"), "char"),
    (re.compile(r"^double precision"), "float8"),
    (re.compile(r"^bit varying"), "varbit"),
)


def render_erd(schema: Schema) -> str:
    """The whole schema as Mermaid text, starting with `erDiagram`."""
    ids = entity_ids(schema)
    lines = ["erDiagram"]
    for table in schema.tables.values():
        lines += _entity(table, ids[table.name])
    for table in schema.tables.values():
        inherited = _parent_fks(schema, table)
        lines += [
            _relationship(table, fk, ids)
            for fk in table.foreign_keys
            if fk.ref_table in ids and _fk_shape(fk) not in inherited
        ]
    return "\n".join(lines) + "\n"


def _fk_shape(fk: ForeignKey) -> tuple[tuple[str, ...], str]:
    return tuple(fk.columns), fk.ref_table


def _parent_fks(schema: Schema, table: Table) -> set[tuple[tuple[str, ...], str]]:
    """FKs a partition inherits from its parent: drawn once, on the parent."""
    parent = schema.tables.get(table.partition_of) if table.partition_of else None
    return {_fk_shape(fk) for fk in parent.foreign_keys} if parent else set()


def entity_ids(schema: Schema) -> dict[str, str]:
    """Table name -> quoted Mermaid entity name, unique even after escaping."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for name in schema.tables:
        base = _ENTITY_FORBIDDEN.sub("_", name)
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}_{n}"
        used.add(candidate)
        ids[name] = f'"{candidate}"'
    return ids


def _entity(table: Table, entity: str) -> list[str]:
    marks = key_marks(table)
    notes = exclusion_notes(table)
    lines = [f"    {entity} {{"]
    for column in table.columns:
        keys = marks.get(column.name)
        suffix = f" {', '.join(keys)}" if keys else ""
        note = notes.get(column.name)
        suffix += f' "{note}"' if note else ""
        lines.append(
            f"        {attribute_word(mermaid_type(column))} {attribute_word(column.name)}{suffix}"
        )
    lines.append("    }")
    return lines


def exclusion_notes(table: Table) -> dict[str, str]:
    """Column -> `no overlap per room_id` for the columns an EXCLUDE constraint's non-equality
    elements read (the period): a key mark cannot say it, so the attribute's comment does."""
    found: dict[str, list[str]] = {}
    for index in (i for i in table.indexes if i.exclusion):
        equal = [e.key for e in index.elements if e.operator == "="]
        note = "no overlap" + (f" per {', '.join(equal)}" if equal else "")
        note += " among some rows" if index.where else ""
        for element in index.elements:
            if element.operator == "=":
                continue
            for column in [element.column] if element.column else element.reads:
                found.setdefault(column, []).append(note)
    return {c: "; ".join(dict.fromkeys(n)).replace('"', "'") for c, n in found.items()}


def key_marks(table: Table) -> dict[str, list[str]]:
    """Column -> its marks in PK, FK, UK order; UK for members of any unique key but the PK."""
    marks: dict[str, list[str]] = {}
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    unique_columns = {c for key in _unique_keys(table) if key != table.primary_key for c in key}
    for column in table.columns:
        flags = [
            flag
            for flag, member in (
                ("PK", column.name in table.primary_key),
                ("FK", column.name in fk_columns),
                ("UK", column.name in unique_columns),
            )
            if member
        ]
        if flags:
            marks[column.name] = flags
    return marks


def _unique_keys(table: Table) -> Iterator[list[str]]:
    if table.primary_key:
        yield table.primary_key
    for unique in table.uniques:
        yield unique.columns
    for index in table.indexes:
        if index.unique and index.where is None and all(e.column for e in index.elements):
            yield [e.column for e in index.elements if e.column]


def mermaid_type(column: Column) -> str:
    """A short PostgreSQL spelling of the column's type ("varchar(255)", "timestamptz")."""
    text = column.type
    for pattern, short in _SHORT_TYPES:
        text = pattern.sub(short, text, count=1)
    return text.replace(" ", "_")


def attribute_word(text: str) -> str:
    """`text` as one attribute token: bare when Mermaid's lexer takes it, else backquoted."""
    if _ATTRIBUTE_WORD.fullmatch(text) and not _KEY_WORD.match(text) and "~" not in text:
        return text
    return "`" + (text.replace("`", "'") or "_") + "`"


def cardinality(table: Table, fk: ForeignKey) -> str:
    """Mermaid relationship operator for parent -> child along `fk`."""
    columns = [table.column(name) for name in fk.columns]
    required = all(
        c is not None and (not c.nullable or c.name in table.primary_key) for c in columns
    )
    parent = "||" if required else "|o"
    unique = any(set(key) == set(fk.columns) for key in _unique_keys(table))
    child = "o|" if unique else "o{"
    line = "--" if set(fk.columns) <= set(table.primary_key) else ".."
    return f"{parent}{line}{child}"


def _relationship(table: Table, fk: ForeignKey, ids: dict[str, str]) -> str:
    label = ", ".join(fk.columns).replace('"', "'")
    return f'    {ids[fk.ref_table]} {cardinality(table, fk)} {ids[table.name]} : "{label}"'
