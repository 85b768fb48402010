"""Tenant isolation as the application meets it: a session of tenant A sees only A's rows,
cannot write a row for tenant B, and cannot point one of its rows at B's rows (a foreign
key on the id alone lets it: referential checks do not see row-level security)."""

from __future__ import annotations

from psycopg import sql

from evals.application.database import AppDatabase
from evals.application.probe import RLS_REFUSED, Outcome, attempt
from evals.application.tables import (
    copy_row,
    copyable_columns,
    ident,
    key_match,
    primary_key,
    reference,
)
from evals.application.targets import NotProbed, each_target
from evals.registry import Grade, NonEmpty, check
from evals.subject import Subject
from tools.sql.server import Conn

FK_REFUSED = "23503"


def _scope(db: AppDatabase, table: str) -> tuple[str, str, str]:
    """(tenant column, tenant A, tenant B): A has the most rows of `table`, B the next."""
    column = db.policy.tenant_column(table)
    if column is None:
        raise NotProbed(f"{table} has no row-level security policy on a tenant key")
    with db.session(as_app=False) as owner:
        query = sql.SQL(
            "SELECT {c}::text FROM {t} WHERE {c} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1"
            " LIMIT 2"
        ).format(c=sql.Identifier(column), t=ident(table))
        tenants = [str(v) for (v,) in owner.execute(query).fetchall()]
    if len(tenants) < 2:
        raise NotProbed(f"{table} holds rows of fewer than two tenants in the sample")
    return column, tenants[0], tenants[1]


@check("app_tenant_rows_isolated", NonEmpty)
def app_tenant_rows_isolated(subject: Subject, tables: list[str]) -> Grade:
    """As tenant A the application role sees A's rows of each table and no other tenant's;
    with no tenant set it sees none (isolation fails closed)."""
    return each_target(subject, tables, _isolated)


def _isolated(db: AppDatabase, table: str) -> tuple[str | None, str]:
    column, tenant, _ = _scope(db, table)
    count = sql.SQL(
        "SELECT count(*), count(*) FILTER (WHERE {c}::text IS DISTINCT FROM %s) FROM {t}"
    )
    query = count.format(c=sql.Identifier(column), t=ident(table))
    with db.session(db.tenant_settings(tenant)) as conn:
        mine, others = conn.execute(query, (tenant,)).fetchone() or (0, 0)
    with db.session(db.policy.settings(None)) as conn:
        unscoped, _ = conn.execute(query, (tenant,)).fetchone() or (0, 0)
    if others or not mine:
        return f"{table}: tenant {tenant} sees {mine} rows, {others} of other tenants", ""
    if unscoped:
        return f"{table}: a session with no tenant sees {unscoped} rows", ""
    return None, f"{table}: {mine} rows of tenant {tenant}, none of others"


@check("app_cross_tenant_insert_refused", NonEmpty)
def app_cross_tenant_insert_refused(subject: Subject, tables: list[str]) -> Grade:
    """As tenant A, inserting a copy of one of A's rows with the tenant key set to tenant B
    is refused by row-level security."""
    return each_target(subject, tables, _insert_for_other)


def _insert_for_other(db: AppDatabase, table: str) -> tuple[str | None, str]:
    column, tenant, other = _scope(db, table)
    with db.session(db.tenant_settings(tenant)) as conn:
        columns = copyable_columns(conn, table)
        statement = copy_row(table, columns, {column: sql.Literal(other)})
        outcome = attempt(conn, statement)
    return _verdict(outcome, RLS_REFUSED, f"{table}: a row for tenant {other} as tenant {tenant}")


@check("app_cross_tenant_reference_refused", NonEmpty)
def app_cross_tenant_reference_refused(subject: Subject, columns: list[str]) -> Grade:
    """As tenant A, pointing `table.column` of one of A's rows at tenant B's parent row is
    refused (a foreign key that includes the tenant key, or a policy that checks the parent)."""
    return each_target(subject, columns, _reference_other)


def _reference_other(db: AppDatabase, dotted: str) -> tuple[str | None, str]:
    table, _, column = dotted.rpartition(".")
    _, tenant, _ = _scope(db, table)
    with db.session(as_app=False) as owner:
        target = reference(owner, table, column)
        if target is None:
            return f"{dotted} is not a foreign key", ""
        parent, parent_key = target
        parent_tenant = db.policy.tenant_column(parent)
        if parent_tenant is None:
            return f"{dotted}: its parent {parent} is not tenant-scoped", ""
        foreign = _other_tenants_key(owner, parent, parent_key, parent_tenant, tenant)
        key = primary_key(owner, table)
    if foreign is None or not key:
        return f"{dotted}: no parent row of another tenant, or no key to update by", ""
    with db.session(db.tenant_settings(tenant)) as conn:
        keys = key_match(key)
        statement = sql.SQL(
            "UPDATE {t} SET {c} = {v} "
            "WHERE ({k}) = (SELECT {k} FROM {t} WHERE {c} IS NOT NULL LIMIT 1)"
        ).format(t=ident(table), c=sql.Identifier(column), v=sql.Literal(foreign), k=keys)
        outcome = attempt(conn, statement)
    if outcome.ran and outcome.rows == 0:
        return f"{dotted}: tenant {tenant} has no row to change", ""
    return _verdict(
        outcome,
        (FK_REFUSED, RLS_REFUSED),
        f"{dotted}: tenant {tenant}'s row pointing at {parent} {foreign} of another tenant",
    )


def _other_tenants_key(
    owner: Conn, parent: str, key: str, tenant_column: str, tenant: str
) -> str | None:
    query = sql.SQL("SELECT {k}::text FROM {p} WHERE {c}::text <> %s LIMIT 1").format(
        k=sql.Identifier(key), p=ident(parent), c=sql.Identifier(tenant_column)
    )
    row = owner.execute(query, (tenant,)).fetchone()
    return str(row[0]) if row else None


def _verdict(
    outcome: Outcome, refusals: str | tuple[str, ...], what: str
) -> tuple[str | None, str]:
    states = (refusals,) if isinstance(refusals, str) else refusals
    if outcome.refused_with(*states):
        return None, f"{what}: refused ({outcome.sqlstate})"
    if outcome.ran:
        return f"{what} was accepted", ""
    return f"{what} failed for another reason: {outcome.why}", ""
