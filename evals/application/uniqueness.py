"""Uniqueness as the application meets it: a second row with the same key values is refused
by a constraint on exactly those columns (a key widened to carry a partition column no
longer promises this), and a soft-deleted row's key can be used again."""

from __future__ import annotations

from psycopg import sql

from evals.application.database import AppDatabase
from evals.application.probe import DUPLICATE_ROW, Outcome, attempt
from evals.application.tables import (
    constraint_columns,
    copy_row,
    copyable_columns,
    ident,
    primary_key,
)
from evals.application.targets import NotProbed, each_target
from evals.registry import Grade, NonEmpty, check
from evals.subject import Subject

SOFT_DELETE_COLUMN = "deleted_at"


def _settings(db: AppDatabase) -> dict[str, str]:
    return db.tenant_settings() if db.policy.tenants else db.policy.settings(None)


def _later(
    db: AppDatabase, table: str, columns: list[str], key: list[str]
) -> dict[str, sql.Composable]:
    """Date and time columns outside the key moved on a second: a concurrent writer's row
    differs in when it was written, so only the key itself can make it collide."""
    info = db.catalog.table(table)
    moved: dict[str, sql.Composable] = {}
    for name in columns:
        column = info.columns.get(name) if info else None
        if column is not None and column.category == "D" and name not in key:
            step = "1" if column.type == "date" else "interval '1 second'"
            moved[name] = sql.SQL("{} + {}").format(sql.Identifier(name), sql.SQL(step))
    return moved


def _copyable(db: AppDatabase, table: str, key: list[str]) -> list[str]:
    with db.session(as_app=False) as owner:
        columns = copyable_columns(owner, table)
    missing = [c for c in key if c not in columns]
    if missing:
        raise NotProbed(f"{table} has no copyable column(s) {', '.join(missing)}")
    return columns


def _refused_on(db: AppDatabase, outcome: Outcome, key: list[str], table: str) -> bool:
    """Refused as a duplicate by a constraint over exactly `key` (no other unique key)."""
    if not outcome.refused_with(*DUPLICATE_ROW) or outcome.constraint is None:
        return False
    with db.session(as_app=False) as owner:
        columns = constraint_columns(owner, table, outcome.constraint)
    return set(columns) == set(key)


@check("app_duplicate_refused", dict[str, NonEmpty])
def app_duplicate_refused(subject: Subject, keys: dict[str, list[str]]) -> Grade:
    """`{table: [columns]}`: a copy of a row with the same values in those columns (a fresh
    id otherwise) is refused by a unique constraint over exactly those columns."""
    return each_target(subject, list(keys), lambda db, t: _duplicate(db, t, keys[t]))


def _duplicate(db: AppDatabase, table: str, key: list[str]) -> tuple[str | None, str]:
    columns = _copyable(db, table, key)
    with db.session(_settings(db)) as conn:
        outcome = attempt(conn, copy_row(table, columns, _later(db, table, columns, key)))
    named = f"{table} ({', '.join(key)})"
    if _refused_on(db, outcome, key, table):
        return None, f"{named}: a duplicate is refused by {outcome.constraint}"
    if outcome.ran:
        return f"{named}: a second row with the same values was accepted", ""
    return f"{named}: the copy failed, but not on a key over these columns: {outcome.why}", ""


@check("app_unique_after_soft_delete", dict[str, NonEmpty])
def app_unique_after_soft_delete(subject: Subject, keys: dict[str, list[str]]) -> Grade:
    """`{table: [columns]}`: a copy of a live row with the same key is refused, but once the
    row is soft-deleted (`deleted_at` set) the same key can be used by a new row."""
    return each_target(subject, list(keys), lambda db, t: _reusable(db, t, keys[t]))


def _reusable(db: AppDatabase, table: str, key: list[str]) -> tuple[str | None, str]:
    columns = _copyable(db, table, [*key, SOFT_DELETE_COLUMN])
    with db.session(as_app=False) as owner:
        row_key = primary_key(owner, table)
    if not row_key:
        raise NotProbed(f"{table} has no primary key to pick a row by")
    deleted_at = sql.Identifier(SOFT_DELETE_COLUMN)
    live = sql.SQL("{} IS NULL").format(deleted_at)
    named = f"{table} ({', '.join(key)})"
    with db.session(_settings(db)) as conn:
        later = _later(db, table, columns, [*key, SOFT_DELETE_COLUMN])
        duplicate = attempt(conn, copy_row(table, columns, later, live))
        keys = sql.SQL(", ").join(map(sql.Identifier, row_key))
        picked = sql.SQL("({k}) = (SELECT {k} FROM {t} WHERE {w} LIMIT 1)").format(
            k=keys, t=ident(table), w=live
        )
        found = conn.execute(
            sql.SQL("SELECT ROW({k})::text FROM {t} WHERE {p}").format(
                k=keys, t=ident(table), p=picked
            )
        ).fetchone()
        if found is None:
            raise NotProbed(f"{table}: no live row to soft-delete")
        same = sql.SQL("ROW({k})::text = {v}").format(k=keys, v=sql.Literal(str(found[0])))
        soft = attempt(
            conn,
            sql.SQL("UPDATE {t} SET {d} = now() WHERE {w}").format(
                t=ident(table), d=deleted_at, w=same
            ),
        )
        revived = {**later, SOFT_DELETE_COLUMN: sql.NULL}
        reused = attempt(conn, copy_row(table, columns, revived, same))
    if duplicate.ran or not _refused_on(db, duplicate, key, table):
        return f"{named}: a second live row was not refused on this key ({duplicate.why})", ""
    if not soft.ran:
        return f"{named}: soft delete failed: {soft.why}", ""
    if not reused.ran:
        return f"{named}: the key of a soft-deleted row cannot be used again: {reused.why}", ""
    return None, f"{named}: live duplicates refused, a deleted row's key reusable"
