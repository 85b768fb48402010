"""Who owns a scratch database, and sweeping those whose owner died before it could drop them.

A process that creates scratch databases on a server first takes a session-level advisory
lock there, keyed by a random owner token, on a connection it keeps open for its lifetime;
every scratch database it creates carries the token in its name. When the process dies
(kill -9, OOM, a crashed machine) the connection goes and PostgreSQL releases the lock. A
sweeper that can take the lock knows the owner is gone: on any server (DATABASE_URL too, not
only the embedded one) and whatever PIDs were reused since, because nothing of the owner's
machine is consulted. Names: `dbarch_scratch_<pid>_<token>_<random>`; the pid is only there
for people and tests.

Limits: a process whose owner connection breaks while it lives (a server restart, a network
cut, an administrator's pg_terminate_backend) loses the lock, and a sweep may then drop its
scratch databases under it, failing that run; a machine that vanishes without closing its
TCP connections holds its lock until the server's TCP keepalives give up (set below to about
a minute and a half on the owner connection).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from tools.errors import DatabaseError

SCRATCH_PREFIX = "dbarch_scratch_"
log = logging.getLogger(__name__)

Conn = psycopg.Connection[tuple[Any, ...]]

_LOCK_SPACE = 0x64626172  # the advisory-lock class id of owner tokens ("dbar")
# The owner connection idles for the process's lifetime: never time it out, and let the
# server notice a vanished client within ~90 s (no-ops on a Unix socket).
_OWNER_SETTINGS = {
    "idle_session_timeout": "0",
    "tcp_keepalives_idle": "60",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
}


@dataclass
class _Owner:
    token: str
    conn: Conn | None = None


_owners: dict[tuple[int, str], _Owner] = {}  # (pid, server URL) -> this process's owner
_owners_lock = threading.Lock()


def scratch_name(url: str) -> str:
    """A new scratch database name, owned (locked) by this process on the server at `url`."""
    return f"{SCRATCH_PREFIX}{os.getpid()}_{owner_token(url)}_{secrets.token_hex(4)}"


def owner_token(url: str) -> str:
    """This process's token on the server, its lock held (taken again if the connection died)."""
    with _owners_lock:
        key = (os.getpid(), url)  # a forked child is a new owner, not its parent
        owner = _owners.setdefault(key, _Owner(token=_new_token()))
        if not _alive(owner.conn):
            owner.conn = _lock_owner(url, owner)
        return owner.token


def _alive(conn: Conn | None) -> bool:
    if conn is None or conn.closed:
        return False
    try:
        conn.execute("SELECT 1")
    except psycopg.Error:
        conn.close()
        return False
    return True


def _lock_owner(url: str, owner: _Owner) -> Conn:
    try:
        conn: Conn = psycopg.connect(
            url, autocommit=True, connect_timeout=10, application_name="dbarch scratch owner"
        )
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"cannot connect to PostgreSQL: {exc}".strip()) from exc
    for name, value in _OWNER_SETTINGS.items():
        conn.execute(sql.SQL("SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
    while not _try_lock(conn, owner.token):  # another live process drew the same token
        owner.token = _new_token()
    return conn


def _new_token() -> str:
    return secrets.token_hex(4)


def _try_lock(conn: Conn, token: str) -> bool:
    row = conn.execute(
        "SELECT pg_try_advisory_lock(%s, %s)", (_LOCK_SPACE, _lock_key(token))
    ).fetchone()
    return bool(row and row[0])


def _unlock(conn: Conn, token: str) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_LOCK_SPACE, _lock_key(token)))


def _lock_key(token: str) -> int:
    return int(token, 16) - 2**31  # 8 hex digits into a signed int4


def sweep_orphans(admin: Conn, local_pids: bool = False) -> list[str]:
    """Drop the scratch databases whose owner is gone; the names dropped.

    `admin` must not be an owner connection (its own locks would look free to it).
    `local_pids`: the server is ours (embedded), so the PIDs in names from before owner
    tokens can be checked on this machine.
    """
    rows = admin.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s", (SCRATCH_PREFIX + "%",)
    ).fetchall()
    by_token, legacy = _owners_of([str(r[0]) for r in rows])
    dropped = [name for name, pid in legacy if local_pids and not _pid_alive(pid)]
    dropped = [name for name in dropped if _drop(admin, name)]
    for token, names in sorted(by_token.items()):
        if not _try_lock(admin, token):
            continue  # its owner holds the lock: alive
        try:
            dropped += [name for name in names if _drop(admin, name)]
        finally:
            _unlock(admin, token)
    return dropped


def _owners_of(names: list[str]) -> tuple[dict[str, list[str]], list[tuple[str, int]]]:
    """Scratch names by owner token, and (name, pid) of names from before owner tokens."""
    by_token: dict[str, list[str]] = {}
    legacy: list[tuple[str, int]] = []
    for name in names:
        parts = name[len(SCRATCH_PREFIX) :].split("_")
        if len(parts) == 3 and _is_token(parts[1]):
            by_token.setdefault(parts[1], []).append(name)
        elif len(parts) == 2 and parts[0].isdigit():
            legacy.append((name, int(parts[0])))
    return by_token, legacy


def _is_token(text: str) -> bool:
    return len(text) == 8 and all(c in "0123456789abcdef" for c in text)


def _drop(admin: Conn, name: str) -> bool:
    log.info("dropping scratch database %s: its owner process is gone", name)
    try:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    except psycopg.errors.InsufficientPrivilege:
        log.warning("cannot drop orphaned scratch database %s: not its owner", name)
        return False
    return True


def _pid_alive(pid: int) -> bool:
    """Only for names from before owner tokens, on the embedded server."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_swept: set[tuple[int, str]] = set()


def sweep_at_start(url: str, local_pids: bool = False) -> list[str]:
    """Sweep once, the first time this process resolves the server at `url` (CLI runs, evals,
    the service): orphans go even if this process never creates a scratch database. A
    failure is logged, not raised: the caller's own first use reports an unreachable server."""
    key = (os.getpid(), url)
    with _owners_lock:
        if key in _swept:
            return []
        _swept.add(key)
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as admin:
            return sweep_orphans(admin, local_pids)
    except psycopg.Error as exc:
        log.warning("could not sweep orphaned scratch databases: %s", exc)
        return []
