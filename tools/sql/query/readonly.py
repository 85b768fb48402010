"""The read-only guard: SQL for a user's database must be one read-only statement, every node.

This is the second lock, not the first. The server enforces read-only-ness (one statement
over the extended protocol, a read-only transaction, a statement timeout: see
`read_only_connection`); this pglast check refuses, before anything is sent, what a
read-only transaction would still allow or what we never want to run: functions that read
files, open connections, sleep, change settings or advance sequences.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import psycopg
from pglast import ast
from pglast.parser import ParseError
from psycopg.conninfo import conninfo_to_dict

from tools.errors import DatabaseError, UnsafeSqlError
from tools.sql import pgparse
from tools.sql.astwalk import func_name, walk
from tools.sql.server import Conn

# Exact names of functions with effects outside the query, or that run SQL text of their own.
DENIED_FUNCTIONS = frozenset(
    {
        "set_config", "nextval", "setval", "pg_sleep", "pg_sleep_for", "pg_sleep_until",
        "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile",
        "pg_stat_file", "pg_notify", "pg_switch_wal", "pg_promote", "pg_create_restore_point",
        "pg_log_backend_memory_contexts", "pg_import_system_collations", "gin_clean_pending_list",
        "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "cursor_to_xml",
        "cursor_to_xmlschema", "txid_current", "pg_current_xact_id", "loread", "lowrite",
        "pg_prewarm", "pg_wal_replay_pause", "pg_wal_replay_resume",
    }
)  # fmt: skip
# Whole families: dblink, large objects, file access, locks, replication, resets.
DENIED_PREFIXES = (
    "dblink", "lo_", "pg_read_", "pg_ls_", "pg_file_", "pg_stat_reset", "pg_advisory",
    "pg_try_advisory", "pg_create_", "pg_drop_replication", "pg_replication_origin",
    "pg_logical_", "pg_backup_", "brin_summarize", "brin_desummarize",
)  # fmt: skip


def check_read_only(sql: str) -> ast.Node:
    """Return the one statement of `sql` if it is read-only; raise UnsafeSqlError otherwise.

    Allowed: SELECT in all its forms (CTEs, windows, WITHIN GROUP, LATERAL, VALUES, set
    operations, `$n` parameters) and EXPLAIN of such a SELECT without ANALYZE.
    """
    stmt = _single_statement(sql)
    query: ast.Node | None = stmt
    if isinstance(stmt, ast.ExplainStmt):
        _check_explain_options(stmt)
        query = stmt.query
    if not isinstance(query, ast.SelectStmt):
        raise UnsafeSqlError(f"only SELECT is allowed here, not {_kind(query)}")
    for node in walk(stmt):
        _check_node(node, stmt)
    return stmt


def _single_statement(sql: str) -> ast.Node:
    try:
        stmts = pgparse.parse_sql(sql)
    except ParseError as exc:
        raise pgparse.syntax_error(exc, sql) from exc
    if len(stmts) != 1:
        raise UnsafeSqlError(f"exactly one statement is allowed, found {len(stmts)}")
    node = stmts[0].stmt
    assert isinstance(node, ast.Node)
    return node


def _check_explain_options(stmt: ast.ExplainStmt) -> None:
    for option in stmt.options or ():
        if isinstance(option, ast.DefElem) and (option.defname or "").lower() == "analyze":
            raise UnsafeSqlError("EXPLAIN ANALYZE runs the statement; only EXPLAIN is allowed")


def _check_node(node: ast.Node, top: ast.Node) -> None:
    nested_statement = node is not top and type(node).__name__.endswith("Stmt")
    if nested_statement and not isinstance(node, ast.SelectStmt):
        raise UnsafeSqlError(f"{_kind(node)} inside a query is not allowed (data-modifying)")
    if isinstance(node, ast.SelectStmt):
        if node.intoClause is not None:
            raise UnsafeSqlError("SELECT ... INTO creates a table; not allowed")
        if node.lockingClause:
            raise UnsafeSqlError("FOR UPDATE/SHARE takes row locks; not allowed")
    elif isinstance(node, ast.FuncCall):
        name = func_name(node)
        if name in DENIED_FUNCTIONS or name.startswith(DENIED_PREFIXES):
            raise UnsafeSqlError(f"function {name}() is not allowed in read-only SQL")


def _kind(node: ast.Node | None) -> str:
    """A statement kind as a person writes it: InsertStmt -> INSERT."""
    name = type(node).__name__.removesuffix("Stmt")
    return _KINDS.get(name, name)


_KINDS = {
    "Insert": "INSERT", "Update": "UPDATE", "Delete": "DELETE", "Merge": "MERGE",
    "Copy": "COPY", "VariableSet": "SET", "Do": "DO", "Call": "CALL",
    "Transaction": "transaction control", "CreateTableAs": "CREATE TABLE AS",
}  # fmt: skip


@contextlib.contextmanager
def read_only_connection(
    dsn: str, timeout_ms: int = 5000, settings: Mapping[str, str] | None = None
) -> Iterator[Conn]:
    """A connection whose transactions the *server* keeps read-only and time-limited."""
    with session_connection(dsn, timeout_ms, settings, read_only=True) as conn:
        yield conn


@contextlib.contextmanager
def session_connection(
    dsn: str,
    timeout_ms: int,
    settings: Mapping[str, str] | None = None,
    read_only: bool = False,
) -> Iterator[Conn]:
    """An autocommit connection with server settings fixed at start-up.

    The settings travel in the startup packet (`options`) and through the driver's
    `read_only` attribute, never as SQL text a payload could close or comment out.
    """
    wanted = {"statement_timeout": str(int(timeout_ms)), **(settings or {})}
    if read_only:
        wanted["default_transaction_read_only"] = "on"
    # Added to the DSN's own options (a scratch login's role, a user's search_path), which
    # an `options=` keyword would otherwise replace.
    own = str(conninfo_to_dict(dsn).get("options") or "")
    options = " ".join([own, *(f"-c {name}={value}" for name, value in wanted.items())]).strip()
    try:
        conn = psycopg.connect(dsn, options=options, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"cannot connect to PostgreSQL: {exc}".strip()) from exc
    with conn:
        conn.read_only = read_only
        yield conn
