"""The package on a scratch database with sample data, and sessions on it as the application.

The sample is the one the index gate measured (same schema, rows and cap, so the cached
template is cloned by file copy, not loaded again); the recommended indexes are built on
top. The application role `dbarch_app` owns nothing and has no BYPASSRLS: row-level
security applies to it as it would to a service's role, whether or not the design forces
it on owners. It is granted what a service is usually granted (DML on every table, the
sequences, the functions); anything a design wants to refuse it must refuse itself.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from agent.package import DesignPackage
from agent.volumes import stated_rows
from evals.application.session import SessionPolicy, read_policy
from tools.errors import ArchitectError
from tools.sql.catalog import Catalog, load_catalog
from tools.sql.datagen import sample_database
from tools.sql.parse import parse_schema
from tools.sql.server import Conn, PgServer, Scratch, connect

log = logging.getLogger(__name__)

APP_ROLE = "dbarch_app"
STATEMENT_TIMEOUT = "20s"  # a probe on sample data that takes longer is itself a finding
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


class NoApplicationDatabase(ArchitectError):
    """The package has nothing an application could connect to (no schema, no role)."""


@dataclass
class AppDatabase:
    """A filled scratch database holding the package, and how the application opens sessions."""

    scratch: Scratch
    policy: SessionPolicy
    catalog: Catalog
    index_errors: list[str] = field(default_factory=list)

    @contextlib.contextmanager
    def session(
        self, settings: Mapping[str, str] | None = None, *, as_app: bool = True
    ) -> Iterator[Conn]:
        """One transaction, always rolled back: as the application role with `settings`
        (`SET LOCAL`), or as the owner (`as_app=False`) to see what really is stored."""
        with connect(self.scratch.admin_dsn) as conn:
            try:
                conn.execute(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'")
                if as_app:
                    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(APP_ROLE)))
                for name, value in (settings or {}).items():
                    conn.execute("SELECT set_config(%s, %s, true)", (name, value))
                yield conn
            finally:
                conn.rollback()

    def tenant_settings(self, tenant: str | None = None) -> dict[str, str]:
        """The settings a request of `tenant` (default: the busiest tenant) runs with."""
        return self.policy.settings(tenant if tenant is not None else self.policy.tenants[0])


@contextlib.contextmanager
def open_app_database(
    package: DesignPackage, server: PgServer, rows: Mapping[str, int], cap: int
) -> Iterator[AppDatabase]:
    """The package applied and filled; dropped when the block ends."""
    design = package.schema_design or package.current
    if design is None or not design.ddl.strip():
        raise NoApplicationDatabase("the package has no schema an application could use")
    schema = parse_schema(design.ddl, file="schema.sql")
    stated = stated_rows(package.spec, rows) if package.spec else dict(rows)
    wanted = {table: count for table, count in stated.items() if table in schema.tables}
    with sample_database(server, schema, wanted, cap) as (scratch, _report):
        errors = _build_indexes(package, scratch)
        with connect(scratch.admin_dsn, autocommit=True) as admin:
            _advance_sequences(admin)
            _ensure_role(admin)
            _grant(admin)
            catalog = load_catalog(admin)
            policy = read_policy(admin, catalog)
        yield AppDatabase(scratch, policy, catalog, errors)


def _build_indexes(package: DesignPackage, scratch: Scratch) -> list[str]:
    """The recommended indexes, built as the owner; one that fails is `ddl_applies`' finding."""
    plan = package.indexes
    errors: list[str] = []
    with connect(scratch.dsn, autocommit=True) as conn:
        for index in plan.indexes if plan else []:
            try:
                conn.execute(index.ddl)  # brain-written DDL, as the sandbox owner
            except psycopg.Error as exc:
                errors.append(f"{index.ddl.strip()}: {exc}")
        conn.execute("ANALYZE")
    return errors


_OWNED_SEQUENCES = """
SELECT s.oid::regclass::text, a.attname, t.oid::regclass::text
FROM pg_class s
JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE s.relkind = 'S' AND NOT t.relispartition
"""


def _advance_sequences(admin: Conn) -> None:
    """Sample rows carry explicit ids, so identity and serial sequences still start at 1:
    move each past its column's largest value, as a restored database would have them."""
    for sequence, column, table in admin.execute(_OWNED_SEQUENCES).fetchall():
        admin.execute(
            sql.SQL("SELECT setval({s}, greatest(coalesce(max({c}), 0), 1)) FROM {t}").format(
                s=sql.Literal(sequence), c=sql.Identifier(column), t=sql.SQL(table)
            )
        )


def _ensure_role(admin: Conn) -> None:
    """The application role, once per server (roles are cluster-wide)."""
    if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone():
        return
    create = sql.SQL(
        "CREATE ROLE {} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    ).format(sql.Identifier(APP_ROLE))
    try:
        admin.execute(create)
    except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
        return  # another process created it first
    except psycopg.errors.InsufficientPrivilege as exc:
        raise NoApplicationDatabase(
            f"cannot create the application role {APP_ROLE} on this server: {exc}"
        ) from exc


def _grant(admin: Conn) -> None:
    """What a service role is usually given, in every schema the package created."""
    schemas = [
        str(name)
        for (name,) in admin.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname <> ALL(%s) "
            "AND nspname NOT LIKE 'pg_%%'",
            (list(_SYSTEM_SCHEMAS),),
        )
    ]
    role = sql.Identifier(APP_ROLE)
    for name in schemas:
        schema = sql.Identifier(name)
        for grant in (
            "GRANT USAGE ON SCHEMA {s} TO {r}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {s} TO {r}",
        ):
            admin.execute(sql.SQL(grant).format(s=schema, r=role))
