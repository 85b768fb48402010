"""One table's bulk INSERT ... SELECT over generate_series, with keys that fit its parents.

Keys are templates in the series number, so a child reaches a parent row by computing the
parent's key for a chosen parent number: no lookups, any load order, cycles included.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from psycopg import sql

from tools.sql.datagen.checks import CheckRules, derive_rules
from tools.sql.datagen.partitions import Window, window_expr
from tools.sql.datagen.values import (
    Gen,
    canonical,
    later_gap,
    skewed_index,
    uniform,
    value_expr,
    zipf_choice,
)
from tools.sql.model import Column, ForeignKey, Schema, Table

_MOMENTS = frozenset({"timestamptz", "timestamp", "date"})
_MOSTLY_NULL = ("deleted", "archived", "cancel", "ended", "closed", "removed")


@dataclass
class TablePlan:
    """What the loader runs for one table, and what it had to give up."""

    table: str
    rows: int
    insert: str = ""
    notes: list[str] = field(default_factory=list)
    filtered: bool = False  # rows failing an underived CHECK are dropped


def ident(name: str) -> str:
    """A table or column name quoted for SQL; `audit.events` is schema-qualified."""
    return sql.Identifier(*name.split(".")).as_string()


class TableGenerator:
    """Builds value templates per table, memoised, so children can derive parent keys."""

    def __init__(
        self,
        schema: Schema,
        rows: dict[str, int],
        seed: int,
        windows: dict[str, Window] | None = None,
    ) -> None:
        self.schema, self.rows, self.seed = schema, rows, seed
        self.windows = windows or {}
        # Tables whose rows an underived CHECK filters: children pick from loaded keys.
        self.filtered = {t.name for t in schema.tables.values() if derive_rules(t).unsupported}
        self.not_null_filters: dict[str, list[str]] = {}
        self.planned: set[str] = set()  # loaded before the table being planned
        self._templates: dict[tuple[str, str], str | None] = {}

    def plan(self, table: Table) -> TablePlan:
        try:
            return self._plan(table)
        finally:
            self.planned.add(table.name)

    def _plan(self, table: Table) -> TablePlan:
        plan = TablePlan(table.name, self.rows[table.name])
        rules = derive_rules(table)
        templates = self.templates(table)
        missing = [c.name for c in table.columns if templates.get(c.name) is None and _required(c)]
        if missing:
            plan.notes.append(f"{table.name}: no generator for {', '.join(missing)}; not loaded")
            plan.rows = 0
            return plan
        plan.rows = min(plan.rows, self._capacity(table))
        if plan.rows < self.rows[table.name]:
            plan.notes.append(f"{table.name}: unique keys allow only {plan.rows} rows")
        plan.insert = self._insert(table, templates, plan.rows, rules)
        if table.name in self.not_null_filters:
            plan.filtered = True
            plan.notes.append(f"{table.name}: rows whose parent row was filtered out are dropped")
        if rules.unsupported:
            plan.filtered = True
            self.filtered.add(table.name)
            checks = "; ".join(rules.unsupported)
            plan.notes.append(f"{table.name}: rows failing CHECK ({checks}) were dropped")
        return plan

    def templates(self, table: Table) -> dict[str, str | None]:
        skip = {c.name for c in table.columns if c.generated}
        skip |= {c.name for c in table.columns if c.identity and c.name not in table.primary_key}
        return {c.name: self.column_template(table, c) for c in table.columns if c.name not in skip}

    def column_template(self, table: Table, column: Column) -> str | None:
        """Memoised per column: a child needs only its parents' key columns, so FK cycles
        between tables never recurse (a column-level cycle yields None)."""
        key = (table.name, column.name)
        if key not in self._templates:
            self._templates[key] = None  # in progress
            self._templates[key] = self._build(table, column)
        return self._templates[key]

    def _build(self, table: Table, column: Column) -> str | None:
        fk = next((f for f in table.foreign_keys if column.name in f.columns), None)
        if fk is not None:
            return self._fk_value(table, column, fk)
        gen = self._gen(table, column, column.name in _unique_columns(table), derive_rules(table))
        window = self.windows.get(table.name)
        if window is not None and window.column == column.name and gen.base in _MOMENTS:
            return window_expr(window, gen.base, uniform(gen.salt))
        earlier = table.column(gen.rule.after) if gen.rule and gen.rule.after else None
        if earlier is not None:
            start = self.column_template(table, earlier)
            return _with_nulls(f"({start} + {later_gap(gen)})", column, gen) if start else None
        return self._scalar(column, gen)

    def _gen(self, table: Table, column: Column, unique: bool, rules: CheckRules) -> Gen:
        base = column.base_type
        if base in self.schema.domains:
            base = self.schema.domains[base].base_type
        return Gen(
            salt=self.salt(table.name, column.name),
            rows=self.rows[table.name],
            name=column.name,
            base=canonical(base),
            mods=tuple(column.type_mods),
            unique=unique,
            rule=rules.columns.get(column.name),
        )

    def salt(self, table: str, column: str) -> int:
        return zlib.crc32(f"{self.seed}:{table}:{column}".encode()) & 0xFFFFFF

    def _scalar(self, column: Column, gen: Gen) -> str | None:
        enum = self.schema.enums.get(column.base_type)
        if enum is not None:
            labels = [sql.Literal(v).as_string() for v in enum.values]
            expr: str | None = f"{zipf_choice(gen.salt, labels)}::{ident(enum.name)}"
        elif column.is_array:
            expr = _array(gen)
        else:
            expr = value_expr(gen)
        if expr is None:
            return None
        return _with_nulls(expr, column, gen)

    def _fk_value(self, table: Table, column: Column, fk: ForeignKey) -> str | None:
        parent = self.schema.table(fk.ref_table)
        if parent is None:
            return None
        ref_cols = fk.ref_columns or parent.primary_key
        ref = ref_cols[fk.columns.index(column.name)] if ref_cols else None
        ref_column = parent.column(ref) if ref else None
        parent_value = self.column_template(parent, ref_column) if ref_column else None
        if parent_value is None:
            return None
        k = self._parent_number(table, column, fk)
        value = parent_value.replace("{g}", k)
        loaded_first = fk.ref_table in self.planned and fk.ref_table in self.filtered
        if loaded_first and len(fk.columns) == 1:
            value = self._from_loaded_keys(table, column, parent, ref or "", k)
        self_ref = fk.ref_table == table.name
        if column.nullable and (self_ref or not _in_key(table, column.name)):
            rate = 0.05
            u = uniform(self.salt(table.name, column.name) + 7)
            first = " OR {g} = 1" if self_ref else ""
            return f"CASE WHEN {u} < {rate}{first} THEN NULL ELSE {value} END"
        return value

    def _from_loaded_keys(
        self, table: Table, column: Column, parent: Table, ref: str, k: str
    ) -> str:
        """A parent that lost rows to a CHECK filter: pick from the keys it really has.

        Positions past the end give NULL; such rows are filtered out too, so this table
        counts as filtered for its own children.
        """
        keys = f"(SELECT array_agg({ident(ref)} ORDER BY {ident(ref)}) FROM {ident(parent.name)})"
        if k.startswith("(1 + floor"):  # a skewed draw: re-scale it to the keys that exist
            k = skewed_index(self.salt(table.name, column.name), f"cardinality({keys})")
        if not column.nullable:
            self.not_null_filters.setdefault(table.name, []).append(column.name)
            self.filtered.add(table.name)
        return f"({keys})[{k}]"

    def _parent_number(self, table: Table, column: Column, fk: ForeignKey) -> str:
        """Which parent row (1..n) a child row points at: skewed, 1:1, paired or a tree."""
        parent_rows = max(self.rows.get(fk.ref_table, 1), 1)
        salt = self.salt(table.name, ",".join(fk.columns))  # one draw per FK, not per column
        if fk.ref_table == table.name:  # a tree: point at an earlier row
            return f"(1 + floor(({{g}} - 1) * {uniform(salt)})::bigint)"
        for unique in _unique_sets(table):
            fks = _fks_covering(table, unique)
            if fks is None or fk not in fks:
                continue
            if len(fks) == 1:
                return "({g})"
            return self._paired_number(fks, fk, salt)
        return skewed_index(salt, str(parent_rows))

    def _paired_number(self, fks: list[ForeignKey], fk: ForeignKey, salt: int) -> str:
        """Parent numbers for a key made of several FKs (a join table), pairs never repeating.

        The first FK cycles through its parent; each later one starts at a skewed offset
        chosen by the first parent and advances one step per full cycle, which keeps every
        combination distinct while popular rows stay popular.
        """
        sizes = [max(self.rows.get(f.ref_table, 1), 1) for f in fks]
        position = fks.index(fk)
        first = f"((({{g}}) - 1) % {sizes[0]} + 1)"
        if position == 0:
            return first
        radix = 1
        for size in sizes[1:position]:
            radix *= size
        cycle = f"((({{g}}) - 1) / {sizes[0]} / {radix})"
        offset = f"floor({sizes[position]} * power({uniform(salt, first)}, 2.5))::bigint"
        return f"(({offset} + {cycle}) % {sizes[position]} + 1)"

    def _capacity(self, table: Table) -> int:
        """Rows possible when a unique key is made only of foreign keys."""
        capacity = self.rows[table.name]
        for unique in _unique_sets(table):
            fks = _fks_covering(table, unique)
            if fks:
                product = 1
                for fk in fks:
                    product *= max(self.rows.get(fk.ref_table, 1), 1)
                capacity = min(capacity, product)
        return capacity

    def _insert(
        self, table: Table, templates: dict[str, str | None], rows: int, rules: CheckRules
    ) -> str:
        names = [name for name, expr in templates.items() if expr is not None]
        columns = ", ".join(ident(n) for n in names)
        values = ", ".join(f"{templates[n]} AS {ident(n)}" for n in names).replace("{g}", "g")
        filters = [f"({check})" for check in rules.unsupported]
        filters += [f"{ident(c)} IS NOT NULL" for c in self.not_null_filters.get(table.name, [])]
        where = " AND ".join(filters) or "true"
        # ON CONFLICT DO NOTHING: a generated row that an exclusion constraint (no two
        # bookings of a room overlapping) or a composite unique key refuses is left out,
        # instead of failing the whole table's load; the loaded count says how many came in.
        return (
            f"INSERT INTO {ident(table.name)} ({columns}) OVERRIDING SYSTEM VALUE "
            f"SELECT {columns} FROM (SELECT {values} "
            f"FROM generate_series(1::bigint, {rows}) AS g) AS generated WHERE {where} "
            "ON CONFLICT DO NOTHING"
        )


def _required(column: Column) -> bool:
    return not column.nullable and column.default is None and not column.identity


def _with_nulls(expr: str, column: Column, gen: Gen) -> str:
    if not column.nullable or gen.unique:
        return expr
    rate = 0.9 if any(w in column.name.lower() for w in _MOSTLY_NULL) else 0.1
    return f"CASE WHEN {uniform(gen.salt + 3)} < {rate} THEN NULL ELSE {expr} END"


def _array(gen: Gen) -> str:
    if gen.base in ("text", "varchar", "citext"):
        tags = [f"'tag' || floor(20 * power({uniform(gen.salt + i)}, 2))::int" for i in (0, 1)]
        return f"ARRAY[{', '.join(tags)}]"
    elements = [
        value_expr(Gen(gen.salt + i, gen.rows, gen.name, gen.base, gen.mods)) for i in (0, 1)
    ]
    if any(e is None for e in elements):
        return "NULL"
    return f"ARRAY[{', '.join(e for e in elements if e)}]"


def _unique_sets(table: Table) -> list[list[str]]:
    sets = [table.primary_key] if table.primary_key else []
    sets += [u.columns for u in table.uniques]
    sets += [[e.column for e in ix.elements if e.column] for ix in table.indexes if ix.unique]
    return [s for s in sets if s]


def _fks_covering(table: Table, columns: list[str]) -> list[ForeignKey] | None:
    """The foreign keys that make up a unique key, when every key column is an FK column."""
    fks: list[ForeignKey] = []
    for column in columns:
        fk = next((f for f in table.foreign_keys if column in f.columns), None)
        if fk is None:
            return None
        if fk not in fks:
            fks.append(fk)
    return fks


def _unique_columns(table: Table) -> set[str]:
    """Columns whose values must be distinct: one non-FK column of each unique key."""
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    unique: set[str] = set()
    for columns in _unique_sets(table):
        free = [c for c in columns if c not in fk_columns]
        if free and not unique.intersection(free):
            unique.add(free[0])
    return unique


def _in_key(table: Table, column: str) -> bool:
    return any(column in s for s in _unique_sets(table))
