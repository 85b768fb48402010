"""The connection work behind validation: batches under savepoints, and the few exceptions.

Two connections at most: the sandbox role's, which runs every user statement, and (only
when an allow-listed extension needs a superuser) the scratch database's admin connection,
which never runs user text: it runs a CREATE EXTENSION we rebuild from the parsed name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import TracebackType

import psycopg
from psycopg import sql

from tools.errors import DatabaseError
from tools.sql.model import Statement
from tools.sql.nodes import Json, unwrap
from tools.sql.scope import statement_node
from tools.sql.server import Conn, Scratch, connect

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
# Statements PostgreSQL refuses inside a transaction block, or whose effect (a new enum
# value) later statements may only use once committed, as psql's autocommit would.
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
    """Runs statements for one validation; commits at the end; closes what it opened."""

    def __init__(self, scratch: Scratch) -> None:
        self.scratch = scratch
        self._conn: Conn | None = None
        self._admin: Conn | None = None

    def __enter__(self) -> Applier:
        self._conn = connect(self.scratch.dsn, autocommit=True)
        self._execute("BEGIN")
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
        """Run statements as one round trip under a savepoint; False (rolled back) on error."""
        body = "\n;\n".join(s.sql for s in batch)
        try:
            self._execute(f"SAVEPOINT dbarch_batch;\n{body}\n;\nRELEASE SAVEPOINT dbarch_batch")
        except psycopg.Error as exc:
            self._check_connection(exc)
            self._execute("ROLLBACK TO SAVEPOINT dbarch_batch; RELEASE SAVEPOINT dbarch_batch")
            return False
        return True

    def run_one(self, statement: Statement) -> Outcome | None:
        """Run one statement under its own savepoint; the error if PostgreSQL refused it."""
        prefix = "SAVEPOINT dbarch_one;\n"
        try:
            self._execute(f"{prefix}{statement.sql}\n;\nRELEASE SAVEPOINT dbarch_one")
        except psycopg.Error as exc:
            self._check_connection(exc)
            self._execute("ROLLBACK TO SAVEPOINT dbarch_one; RELEASE SAVEPOINT dbarch_one")
            return _outcome(exc, offset=len(prefix))
        return None

    def run_alone(self, statement: Statement) -> Outcome | None:
        """Statements with transaction needs of their own: extensions, CONCURRENTLY, enums."""
        if statement.kind == "CreateExtensionStmt":
            return self._create_extension(statement)
        if statement.kind == "CommentStmt":
            return self._comment(statement)
        if statement.kind == "AlterEnumStmt":
            outcome = self.run_one(statement)
            self.commit()
            return outcome
        self._execute("COMMIT")  # outside any transaction block, as psql would run it
        try:
            self._execute(statement.sql)
        except psycopg.Error as exc:
            self._check_connection(exc)
            return _outcome(exc, offset=0)
        finally:
            if not self.conn.broken:
                self._execute("BEGIN")
        return None

    def commit(self) -> None:
        """Make everything so far visible to other sessions; a new transaction follows."""
        self._execute("COMMIT")
        self._execute("BEGIN")

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
        self.commit()  # the admin session must see schemas created so far
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
        try:
            self.conn.execute(query.encode("utf-8"))
        except psycopg.OperationalError as exc:
            self._check_connection(exc)
            raise

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
