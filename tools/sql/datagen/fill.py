"""Fill a scratch database with synthetic data at the stated volumes, then settle statistics.

Each table is one `INSERT ... SELECT ... FROM generate_series` (no per-row round trips).
Foreign keys are dropped for the load and re-added after it, so PostgreSQL validates every
reference in one pass per key, the load order stops mattering (cycles, self-references),
and a generator bug surfaces as a failed re-add instead of silently wrong data.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import psycopg
from pydantic import BaseModel, ConfigDict, Field

from tools.errors import InputError
from tools.sql.datagen.partitions import partition_windows
from tools.sql.datagen.planner_stats import settle
from tools.sql.datagen.repair import ForeignKeyDef, repair_orphans
from tools.sql.datagen.table import TableGenerator, ident
from tools.sql.model import Schema, Table
from tools.sql.server import Conn, Scratch, connect

DEFAULT_ROWS = 1000
MIN_SAMPLE_ROWS = 1_000
MIN_LARGE_SAMPLE_ROWS = 20_000
LARGE_TABLE_ROWS = 100_000

_FORCED_TABLES = """
SELECT oid::regclass::text FROM pg_class
WHERE relforcerowsecurity AND relkind IN ('r', 'p')
  AND relnamespace::regnamespace::text NOT LIKE 'pg_%'
"""
_FOREIGN_KEYS = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), confrelid::regclass::text,
       ARRAY(SELECT attname FROM unnest(conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute ON attrelid = conrelid AND attnum = k.n ORDER BY k.i),
       ARRAY(SELECT attname FROM unnest(confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute ON attrelid = confrelid AND attnum = k.n ORDER BY k.i),
       (SELECT bool_and(attnotnull) FROM pg_attribute
         WHERE attrelid = conrelid AND attnum = ANY(conkey))
FROM pg_constraint WHERE contype = 'f' AND conparentid = 0
  AND connamespace::regnamespace::text NOT LIKE 'pg_%'
ORDER BY conrelid::regclass::text, conname
"""


class TableLoad(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str
    stated: int
    loaded: int
    seconds: float


class DataReport(BaseModel):
    """What was loaded, how it was scaled, and anything the generator could not honour."""

    model_config = ConfigDict(extra="forbid")

    tables: list[TableLoad] = Field(default_factory=list)
    factor: float = 1.0
    sampling_note: str | None = None
    notes: list[str] = Field(default_factory=list)
    failures: list[str] = Field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(t.loaded for t in self.tables)


def row_targets(
    schema: Schema, rows: Mapping[str, int], cap: int, default_rows: int = DEFAULT_ROWS
) -> tuple[dict[str, int], dict[str, int], float]:
    """(stated, to load, factor): volumes past `cap` shrink together, ratios kept.

    A shrunk table keeps at least `MIN_SAMPLE_ROWS` (or all its stated rows): a plan's
    choice follows a key's selectivity, and a parent scaled down to a handful of rows would
    make `WHERE parent_id = $1` look like it reads half the child table. A large table keeps
    `MIN_LARGE_SAMPLE_ROWS`: shrunk to a few pages, a join would rather hash it whole than
    probe its key index, which it never would at the stated volume.
    """
    unknown = sorted(set(rows) - set(schema.tables))
    if unknown:
        known = ", ".join(sorted(schema.tables)) or "none"
        raise InputError(f"row counts for unknown table(s) {', '.join(unknown)}; tables: {known}")
    stated = {name: int(rows.get(name, default_rows)) for name in _loadable(schema)}
    largest = max(stated.values(), default=0)
    factor = min(1.0, cap / largest) if largest else 1.0
    target = {
        name: max(_floor(count), round(count * factor)) if count else 0
        for name, count in stated.items()
    }
    return stated, target, factor


def generate_data(
    schema: Schema,
    scratch: Scratch,
    rows: Mapping[str, int] | None = None,
    cap: int = 200_000,
    default_rows: int = DEFAULT_ROWS,
    seed: int = 1,
) -> DataReport:
    """Load every table of `schema` (already applied in `scratch`) and settle its statistics."""
    started = time.perf_counter()
    stated, target, factor = row_targets(schema, rows or {}, cap, default_rows)
    report = DataReport(factor=factor, sampling_note=_sampling_note(stated, target, factor))
    with connect(scratch.dsn, autocommit=True) as conn:
        generator = TableGenerator(schema, target, seed, partition_windows(conn))
        foreign_keys = [ForeignKeyDef(*row) for row in conn.execute(_FOREIGN_KEYS).fetchall()]
        for fk in foreign_keys:
            conn.execute(f"ALTER TABLE {fk.table} DROP CONSTRAINT {ident(fk.name)}")
        tables = dependency_order(schema)
        # Sample rows are not changes to audit or stamp: user triggers (audit logs,
        # updated_at) would only slow the load down, several-fold for row-level ones.
        _set_triggers(conn, tables, "DISABLE")
        _lift_forced_security(conn, report)
        try:
            for table in tables:
                report.tables.append(_load(conn, generator, table, stated[table.name], report))
            # Repairs are part of the load too: an append-only table's guard must not see them.
            _repaired(conn, foreign_keys, report)
        finally:
            _set_triggers(conn, tables, "ENABLE")
        for fk in foreign_keys:
            _restore(conn, fk, report)
        settle(conn)  # statistics and visibility in a known state: advice must not drift
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _lift_forced_security(conn: Conn, report: DataReport) -> None:
    """Loading and planning run as the tables' owner, who bypasses row-level security
    unless it is forced. Under FORCE the policies would refuse every tenant's rows but the
    (unset) session's, and PostgreSQL would validate a re-added foreign key with them
    applied, finding no parent rows. The sample lifts FORCE: plans are the owner's, the
    stated queries without the policies' filters, as for a schema that does not force."""
    forced = [str(r[0]) for r in conn.execute(_FORCED_TABLES).fetchall()]
    for table in forced:
        conn.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    if forced:
        report.notes.append(
            f"row-level security is not forced in the sample ({', '.join(forced)}): plans "
            "show the stated queries without the policies' tenant filter"
        )


def _repaired(conn: Conn, foreign_keys: list[ForeignKeyDef], report: DataReport) -> None:
    log = repair_orphans(conn, foreign_keys)
    report.notes += log.notes
    for load in report.tables:
        load.loaded -= log.dropped.get(load.table, 0) + log.dropped.get(ident(load.table), 0)


def _restore(conn: Conn, fk: ForeignKeyDef, report: DataReport) -> None:
    try:
        conn.execute(f"ALTER TABLE {fk.table} ADD CONSTRAINT {ident(fk.name)} {fk.definition}")
    except psycopg.Error as exc:
        report.failures.append(f"{fk.table}: foreign key {fk.name} not restored: {_message(exc)}")


def _set_triggers(conn: Conn, tables: list[Table], action: str) -> None:
    for table in tables:
        conn.execute(f"ALTER TABLE {ident(table.name)} {action} TRIGGER USER")


def _load(
    conn: Conn, generator: TableGenerator, table: Table, stated: int, report: DataReport
) -> TableLoad:
    started = time.perf_counter()
    plan = generator.plan(table)
    report.notes.extend(plan.notes)
    loaded = 0
    if plan.rows:
        try:
            loaded = conn.execute(plan.insert).rowcount
        except psycopg.Error as exc:
            report.failures.append(f"{table.name}: {_message(exc)}")
    seconds = round(time.perf_counter() - started, 3)
    return TableLoad(table=table.name, stated=stated, loaded=max(loaded, 0), seconds=seconds)


def _message(exc: psycopg.Error) -> str:
    return (exc.diag.message_primary or str(exc)).strip()


def _loadable(schema: Schema) -> list[str]:
    """Partitions are filled through their parent; views and the like are not tables."""
    return [name for name, table in schema.tables.items() if table.partition_of is None]


def dependency_order(schema: Schema) -> list[Table]:
    """Parents before children where the FK graph allows it; cycles keep schema order."""
    pending = {name: schema.tables[name] for name in _loadable(schema)}
    ordered: list[Table] = []
    while pending:
        ready = [
            t
            for t in pending.values()
            if all(fk.ref_table == t.name or fk.ref_table not in pending for fk in t.foreign_keys)
        ]
        batch = ready or [next(iter(pending.values()))]
        for table in batch:
            ordered.append(pending.pop(table.name))
    return ordered


def _floor(stated: int) -> int:
    return min(stated, MIN_LARGE_SAMPLE_ROWS if stated >= LARGE_TABLE_ROWS else MIN_SAMPLE_ROWS)


def _sampling_note(stated: dict[str, int], target: dict[str, int], factor: float) -> str | None:
    if factor >= 1.0:
        return None
    largest = max(stated, key=lambda name: stated[name])
    return (
        f"sampled down: stated volumes exceed the cap, so every table was loaded at "
        f"{factor:.4g} of its stated rows (ratios kept), but never below "
        f"{MIN_SAMPLE_ROWS:,} rows ({MIN_LARGE_SAMPLE_ROWS:,} for a table stated at "
        f"{LARGE_TABLE_ROWS:,} or more; all of a smaller one) so that key selectivity and "
        f"join choices stay realistic; {largest}: {stated[largest]:,} stated, "
        f"{target[largest]:,} loaded"
    )
