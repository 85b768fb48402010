"""Sample databases: a schema filled with synthetic data once, then cloned in milliseconds.

Loading sample data at the stated volumes is the slow part of every workload analysis
(seconds to tens of seconds); the design graph needs the same data twice (the index stage
and its gate) and a re-run of the same spec needs it again. The first load is kept as a
template database named by a hash of what determines it (the DDL, the row targets, the
cap, the seed, the generator's version); later calls clone it with a file copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

from psycopg import sql

from tools.sql.datagen.fill import DataReport, generate_data
from tools.sql.model import Schema
from tools.sql.server import Conn, PgServer, Scratch, connect, drop_with, scratch_database
from tools.sql.validate import apply_statements

SAMPLE_PREFIX = "dbarch_sample_"
KEEP_SAMPLES = 8


def _generator_fingerprint() -> str:
    """Templates from an older data generator (or statistics settling) are not reused: its
    code is part of the key."""
    from pathlib import Path

    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in [*sorted(here.glob("datagen*.py")), here / "planner_stats.py"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def sample_key(schema: Schema, rows: Mapping[str, int], cap: int, seed: int) -> str:
    digest = hashlib.sha256()
    for statement in schema.statements:
        digest.update(statement.sql.encode())
        digest.update(b"\x00")
    fingerprint = _generator_fingerprint()
    digest.update(json.dumps([sorted(rows.items()), cap, seed, fingerprint]).encode())
    return digest.hexdigest()[:24]


@contextlib.contextmanager
def sample_database(
    server: PgServer, schema: Schema, rows: Mapping[str, int], cap: int, seed: int = 1
) -> Iterator[tuple[Scratch, DataReport]]:
    """A scratch database holding `schema` with sample data; dropped when the block ends.

    The template stays held (see `_ensure`) until its clone exists: between finding it and
    copying it, another process's prune would otherwise drop it under us.
    """
    with contextlib.ExitStack() as stack:
        with connect(server.dsn(), autocommit=True) as admin:
            template, report = _ensure(server, admin, schema, rows, cap, seed)
            scratch = stack.enter_context(scratch_database(server, template=template))
        yield scratch, report


def ensure_sample(
    server: PgServer, schema: Schema, rows: Mapping[str, int], cap: int, seed: int = 1
) -> tuple[str, DataReport]:
    """The template's name and load report, building it first if no process has yet."""
    with connect(server.dsn(), autocommit=True) as admin:
        return _ensure(server, admin, schema, rows, cap, seed)


def _ensure(
    server: PgServer,
    admin: Conn,
    schema: Schema,
    rows: Mapping[str, int],
    cap: int,
    seed: int,
) -> tuple[str, DataReport]:
    """Find or build the template; `admin`'s session holds it (shared) until it closes."""
    name = SAMPLE_PREFIX + sample_key(schema, rows, cap, seed)
    # One builder per key: others wait here, then find the template ready.
    admin.execute("SELECT pg_advisory_lock(hashtext(%s))", (name,))
    try:
        report = _stored_report(admin, name)
        if report is None:
            report = _build(server, admin, schema, rows, cap, seed, name)
        _touch(admin, name, report)
        # Kept past the exclusive lock: a prune in another process skips a held template.
        admin.execute("SELECT pg_advisory_lock_shared(hashtext(%s))", (name,))
    finally:
        admin.execute("SELECT pg_advisory_unlock(hashtext(%s))", (name,))
    _prune(admin, keep=name)
    return name, report


def _build(
    server: PgServer,
    admin: Conn,
    schema: Schema,
    rows: Mapping[str, int],
    cap: int,
    seed: int,
    name: str,
) -> DataReport:
    with scratch_database(server) as scratch:
        apply_statements(schema, scratch)
        report = generate_data(schema, scratch, rows, cap=cap, seed=seed)
        # Renamed away, the scratch's own drop finds nothing; a failure before this line
        # leaves no half-built template behind.
        admin.execute(
            sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                sql.Identifier(scratch.name), sql.Identifier(name)
            )
        )
    return report


def _stored_report(admin: Conn, name: str) -> DataReport | None:
    row = admin.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)
    ).fetchone()
    if row is None:
        return None
    try:
        return DataReport.model_validate(json.loads(row[0])["report"])
    except (TypeError, ValueError, KeyError):
        drop_with(admin, name)  # a template without a readable report is not trusted
        return None


def _touch(admin: Conn, name: str, report: DataReport) -> None:
    note = json.dumps({"used": datetime.now(UTC).isoformat(), "report": report.model_dump()})
    admin.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(note))
    )


def _prune(admin: Conn, keep: str) -> None:
    """Keep the most recently used templates; the others are only a cache.

    A template another session holds (being checked, built or cloned) is left for a later
    prune: `DROP ... WITH (FORCE)` would pull it from under that run.
    """
    rows = admin.execute(
        "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
        "WHERE datname LIKE %s",
        (SAMPLE_PREFIX + "%",),
    ).fetchall()

    def used(row: tuple[object, ...]) -> str:
        try:
            return str(json.loads(str(row[1]))["used"])
        except (TypeError, ValueError, KeyError):
            return ""

    for datname, _ in sorted(rows, key=used, reverse=True)[KEEP_SAMPLES:]:
        name = str(datname)
        if name == keep:  # this session's own locks would not stop it
            continue
        free = admin.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (name,)).fetchone()
        if not (free and free[0]):
            continue
        try:
            drop_with(admin, name)
        finally:
            admin.execute("SELECT pg_advisory_unlock(hashtext(%s))", (name,))


def drop_samples(server: PgServer) -> int:
    """Forget every cached sample (e.g. after changing the generator by hand)."""
    with connect(server.dsn(), autocommit=True) as admin:
        names = [
            str(r[0])
            for r in admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (SAMPLE_PREFIX + "%",)
            )
        ]
        for name in names:
            drop_with(admin, name)
    return len(names)
