"""Exercise an applied design as an application meets it: a role that does not own the tables
and has no BYPASSRLS, tenants set per session, rows made the way the schema demands.

Driven by the design's own claims, so it reads any spec: every tenant reference is tried
across tenants, every pre-tenant lookup is called with no tenant set, every live-only unique
key is re-used after a soft delete, every forced table is read by its owner, and every
no-overlap rule refuses an overlapping period and accepts an adjacent one.
"""

from __future__ import annotations

import itertools
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from agent.claims.catalog import Catalog, ColumnInfo, read_catalog
from agent.claims.model import (
    Claim,
    LookupFunction,
    NoOverlap,
    RowSecurity,
    SoftDelete,
    TenantReferences,
)
from agent.spec.model import Requirements
from tools.sql.server import Scratch

Row = dict[str, Any]
SETTINGS = {"app.purpose_of_use": "treatment", "app.user_id": "exerciser"}


@contextmanager
def application_role(scratch: Scratch) -> Iterator[str]:
    """A login role with table privileges only (not the owner, NOBYPASSRLS); its DSN."""
    role = f"dbarch_app_{secrets.token_hex(4)}"
    name = sql.Identifier(role)
    with psycopg.connect(scratch.admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS").format(name))
        try:
            for grant in (
                "GRANT USAGE ON SCHEMA public TO {}",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}",
                "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {}",
            ):
                admin.execute(sql.SQL(grant).format(name))
            params = conninfo_to_dict(scratch.admin_dsn)  # no `-c role=`: it logs in as itself
            params["user"] = role
            yield make_conninfo("", **params)
        finally:
            admin.execute(sql.SQL("DROP OWNED BY {}").format(name))
            admin.execute(sql.SQL("DROP ROLE {}").format(name))


@dataclass
class Exerciser:
    catalog: Catalog
    claims: list[Claim]
    owner: psycopg.Connection[Row]
    app: psycopg.Connection[Row]
    tenant_table: str | None = None
    tenant_column: str | None = None
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    @contextmanager
    def open(cls, scratch: Scratch, claims: list[Claim]) -> Iterator[Exerciser]:
        catalog = read_catalog(scratch.dsn)
        refs = next((c for c in claims if isinstance(c, TenantReferences)), None)
        with (
            application_role(scratch) as app_dsn,
            psycopg.connect(scratch.dsn, autocommit=True, row_factory=dict_row) as owner,
            psycopg.connect(app_dsn, autocommit=True, row_factory=dict_row) as app,
        ):
            for function in (c for c in claims if isinstance(c, LookupFunction)):
                signature = sql.SQL("{}({})").format(
                    sql.Identifier(function.function), sql.SQL(", ".join(function.arguments))
                )  # the Security section's advice: EXECUTE for the application role only
                role = sql.Identifier(str(conninfo_to_dict(app_dsn)["user"]))
                for grant in ("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC",
                              "GRANT EXECUTE ON FUNCTION {} TO {}"):  # fmt: skip
                    owner.execute(sql.SQL(grant).format(signature, role))
            for conn in (owner, app):
                for name, value in SETTINGS.items():
                    conn.execute("SELECT set_config(%s, %s, false)", (name, value))
            yield cls(
                catalog, claims, owner, app,
                refs.tenant_table if refs else None, refs.tenant_column if refs else None,
            )  # fmt: skip

    # --- sessions and rows ---------------------------------------------------------------

    def as_tenant(self, conn: psycopg.Connection[Row], tenant: Any) -> None:
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", (str(tenant or ""),))

    def tenant(self) -> Any:
        """A new tenant row, created by the application role in its own session."""
        assert self.tenant_table is not None
        key = self.catalog.tables[self.tenant_table].column("id")
        value = uuid.uuid4() if key is not None and key.type == "uuid" else next(self.counter)
        self.as_tenant(self.app, value)
        self.make(self.tenant_table, value, {"id": value})
        return value

    def make(self, table: str, tenant: Any, given: Row | None = None) -> Row:
        """Insert one row as the application role, making the parents it requires first."""
        values = dict(given or {})
        info = self.catalog.tables[table]
        if tenant is not None and self.tenant_column and info.column(self.tenant_column):
            values.setdefault(self.tenant_column, tenant)
        for fk in self.catalog.constraints_of(table, "foreign key"):
            required = all(_required(info.column(c)) for c in fk.columns)
            if not required or all(c in values for c in fk.columns) or fk.ref_table == table:
                continue
            assert fk.ref_table is not None
            parent = self.make(fk.ref_table, tenant)
            self.as_tenant(self.app, tenant)
            for column, ref in zip(fk.columns, fk.ref_columns, strict=True):
                values.setdefault(column, parent[ref])
        for column in info.columns:
            if column.name not in values and _required(column) and not column.has_default:
                values[column.name] = self.value(column)
        self.as_tenant(self.app, tenant)
        names = sql.SQL(", ").join(sql.Identifier(n) for n in values)
        marks = sql.SQL(", ").join(sql.Placeholder() * len(values))
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING *").format(
            sql.Identifier(table), names, marks
        )
        row = self.app.execute(query, list(values.values())).fetchone()
        assert row is not None
        return row

    def value(self, column: ColumnInfo) -> Any:
        n = next(self.counter)
        kind = column.type
        if kind in self.catalog.enums:
            return self.catalog.enums[kind][0]
        if kind.endswith("[]"):
            return []
        if kind in ("integer", "bigint", "smallint") or kind.startswith("numeric"):
            return n
        if kind.startswith("timestamp"):
            return datetime.now(UTC) + timedelta(minutes=n)  # later columns come later
        return {
            "boolean": True, "date": date.today() + timedelta(days=n), "uuid": uuid.uuid4(),
            "jsonb": Jsonb({}), "json": Jsonb({}),
        }.get(kind, f"v{n}")  # fmt: skip

    def claims_of(self, kind: type[Claim]) -> list[Any]:
        return [c for c in self.claims if isinstance(c, kind)]


def _required(column: ColumnInfo | None) -> bool:
    return column is not None and column.not_null and not column.identity


# --- the checks ---------------------------------------------------------------------------


def cross_tenant_references_are_refused(ex: Exerciser) -> int:
    """Each tenant reference: pointing at the same tenant's parent works, another's fails."""
    tried = 0
    for claim in ex.claims_of(TenantReferences):
        for ref in claim.references:
            first, second = ex.tenant(), ex.tenant()
            theirs = ex.make(ref.ref_table, first)
            ours = ex.make(ref.ref_table, second)
            pairs = list(zip(ref.columns, ref.ref_columns, strict=True))
            own = [(c, r) for c, r in pairs if c != claim.tenant_column]
            ex.make(ref.table, second, {c: ours[r] for c, r in own})
            try:
                ex.make(ref.table, second, {c: theirs[r] for c, r in own})
            except psycopg.errors.ForeignKeyViolation:
                tried += 1
            else:
                raise AssertionError(f"{ref.text()}: a row of tenant {second} points at {first}")
    return tried


def lookups_work_before_a_tenant_is_set(ex: Exerciser, spec: Requirements) -> int:
    """The stated pattern finds nothing without a tenant; its lookup function finds the row."""
    for claim in ex.claims_of(LookupFunction):
        pattern = next(p for p in spec.access_patterns if p.name == claim.pattern)
        params = dict(re.findall(r"(\w+)\s*=\s*\$(\d+)", pattern.sql))
        keys = {column: f"{column}-{secrets.token_hex(3)}" for column in params}
        row = ex.make(claim.table, ex.tenant() if ex.tenant_table else None, keys)
        ordered = [keys[c] for c, _ in sorted(params.items(), key=lambda item: item[1])]
        ex.as_tenant(ex.app, None)
        stated = re.sub(r"\$\d+", "%s", pattern.sql)
        assert ex.app.execute(stated, ordered).fetchall() == [], "the policy admits no one"
        calls = ", ".join(["%s"] * len(ordered))
        found = ex.app.execute(f"SELECT * FROM {claim.function}({calls})", ordered).fetchall()
        assert [r.get("id") for r in found] == [row["id"]], (claim.function, found)
    return len(ex.claims_of(LookupFunction))


def deleted_keys_can_be_used_again(ex: Exerciser) -> int:
    """A live duplicate of a live-only unique key fails; after a soft delete it succeeds."""
    tried = 0
    for claim in ex.claims_of(SoftDelete):
        for key in claim.live_unique:
            tenant = ex.tenant() if ex.tenant_table else None
            info = ex.catalog.tables[key.table]
            references = {c for fk in ex.catalog.constraints_of(key.table, "foreign key")
                          for c in fk.columns}  # fmt: skip
            chosen = {  # nullable key columns too: NULLs never collide
                c: ex.value(column)
                for c in key.columns
                if c not in references and (column := info.column(c)) is not None
            }
            first = ex.make(key.table, tenant, chosen)
            same = {c: first[c] for c in key.columns}
            try:
                ex.make(key.table, tenant, same)
            except psycopg.errors.UniqueViolation:
                pass
            else:
                raise AssertionError(f"{key.table} ({', '.join(key.columns)}) allowed a duplicate")
            ex.app.execute(
                sql.SQL("UPDATE {} SET {} = now() WHERE id = %s").format(
                    sql.Identifier(key.table), sql.Identifier(claim.column)
                ),
                (first["id"],),
            )
            again = ex.make(key.table, tenant, same)
            assert again["id"] != first["id"]
            tried += 1
    return tried


def forced_tables_filter_their_owner(ex: Exerciser) -> int:
    """With rows in every forced table, the owner without a session tenant reads none."""
    checked = 0
    for claim in ex.claims_of(RowSecurity):
        for table in claim.tables if claim.forced else []:
            tenant = ex.tenant() if ex.tenant_table else None  # a row of the tenant table
            if table != ex.tenant_table:
                ex.make(table, tenant)
            for name in SETTINGS:
                ex.owner.execute("SELECT set_config(%s, '', false)", (name,))
            ex.as_tenant(ex.owner, None)
            count = sql.SQL("SELECT count(*) AS n FROM {}").format(sql.Identifier(table))
            seen = ex.owner.execute(count).fetchone()
            assert seen == {"n": 0}, f"the owner of forced {table} read {seen}"
            checked += 1
    return checked


def _step(column: ColumnInfo) -> tuple[Any, Any]:
    """(a start value, one unit) for a period column of this type."""
    n = 1000 + 10 * secrets.randbelow(10_000)  # far from the rows `value()` makes
    if column.type.startswith("timestamp"):
        return datetime(2030, 1, 1, tzinfo=UTC) + timedelta(hours=n), timedelta(hours=1)
    if column.type == "date":
        return date(2030, 1, 1) + timedelta(days=n), timedelta(days=1)
    return n, 1


def _periods(claim: NoOverlap, base: Any, unit: Any) -> Callable[[int, int], Row]:
    """`period(1, 3)`: the claim's start and end columns, 1 and 3 units after `base`."""

    def period(start: int, end: int) -> Row:
        return {claim.start: base + start * unit, claim.end: base + end * unit}

    return period


def overlaps_are_refused(ex: Exerciser) -> int:
    """Each no-overlap rule, as the application: a copy of a row's key with an overlapping
    period fails on the exclusion constraint, another key may hold that period, an adjacent
    period is fine, a backwards period fails on the CHECK, and under soft delete a deleted
    row gives its period back."""
    tried = 0
    for claim in ex.claims_of(NoOverlap):
        tenant = ex.tenant() if ex.tenant_table else None
        info = ex.catalog.tables[claim.table]
        column = info.column(claim.start)
        assert column is not None
        period = _periods(claim, *_step(column))
        first = ex.make(claim.table, tenant, period(0, 2))
        same = {c: first[c] for c in claim.equal}
        try:
            ex.make(claim.table, tenant, {**same, **period(1, 3)})
        except psycopg.errors.ExclusionViolation as exc:
            assert exc.diag.constraint_name == claim.name
        else:
            raise AssertionError(f"{claim.table}: an overlapping period of the same key passed")
        if [c for c in claim.equal if c != ex.tenant_column]:
            ex.make(claim.table, tenant, period(1, 3))  # another room, the same period
        gap = 2 if claim.bounds == "[)" else 3  # `[]`: sharing the end point overlaps
        ex.make(claim.table, tenant, {**same, **period(gap, gap + 2)})
        try:
            ex.make(claim.table, tenant, {**same, **period(9, 8)})
        except psycopg.errors.CheckViolation as exc:
            assert exc.diag.constraint_name == claim.ordered_by
        else:
            raise AssertionError(f"{claim.table}: a period ending before it starts passed")
        if claim.predicate and "deleted_at IS NULL" in claim.predicate:  # soft delete
            ex.app.execute(
                sql.SQL("UPDATE {} SET deleted_at = now() WHERE id = %s").format(
                    sql.Identifier(claim.table)
                ),
                (first["id"],),
            )
            ex.make(claim.table, tenant, {**same, **period(0, 2)})  # the deleted row's period
        tried += 1
    return tried
