"""The sandbox role scratch DDL runs as, and the short-lived logins that reach it.

The sandbox role owns scratch databases and everything in them, and cannot log in. Each
scratch database gets a login of its own (`dbarch_login_<...>` after it, a random password,
valid for a day, dropped with the database) that only holds membership in the sandbox
role and starts every session as it (`-c role=...`). Why not `SET ROLE` from the caller's
connection: the DDL could `RESET ROLE` (plainly, through `set_config('role', ...)`, or
inside a DO block) and be the caller again, a superuser on the embedded server. A login
of its own, resetting its role, is only itself: a member of the sandbox role with nothing
of its own (NOINHERIT). No role is ever left that logs in without a password.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tools.sql.scratch_owner import SCRATCH_PREFIX

log = logging.getLogger(__name__)
Conn = psycopg.Connection[tuple[Any, ...]]
SANDBOX_ROLE = "dbarch_sandbox"
LOGIN_PREFIX = "dbarch_login_"
LOGIN_VALIDITY = timedelta(days=1)  # an orphaned scratch login expires on its own
_SWEEP_AFTER = timedelta(minutes=10)
_SANDBOX_LIMITS = {"statement_timeout": "120s", "temp_file_limit": "4GB"}


@dataclass(frozen=True)
class Login:
    name: str
    password: str


def login_name(scratch: str) -> str:
    """The login of a scratch database: `dbarch_scratch_X` is reached as `dbarch_login_X`."""
    return LOGIN_PREFIX + scratch.removeprefix(SCRATCH_PREFIX)


def sandbox_login(admin: Conn, name: str) -> Login | None:
    """A fresh login into the sandbox role; None when we lack the right (the URL's user runs DDL).

    Created in one transaction, so a refusal half-way leaves nothing behind.
    """
    login = Login(name, secrets.token_urlsafe(32))
    try:
        with admin.transaction():
            _ensure_sandbox_role(admin)
            admin.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN PASSWORD {} VALID UNTIL {} NOINHERIT NOSUPERUSER "
                    "NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS IN ROLE {}"
                ).format(
                    sql.Identifier(login.name),
                    sql.Literal(login.password),
                    sql.Literal((datetime.now(UTC) + LOGIN_VALIDITY).isoformat()),
                    sql.Identifier(SANDBOX_ROLE),
                )
            )
            _set_limits(admin, login.name)
    except psycopg.errors.InsufficientPrivilege:
        log.warning("no CREATEROLE privilege: scratch DDL runs as the DATABASE_URL user")
        return None
    return login


def _ensure_sandbox_role(admin: Conn) -> None:
    """The owner role, NOLOGIN; one left by an older version with LOGIN loses it."""
    row = admin.execute(
        "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (SANDBOX_ROLE,)
    ).fetchone()
    role = sql.Identifier(SANDBOX_ROLE)
    create = sql.SQL(
        "CREATE ROLE {} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    ).format(role)
    if row is None:
        try:
            with admin.transaction():  # a savepoint: another process may create it first
                admin.execute(create)
        except psycopg.errors.UniqueViolation:
            pass
    elif row[0]:
        admin.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(role))


def _set_limits(admin: Conn, role: str) -> None:
    """Per-login settings; temp_file_limit needs a superuser, so it is kept when allowed."""
    for setting, value in _SANDBOX_LIMITS.items():
        statement = sql.SQL("ALTER ROLE {} SET {} = {}").format(
            sql.Identifier(role), sql.Identifier(setting), sql.Literal(value)
        )
        try:
            with admin.transaction():
                admin.execute(statement)
        except psycopg.errors.InsufficientPrivilege:
            if setting == "statement_timeout":
                raise


def drop_login(admin: Conn, login: Login | None) -> None:
    """Drop a scratch login; one that still owns something (it reset its role) loses LOGIN."""
    if login is None:
        return
    role = sql.Identifier(login.name)
    try:
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(role))
    except psycopg.errors.DependentObjectsStillExist:
        admin.execute(sql.SQL("ALTER ROLE {} NOLOGIN PASSWORD NULL").format(role))


def sweep_logins(admin: Conn) -> None:
    """Logins whose scratch database is gone (its process died, and the database was swept).

    Only logins older than `_SWEEP_AFTER` go: a younger one may belong to a database that
    another process is about to create. Age is read from VALID UNTIL, set at creation.
    """
    rows = admin.execute(
        "SELECT r.rolname FROM pg_roles r WHERE starts_with(r.rolname, %s) "
        "AND r.rolvaliduntil < now() + %s - %s "
        "AND NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = %s || "
        "substr(r.rolname, length(%s) + 1))",
        (LOGIN_PREFIX, LOGIN_VALIDITY, _SWEEP_AFTER, SCRATCH_PREFIX, LOGIN_PREFIX),
    ).fetchall()
    for (rolname,) in rows:
        log.info("dropping scratch login %s: its database is gone", rolname)
        drop_login(admin, Login(str(rolname), ""))


def login_dsn(dsn: str, login: Login) -> str:
    """The scratch database as the login, every session started as the sandbox role."""
    params = conninfo_to_dict(dsn)
    params["user"], params["password"] = login.name, login.password
    params["options"] = f"{params.get('options') or ''} -c role={SANDBOX_ROLE}".strip()
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})
