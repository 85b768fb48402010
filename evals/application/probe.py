"""One statement tried in a session, and what PostgreSQL made of it.

Statements run inside a savepoint, so a refusal leaves the session usable for the next
probe, and the session itself is always rolled back: nothing a probe writes survives.
Parameterised text is prepared server-side (`PREPARE ... AS`), so `$n` keep their
meaning and PostgreSQL infers each parameter's type from where it is used.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from tools.sql.server import Conn

_NAMES = itertools.count(1)
DUPLICATE_ROW = ("23505", "23P01")  # unique or exclusion violation: a copied row's values
RLS_REFUSED = "42501"  # insufficient_privilege: "new row violates row-level security policy"


@dataclass(frozen=True)
class Outcome:
    """Did the statement run; rows it returned (or changed); else its SQLSTATE and message."""

    ran: bool
    rows: int = 0
    sqlstate: str | None = None
    error: str | None = None
    constraint: str | None = None  # the constraint PostgreSQL named, if any

    def refused_with(self, *states: str) -> bool:
        return not self.ran and self.sqlstate in states

    @property
    def why(self) -> str:
        """PostgreSQL's message with its SQLSTATE, one line."""
        message = " ".join((self.error or "no error").split())
        return f"{message} ({self.sqlstate})" if self.sqlstate else message


def attempt(conn: Conn, statement: sql.SQL | sql.Composed) -> Outcome:
    """Run one composed statement in a savepoint."""
    try:
        with conn.transaction():
            cursor = conn.execute(statement)
            rows = len(cursor.fetchmany(1000)) if cursor.description else max(cursor.rowcount, 0)
    except psycopg.Error as exc:
        return refusal(exc)
    return Outcome(True, rows)


def refusal(exc: psycopg.Error) -> Outcome:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return Outcome(False, sqlstate=exc.sqlstate, error=message, constraint=exc.diag.constraint_name)


def execute(conn: Conn, text: str, values: Sequence[str | None]) -> Outcome:
    """Prepare `text` (with its `$n`) and execute it with `values` (text; None is NULL)."""
    name = sql.Identifier(f"dbarch_probe_{next(_NAMES)}")
    try:
        with conn.transaction():
            conn.execute(sql.SQL("PREPARE {} AS ").format(name) + sql.SQL(text))
    except psycopg.Error as exc:
        return refusal(exc)
    args = sql.SQL(", ").join(sql.NULL if v is None else _untyped(v) for v in values)
    call = sql.SQL("EXECUTE {}").format(name)
    return attempt(conn, call + sql.SQL(" ({})").format(args) if values else call)


def _untyped(value: str) -> sql.SQL:
    """A string literal without a cast, so PostgreSQL reads it as the parameter's type."""
    return sql.SQL("'" + value.replace("'", "''") + "'")
