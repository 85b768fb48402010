"""Rules the database must hold against the application's own statements: append-only
tables refuse UPDATE and DELETE, bookings refuse an overlapping period (and accept an
adjacent one), changes are audited, and erasing a data subject leaves no copy behind."""

from __future__ import annotations

import itertools
from typing import Annotated

from psycopg import sql
from pydantic import Field

from evals.application.database import AppDatabase
from evals.application.probe import attempt
from evals.application.tables import (
    copy_row,
    copyable_columns,
    ident,
    key_match,
    primary_key,
)
from evals.application.targets import NotProbed, each_target
from evals.registry import Grade, NonEmpty, check, listing
from evals.subject import Subject
from tools.sql.server import Conn

_MARKERS = itertools.count(1)
Period = Annotated[list[str], Field(min_length=2, max_length=2)]  # [start column, end column]
_PARTITIONS = "SELECT c.oid::regclass::text FROM pg_class c WHERE c.relispartition"


def _settings(db: AppDatabase) -> dict[str, str]:
    return db.tenant_settings() if db.policy.tenants else db.policy.settings(None)


def _first_key(db: AppDatabase, table: str) -> list[str]:
    with db.session(as_app=False) as owner:
        key = primary_key(owner, table)
    if not key:
        raise NotProbed(f"{table} has no primary key to pick a row by")
    return key


def _one_row(table: str, key: list[str]) -> sql.Composable:
    """`(k) = (SELECT k FROM t LIMIT 1)`: one row the session can see."""
    keys = key_match(key)
    return sql.SQL("({k}) = (SELECT {k} FROM {t} LIMIT 1)").format(k=keys, t=ident(table))


@check("app_append_only", NonEmpty)
def app_append_only(subject: Subject, tables: list[str]) -> Grade:
    """The application role can neither UPDATE nor DELETE a row of each table (a trigger or
    a rule refuses it; corrections are new rows)."""
    return each_target(subject, tables, _unchangeable)


def _unchangeable(db: AppDatabase, table: str) -> tuple[str | None, str]:
    key = _first_key(db, table)
    column = sql.Identifier(key[0])
    statements = {
        "UPDATE": sql.SQL("UPDATE {t} SET {c} = {c} WHERE {w}"),
        "DELETE": sql.SQL("DELETE FROM {t} WHERE {w}"),
    }
    refused = []
    for verb, template in statements.items():
        statement = template.format(t=ident(table), c=column, w=_one_row(table, key))
        with db.session(_settings(db)) as conn:
            outcome = attempt(conn, statement)
        if outcome.ran:
            changed = f"{verb} changed {outcome.rows} row(s)" if outcome.rows else f"{verb} ran"
            return f"{table}: {changed}", ""
        refused.append(f"{verb} refused: {outcome.why}")
    return None, f"{table}: " + "; ".join(refused)


@check("app_overlap_refused", dict[str, Period])
def app_overlap_refused(subject: Subject, periods: dict[str, list[str]]) -> Grade:
    """`{table: [start, end]}`: a copy of the latest row shifted by half its length (same
    resource, overlapping period) is refused by an exclusion constraint, and a copy shifted
    by its whole length (adjacent, not overlapping) is accepted."""
    return each_target(subject, list(periods), lambda db, t: _overlap(db, t, *periods[t]))


def _overlap(db: AppDatabase, table: str, start: str, end: str) -> tuple[str | None, str]:
    with db.session(as_app=False) as owner:
        columns = copyable_columns(owner, table)
    if start not in columns or end not in columns:
        raise NotProbed(f"{table} has no columns {start} and {end} a copy could shift")
    outcomes = {}
    for label, divisor in (("overlapping", 2), ("adjacent", 1)):
        with db.session(_settings(db)) as conn:
            outcomes[label] = attempt(conn, _shifted_copy(table, columns, start, end, divisor))
    overlapping, adjacent = outcomes["overlapping"], outcomes["adjacent"]
    if overlapping.ran:
        return f"{table}: an overlapping copy of its latest row was accepted", ""
    if not overlapping.refused_with("23P01"):
        refused = f"failed, but not on an exclusion constraint: {overlapping.why}"
        return f"{table}: the overlapping copy {refused}", ""
    if not adjacent.ran:
        return f"{table}: an adjacent, non-overlapping copy was refused too: {adjacent.why}", ""
    return None, f"{table}: overlap refused ({overlapping.sqlstate}), adjacent period accepted"


def _shifted_copy(
    table: str, columns: list[str], start: str, end: str, divisor: int
) -> sql.Composed:
    s, e = sql.Identifier(start), sql.Identifier(end)
    shift = sql.SQL("(({e} - {s}) / {d})").format(e=e, s=s, d=sql.Literal(divisor))
    moved = {c: sql.SQL("{} + {}").format(sql.Identifier(c), shift) for c in (start, end)}
    where = sql.SQL("{e} > {s}").format(e=e, s=s)
    return copy_row(table, columns, moved, where, sql.SQL("{} DESC").format(e))


@check("app_changes_audited", NonEmpty)
def app_changes_audited(subject: Subject, tables: list[str]) -> Grade:
    """An UPDATE of a row of each table by the application role writes a row to another
    table (the audit trail) in the same transaction."""
    return each_target(subject, tables, _audited)


def _audited(db: AppDatabase, table: str) -> tuple[str | None, str]:
    key = _first_key(db, table)
    column = sql.Identifier(key[0])
    statement = sql.SQL("UPDATE {t} SET {c} = {c} WHERE {w}").format(
        t=ident(table), c=column, w=_one_row(table, key)
    )
    with db.session(as_app=False) as owner:
        others = [t for t in _whole_tables(owner, db) if t != table]
        before = _counts(owner, others)
    with db.session(_settings(db)) as conn:
        outcome = attempt(conn, statement)
        conn.execute("RESET ROLE")
        after = _counts(conn, others)
    if not outcome.ran or outcome.rows == 0:
        return f"{table}: the UPDATE did not run: {outcome.why}", ""
    grew = [f"{t} (+{after[t] - before[t]})" for t in others if after[t] > before[t]]
    if not grew:
        return f"{table}: an UPDATE by the application left no audit row", ""
    return None, f"{table}: an UPDATE wrote to {', '.join(grew)}"


def _whole_tables(conn: Conn, db: AppDatabase) -> list[str]:
    """Every table but partitions (their parent counts their rows)."""
    partitions = {str(name) for (name,) in conn.execute(_PARTITIONS).fetchall()}
    return [name for name in db.catalog.tables if name not in partitions]


def _counts(conn: Conn, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(ident(table))).fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


@check("app_erasure_leaves_no_copy", dict[str, NonEmpty])
def app_erasure_leaves_no_copy(subject: Subject, subjects: dict[str, list[str]]) -> Grade:
    """`{table: [personal columns]}`: the application writes probe values into a data
    subject's personal columns, then erases the subject (DELETE, or where other records must
    keep it, overwriting those columns); afterwards no table anywhere (audit trails
    included) still holds a probe value."""
    return each_target(subject, list(subjects), lambda db, t: _erased(db, t, subjects[t]))


def _erased(db: AppDatabase, table: str, columns: list[str]) -> tuple[str | None, str]:
    key = _first_key(db, table)
    info = db.catalog.table(table)
    texts = [c for c in columns if info and c in info.columns and info.columns[c].category == "S"]
    if len(key) != 1 or texts != columns:
        raise NotProbed(f"{table}: erasure needs a one-column key and text columns {columns}")
    probe = next(_MARKERS)
    markers = {c: f"erasure-probe-{probe}-{c}@example.invalid" for c in columns}
    with db.session(_settings(db)) as conn:
        row = conn.execute(
            sql.SQL("SELECT {k}::text FROM {t} LIMIT 1").format(
                k=sql.Identifier(key[0]), t=ident(table)
            )
        ).fetchone()
        if row is None:
            raise NotProbed(f"{table}: no row the application can see")
        where = sql.SQL("{k}::text = {v}").format(k=sql.Identifier(key[0]), v=sql.Literal(row[0]))
        assign = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(c), sql.Literal(m)) for c, m in markers.items()
        )
        written = attempt(
            conn, sql.SQL("UPDATE {t} SET {a} WHERE {w}").format(t=ident(table), a=assign, w=where)
        )
        if not written.ran:
            return f"{table}: the application could not write its probe values: {written.why}", ""
        how = _erase(conn, table, columns, where)
        if how is None:
            return f"{table}: the subject could be neither deleted nor overwritten", ""
        conn.execute("RESET ROLE")
        kept = _holding(conn, db, list(markers.values()))
    if kept:
        return f"{table}: after erasure ({how}) copies remain in {listing(kept)}", ""
    return None, f"{table}: erased by {how}; no copy left"


def _erase(conn: Conn, table: str, columns: list[str], where: sql.Composable) -> str | None:
    deleted = attempt(conn, sql.SQL("DELETE FROM {t} WHERE {w}").format(t=ident(table), w=where))
    if deleted.ran:
        return "DELETE"
    erased = sql.SQL(", ").join(
        sql.SQL("{c} = 'erased-' || md5({c})").format(c=sql.Identifier(c)) for c in columns
    )
    overwritten = attempt(
        conn, sql.SQL("UPDATE {t} SET {e} WHERE {w}").format(t=ident(table), e=erased, w=where)
    )
    return f"overwriting {', '.join(columns)} ({deleted.why})" if overwritten.ran else None


def _holding(conn: Conn, db: AppDatabase, markers: list[str]) -> list[str]:
    """Tables with a row whose text holds any marker."""
    found = []
    for table in _whole_tables(conn, db):
        hits = sql.SQL(" OR ").join(
            sql.SQL("{t}::text LIKE {m}").format(
                t=sql.Identifier(table.split(".")[-1]), m=sql.Literal(f"%{m}%")
            )
            for m in markers
        )
        query = sql.SQL("SELECT count(*) FROM {t} WHERE {h}").format(t=ident(table), h=hits)
        row = conn.execute(query).fetchone()
        if row and row[0]:
            found.append(f"{table} ({row[0]} row(s))")
    return found
