"""The connection work behind validation: statement batches, and the few exceptions.

The sandbox connection runs in autocommit mode. A batch of statements goes as one
simple-protocol message, which PostgreSQL runs as one implicit transaction: all of it
commits, or none of it and we replay its statements one by one, each then its own
transaction, as `psql -f` would run them. Committing per batch keeps the locks a schema of
thousands of tables holds at once far below the server's shared lock table.

Two connections at most: the sandbox role's, which runs every user statement, and (only
when an allow-listed extension needs a superuser) the scratch database's admin connection,
which never runs user text: it runs a CREATE EXTENSION we rebuild from the parsed name.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from types import TracebackType

import psycopg
from psycopg import sql

from tools.errors import DatabaseError
from tools.sql.model import Statement
from tools.sql.nodes import Json, unwrap
from tools.sql.server import Conn, Scratch, connect
from tools.sql.validate.scope import statement_node

# Extensions a schema may ask for that we install as superuser when PostgreSQL does not
# let the sandbox role do it: contrib modules and pgvector, none of which reach outside.
TRUSTED_EXTENSIONS = frozenset(
    {
        "btree_gist",
        "btree_gin",
        "pg_trgm",
        "citext",
        "hstore",
        "pgcrypto",
        "uuid-ossp",
        "ltree",
        "cube",
        "earthdistance",
        "unaccent",
        "intarray",
        "fuzzystrmatch",
        "vector",
        "pg_stat_statements",
        "tablefunc",
        "isn",
        "seg",
    }
)
_INSUFFICIENT_PRIVILEGE = "42501"
WATCHDOG_SECONDS = 180.0  # above the role's own statement_timeout (120 s): a backstop
# Statements PostgreSQL refuses inside a (multi-statement) transaction, or whose effect (a
# new enum value) later statements may only use once committed: they always run alone.
_OUTSIDE_TRANSACTION = re.compile(r"\b(CONCURRENTLY|VACUUM)\b", re.IGNORECASE)
_ON_EXTENSION = re.compile(r"\bON\s+EXTENSION\b", re.IGNORECASE)
_OWN_STEP_KINDS = frozenset({"VacuumStmt", "AlterEnumStmt", "ReindexStmt", "CreateExtensionStmt"})


@dataclass(frozen=True)
class Outcome:
    """A statement PostgreSQL refused (or that turned out to need skipping)."""

    message: str = ""
    detail: str | None = None
    hint: str | None = None
    sqlstate: str | None = None
    position: int | None = None  # PostgreSQL's 1-based cursor into the statement text
    skipped_reason: str | None = None


class Applier:
    """Runs the statements of one validation; closes the connections it opened."""

    def __init__(self, scratch: Scratch) -> None:
        self.scratch = scratch
        self._conn: Conn | None = None
        self._admin: Conn | None = None

    def __enter__(self) -> Applier:
        self._conn = connect(self.scratch.dsn, autocommit=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for conn in (self._conn, self._admin):
            if conn is not None:
                conn.close()

    @property
    def conn(self) -> Conn:
        if self._conn is None:
            raise DatabaseError("the applier is not open")
        return self._conn

    def needs_own_step(self, statement: Statement) -> bool:
        if statement.kind in _OWN_STEP_KINDS:
            return True
        if statement.kind == "CommentStmt":
            return bool(_ON_EXTENSION.search(statement.sql))
        return statement.kind in ("IndexStmt", "DropStmt", "AlterTableStmt") and bool(
            _OUTSIDE_TRANSACTION.search(statement.sql)
        )

    def run_batch(self, batch: list[Statement]) -> bool:
        """Run statements as one round trip and one transaction; False (rolled back) on error.

        The `;` goes on a line of its own: a statement may end in a `--` comment.
        """
        try:
            self._execute("\n;\n".join(s.sql for s in batch))
        except psycopg.Error as exc:
            self._check_connection(exc)
            return False
        return True

    def run_one(self, statement: Statement) -> Outcome | None:
        """Run one statement as its own transaction; the error if PostgreSQL refused it."""
        try:
            self._execute(statement.sql)
        except psycopg.Error as exc:
            self._check_connection(exc)
            return _outcome(exc, offset=0)
        return None

    def run_alone(self, statement: Statement) -> Outcome | None:
        """Statements that never share a batch: extensions, CONCURRENTLY, enum values."""
        if statement.kind == "CreateExtensionStmt":
            return self._create_extension(statement)
        if statement.kind == "CommentStmt":
            return self._comment(statement)
        return self.run_one(statement)

    def _comment(self, statement: Statement) -> Outcome | None:
        """Dumps comment on extensions the sandbox cannot own (plpgsql, admin-installed)."""
        node = statement_node(statement)
        target = node.get("object")
        if node.get("objtype") == "OBJECT_EXTENSION" and target and "String" in target:
            name = str(target["String"].get("sval", ""))
            owned = self.conn.execute(
                "SELECT pg_get_userbyid(extowner) = current_user FROM pg_extension"
                " WHERE extname = %s",
                (name,),
            ).fetchone()
            if owned is not None and not owned[0]:
                reason = f"comment on extension {name}, which the sandbox role does not own"
                return Outcome(skipped_reason=reason)
        return self.run_one(statement)

    def _create_extension(self, statement: Statement) -> Outcome | None:
        """Let PostgreSQL decide first (trusted extensions work as the sandbox role)."""
        outcome = self.run_one(statement)
        if outcome is None or outcome.sqlstate != _INSUFFICIENT_PRIVILEGE:
            return outcome
        node = statement_node(statement)  # empty unless exactly one CreateExtensionStmt
        if str(node.get("extname", "")) not in TRUSTED_EXTENSIONS:
            return outcome
        return self._create_extension_as_admin(node)

    def _create_extension_as_admin(self, node: Json) -> Outcome | None:
        name = str(node["extname"])
        options = {
            unwrap(o)[1].get("defname"): unwrap(o)[1].get("arg") for o in node.get("options", [])
        }
        query = sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(name))
        schema = _string_arg(options.get("schema"))
        if schema:
            query += sql.SQL(" SCHEMA {}").format(sql.Identifier(schema))
        version = _string_arg(options.get("new_version"))
        if version:
            query += sql.SQL(" VERSION {}").format(sql.Literal(version))
        search_path = self.conn.execute("SHOW search_path").fetchone()
        if self._admin is None:
            self._admin = connect(self.scratch.admin_dsn, autocommit=True)
        try:
            with self._admin.transaction():
                self._admin.execute(
                    "SELECT set_config('search_path', %s, true)",
                    (search_path[0] if search_path else "",),
                )
                self._admin.execute(query)
        except psycopg.Error as exc:
            _check_connection(self._admin, exc)
            return _outcome(exc, offset=None)
        return None

    @property
    def server_version(self) -> int:
        return self.conn.info.server_version

    def _execute(self, query: str) -> None:
        # Sent as bytes: user SQL goes to the server verbatim, never through psycopg's
        # placeholder handling, and over the simple protocol so a batch is one round trip.
        # The sandbox role's statement_timeout is a setting the SQL itself may change
        # (`SELECT set_config('statement_timeout', '0', false)`); this client-side watchdog
        # is not, so no statement holds a validation longer than WATCHDOG_SECONDS.
        watchdog = threading.Timer(WATCHDOG_SECONDS, self.conn.cancel_safe)
        watchdog.daemon = True
        watchdog.start()
        try:
            self.conn.execute(query.encode("utf-8"))
        except psycopg.OperationalError as exc:
            self._check_connection(exc)
            raise
        finally:
            watchdog.cancel()

    def _check_connection(self, exc: psycopg.Error) -> None:
        _check_connection(self.conn, exc)


def _check_connection(conn: Conn, exc: psycopg.Error) -> None:
    """A lost connection is an infrastructure failure, not a finding about the schema."""
    if conn.closed or conn.broken:
        raise DatabaseError(f"lost the connection to PostgreSQL: {exc}") from exc


def _string_arg(arg: Json | None) -> str | None:
    if arg and "String" in arg:
        return str(arg["String"].get("sval", "")) or None
    return None


def _outcome(exc: psycopg.Error, offset: int | None) -> Outcome:
    diag = exc.diag
    position = None
    if offset is not None and diag.statement_position:
        position = int(diag.statement_position) - offset
    return Outcome(
        message=diag.message_primary or str(exc).splitlines()[0],
        detail=diag.message_detail,
        hint=diag.message_hint,
        sqlstate=diag.sqlstate or exc.sqlstate,
        position=position if position and position > 0 else None,
    )
