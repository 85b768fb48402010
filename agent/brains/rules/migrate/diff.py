"""The difference between two parsed schemas, object by object: what to add, drop or change.

Tables, columns (type, nullability, default), enum types and their values, foreign keys,
unique and check constraints, indexes and row-level security are compared on the typed
model; functions, triggers, policies and views (which the model does not describe) are
compared as normalised statements. A dropped column paired with an added column of the
same type and a containing or similar name is read as a rename, so its data is copied
instead of lost.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import pglast
from pglast.stream import RawStream

from tools.sql import pgparse
from tools.sql.model import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
)

# Statements the model does not describe, compared by their normalised text.
STATEMENT_KINDS = frozenset(
    {"CreateFunctionStmt", "CreateTrigStmt", "CreatePolicyStmt", "ViewStmt",
     "CreateTableAsStmt", "CreateExtensionStmt", "CommentStmt"}
)  # fmt: skip
RENAME_SIMILARITY = 0.75


@dataclass
class ColumnChange:
    table: str
    old: Column
    new: Column

    @property
    def retyped(self) -> bool:
        return self.old.type != self.new.type

    @property
    def nullability(self) -> bool:
        return self.old.nullable != self.new.nullable

    @property
    def default(self) -> bool:
        return self.old.default != self.new.default


@dataclass
class Constraints:
    """Foreign keys, unique and check constraints of one table, keyed for comparison."""

    foreign: dict[tuple[object, ...], ForeignKey] = field(default_factory=dict)
    unique: dict[tuple[str, ...], UniqueConstraint] = field(default_factory=dict)
    checks: dict[str, CheckConstraint] = field(default_factory=dict)


@dataclass
class SchemaDiff:
    tables_added: list[Table] = field(default_factory=list)
    tables_dropped: list[Table] = field(default_factory=list)
    columns_added: list[tuple[str, Column]] = field(default_factory=list)
    columns_dropped: list[tuple[str, Column]] = field(default_factory=list)
    renamed: list[ColumnChange] = field(default_factory=list)  # old name -> new name
    changed: list[ColumnChange] = field(default_factory=list)
    enums_added: list[str] = field(default_factory=list)
    enums_dropped: list[str] = field(default_factory=list)
    enum_values: list[tuple[str, str, str | None]] = field(
        default_factory=list
    )  # type, value, before
    enums_rebuilt: list[str] = field(default_factory=list)  # values removed or reordered
    foreign_added: list[tuple[str, ForeignKey]] = field(default_factory=list)
    foreign_dropped: list[tuple[str, ForeignKey]] = field(default_factory=list)
    unique_added: list[tuple[str, UniqueConstraint]] = field(default_factory=list)
    unique_dropped: list[tuple[str, UniqueConstraint]] = field(default_factory=list)
    checks_added: list[tuple[str, CheckConstraint]] = field(default_factory=list)
    checks_dropped: list[tuple[str, CheckConstraint]] = field(default_factory=list)
    indexes_added: list[Index] = field(default_factory=list)
    indexes_dropped: list[Index] = field(default_factory=list)
    rls_enabled: list[str] = field(default_factory=list)
    rls_disabled: list[str] = field(default_factory=list)
    rls_forced: list[str] = field(default_factory=list)
    rls_unforced: list[str] = field(default_factory=list)
    statements_added: list[str] = field(default_factory=list)  # target SQL, in target order
    statements_dropped: list[str] = field(default_factory=list)  # current SQL
    unsupported: list[str] = field(default_factory=list)


def diff_schemas(current: Schema, target: Schema) -> SchemaDiff:
    diff = SchemaDiff()
    _tables(current, target, diff)
    _enums(current, target, diff)
    for name, table in target.tables.items():
        old = current.table(name)
        if old is not None:
            _columns(old, table, diff)
            _constraints(current, old, target, table, diff)
            _rls(old, table, diff)
    _indexes(current, target, diff)
    _statements(current, target, diff)
    return diff


def _tables(current: Schema, target: Schema, diff: SchemaDiff) -> None:
    diff.tables_added = [t for n, t in target.tables.items() if n not in current.tables]
    diff.tables_dropped = [t for n, t in current.tables.items() if n not in target.tables]
    for name, table in target.tables.items():
        old = current.table(name)
        if old is None:
            continue
        if old.primary_key != table.primary_key:
            diff.unsupported.append(
                f"primary key of {name}: ({', '.join(old.primary_key)}) -> "
                f"({', '.join(table.primary_key)}); change keys in a planned maintenance step"
            )
        if (old.partition_by, old.partition_of) != (table.partition_by, table.partition_of):
            diff.unsupported.append(
                f"partitioning of {name}: copy it into a new partitioned table instead"
            )


def _enums(current: Schema, target: Schema, diff: SchemaDiff) -> None:
    for name, enum in target.enums.items():
        old = current.enums.get(name)
        if old is None:
            diff.enums_added.append(name)
            continue
        kept = [v for v in enum.values if v in old.values]
        if kept != old.values:
            diff.enums_rebuilt.append(name)
            continue
        for position, value in enumerate(enum.values):
            if value not in old.values:
                later = [v for v in enum.values[position + 1 :] if v in old.values]
                diff.enum_values.append((name, value, later[0] if later else None))
    diff.enums_dropped = [n for n in current.enums if n not in target.enums]


def _columns(old: Table, new: Table, diff: SchemaDiff) -> None:
    added = [c for c in new.columns if old.column(c.name) is None]
    dropped = [c for c in old.columns if new.column(c.name) is None]
    for column in list(added):
        source = _rename_source(column, dropped)
        if source is not None:
            diff.renamed.append(ColumnChange(new.name, source, column))
            dropped.remove(source)
            added.remove(column)
    diff.columns_added += [(new.name, c) for c in added]
    diff.columns_dropped += [(new.name, c) for c in dropped]
    for column in new.columns:
        before = old.column(column.name)
        if before is not None:
            change = ColumnChange(new.name, before, column)
            if change.retyped or change.nullability or change.default:
                diff.changed.append(change)


def _rename_source(column: Column, dropped: list[Column]) -> Column | None:
    """The dropped column this added one most likely replaces (same type, related name)."""
    best, score = None, RENAME_SIMILARITY
    for old in dropped:
        if old.type != column.type:
            continue
        contained = old.name in column.name or column.name in old.name
        ratio = 1.0 if contained else difflib.SequenceMatcher(None, old.name, column.name).ratio()
        if ratio >= score:
            best, score = old, ratio
    return best


def constraints_of(schema: Schema, table: Table) -> Constraints:
    found = Constraints()
    for fk in table.foreign_keys:
        parent = schema.table(fk.ref_table)
        refs = fk.ref_columns or (parent.primary_key if parent else [])
        key = (tuple(fk.columns), fk.ref_table, tuple(refs), fk.on_delete, fk.on_update)
        found.foreign[key] = fk
    found.unique = {tuple(u.columns): u for u in table.uniques}
    found.checks = {_squeeze(c.expression): c for c in table.checks}
    return found


def _constraints(current: Schema, old: Table, target: Schema, new: Table, diff: SchemaDiff) -> None:
    before, after = constraints_of(current, old), constraints_of(target, new)
    diff.foreign_added += [
        (new.name, v) for k, v in after.foreign.items() if k not in before.foreign
    ]
    diff.foreign_dropped += [
        (old.name, v) for k, v in before.foreign.items() if k not in after.foreign
    ]
    diff.unique_added += [(new.name, v) for k, v in after.unique.items() if k not in before.unique]
    diff.unique_dropped += [
        (old.name, v) for k, v in before.unique.items() if k not in after.unique
    ]
    diff.checks_added += [(new.name, v) for k, v in after.checks.items() if k not in before.checks]
    diff.checks_dropped += [
        (old.name, v) for k, v in before.checks.items() if k not in after.checks
    ]


def _rls(old: Table, new: Table, diff: SchemaDiff) -> None:
    if new.row_level_security and not old.row_level_security:
        diff.rls_enabled.append(new.name)
    elif old.row_level_security and not new.row_level_security:
        diff.rls_disabled.append(new.name)
    if new.force_row_level_security and not old.force_row_level_security:
        diff.rls_forced.append(new.name)
    elif old.force_row_level_security and not new.force_row_level_security:
        diff.rls_unforced.append(new.name)


def index_key(index: Index) -> tuple[object, ...]:
    elements = tuple((e.key, e.opclass, e.descending, e.nulls_first) for e in index.elements)
    where = _squeeze(index.where) if index.where else None
    return (index.table, index.unique, index.method, elements, where, tuple(index.include))


def _indexes(current: Schema, target: Schema, diff: SchemaDiff) -> None:
    before = {index_key(i): i for t in current.tables.values() for i in t.indexes}
    after = {index_key(i): i for t in target.tables.values() for i in t.indexes}
    kept_tables = set(current.tables) & set(target.tables)
    diff.indexes_added = [i for k, i in after.items() if k not in before and i.table in kept_tables]
    diff.indexes_dropped = [
        i for k, i in before.items() if k not in after and i.table in kept_tables
    ]


def _statements(current: Schema, target: Schema, diff: SchemaDiff) -> None:
    before = {normalise(s.sql): s.sql for s in current.statements if s.kind in STATEMENT_KINDS}
    after = {normalise(s.sql): s.sql for s in target.statements if s.kind in STATEMENT_KINDS}
    diff.statements_added = [sql for key, sql in after.items() if key not in before]
    diff.statements_dropped = [sql for key, sql in before.items() if key not in after]


def normalise(sql: str) -> str:
    """One spelling per statement (pglast's deparse), so layout and case do not count."""
    try:
        return str(RawStream()(pgparse.parse_sql(sql)))
    except pglast.parser.ParseError:
        return _squeeze(sql)


def _squeeze(text: str) -> str:
    return " ".join(text.lower().split())
