"""The read-only guard: attacks refused by our parse check and by the server itself."""

from __future__ import annotations

import psycopg
import pytest
from conftest import FIXTURES

from tools.errors import SqlSyntaxError, UnsafeSqlError
from tools.sql.query import read_workload
from tools.sql.query.readonly import check_read_only, read_only_connection
from tools.sql.server import Scratch, connect

ATTACKS = {
    "commit smuggling": "SELECT 1; COMMIT; DROP TABLE victims",
    "second statement after comment": "SELECT 1 /* x */; DELETE FROM victims",
    "trailing line comment then statement": "SELECT 1 --\n; DROP TABLE victims",
    "nested block comments": "SELECT 1 /* a /* b */ ; */; DROP TABLE victims",
    "dollar quoting then statement": "SELECT $$;$$; DROP TABLE victims",
    "explain analyze delete": "EXPLAIN ANALYZE DELETE FROM victims",
    "explain analyze select": "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM victims",
    "explain delete": "EXPLAIN DELETE FROM victims",
    "data-modifying cte": "WITH x AS (DELETE FROM victims RETURNING *) SELECT * FROM x",
    "update in cte": "WITH x AS (UPDATE victims SET id = 0 RETURNING id) SELECT 1",
    "file read in from": "SELECT * FROM pg_read_file('/etc/passwd')",
    "binary file read": "SELECT pg_read_binary_file('/etc/passwd')",
    "directory listing": "SELECT * FROM pg_ls_dir('.')",
    "qualified file stat": "SELECT (pg_catalog.pg_stat_file('postgresql.conf')).size",
    "large object import": "SELECT lo_import('/etc/passwd')",
    "large object export": "SELECT lo_export(1, '/tmp/x')",
    "dblink exec": "SELECT dblink_exec('dbname=x', 'DROP TABLE victims')",
    "dblink in lateral": "SELECT * FROM victims v, LATERAL dblink('x', 'SELECT 1') AS t(a int)",
    "copy": "COPY victims TO '/tmp/x'",
    "copy program": "COPY victims FROM PROGRAM 'id'",
    "set": "SET statement_timeout = 0",
    "do block": "DO $$ BEGIN DELETE FROM victims; END $$",
    "call": "CALL wipe()",
    "set_config": "SELECT set_config('default_transaction_read_only', 'off', false)",
    "set_config in subquery": (
        "SELECT id FROM victims WHERE id IN (SELECT length(set_config('a.b','c',true)))"
    ),
    "select into": "SELECT * INTO newtable FROM victims",
    "for update": "SELECT * FROM victims FOR UPDATE",
    "for share in subquery": "SELECT * FROM (SELECT * FROM victims FOR SHARE) s",
    "nextval": "SELECT nextval('victims_id_seq')",
    "setval in where": "SELECT 1 WHERE setval('victims_id_seq', 1) > 0",
    "sleep": "SELECT pg_sleep(100)",
    "terminate backend": "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
    "query_to_xml runs its own sql": "SELECT query_to_xml('DELETE FROM victims', true, true, '')",
    "advisory lock": "SELECT pg_advisory_lock(1)",
    "insert": "INSERT INTO victims VALUES (1)",
    "create table as": "CREATE TABLE copy AS SELECT * FROM victims",
    "begin": "BEGIN READ WRITE",
    "empty": "-- nothing here",
}


@pytest.mark.parametrize("sql", ATTACKS.values(), ids=ATTACKS.keys())
def test_guard_refuses_attacks(sql: str) -> None:
    with pytest.raises(UnsafeSqlError):
        check_read_only(sql)


def test_guard_passes_ordinary_read_only_sql() -> None:
    queries = read_workload(FIXTURES / "workload" / "readonly_allowed.sql")
    assert len(queries) == 12
    for query in queries:
        check_read_only(query.sql)  # raises on refusal, naming the construct


def test_guard_reports_syntax_errors_as_such() -> None:
    with pytest.raises(SqlSyntaxError):
        check_read_only("SELEC 1")


def test_refusal_names_the_function() -> None:
    with pytest.raises(UnsafeSqlError, match=r"pg_read_file\(\)"):
        check_read_only("SELECT * FROM pg_read_file('/etc/passwd')")


@pytest.fixture
def victims(scratch: Scratch) -> Scratch:
    with connect(scratch.dsn) as conn:
        conn.execute("CREATE TABLE victims (id serial PRIMARY KEY)")
        conn.execute("INSERT INTO victims SELECT generate_series(1, 10)")
    return scratch


def _count(dsn: str) -> int:
    with connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM victims").fetchone()
    assert row is not None
    return int(row[0])


def test_server_refuses_multi_statement_text_without_our_parser(victims: Scratch) -> None:
    """The first lock holds on its own: the extended protocol takes one statement only."""
    with read_only_connection(victims.dsn) as conn, pytest.raises(psycopg.errors.SyntaxError):
        conn.execute("SELECT 1; COMMIT; DROP TABLE victims", prepare=True)
    assert _count(victims.dsn) == 10


def test_server_refuses_writes_in_the_read_only_transaction(victims: Scratch) -> None:
    with read_only_connection(victims.dsn) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM victims", prepare=True)
        conn.rollback()
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("SELECT nextval(pg_get_serial_sequence('victims', 'id'))", prepare=True)
    assert _count(victims.dsn) == 10


def test_server_enforces_the_statement_timeout(victims: Scratch) -> None:
    with (
        read_only_connection(victims.dsn, timeout_ms=100) as conn,
        pytest.raises(psycopg.errors.QueryCanceled),
    ):
        conn.execute("SELECT pg_sleep(5)", prepare=True)
