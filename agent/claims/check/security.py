"""Checks for the claims about who may see and change rows: RLS, policies, tenant keys,
audit triggers and the lookup functions that run before a tenant is known."""

from __future__ import annotations

from agent.claims.catalog import Catalog, ConstraintInfo
from agent.claims.model import (
    Audited,
    ForeignKeyRef,
    LookupFunction,
    Policy,
    RowSecurity,
    TenantReferences,
)

AUDITED_EVENTS = ("INSERT", "UPDATE", "DELETE")


def row_security(claim: RowSecurity, catalog: Catalog) -> list[str]:
    tables, problems = catalog.present(claim.tables)
    for table in tables:
        if not table.row_security:
            problems.append(f"{table.name}: relrowsecurity = false (row-level security is off)")
        elif table.forced != claim.forced:
            problems.append(f"{table.name}: relforcerowsecurity = {str(table.forced).lower()}")
    if not claim.forced and not claim.reason.strip():
        problems.append("(nothing: the claim must say why row-level security is not forced)")
    return problems


def _reads(expression: str | None, setting: str) -> bool:
    return expression is not None and f"'{setting}'" in expression


def policy(claim: Policy, catalog: Catalog) -> list[str]:
    tables, problems = catalog.present(claim.tables)
    for name in (t.name for t in tables):
        policies = catalog.policies_of(name)
        reading = [
            p
            for p in policies
            if (_reads(p.using, claim.setting) or _reads(p.check, claim.setting))
            and p.permissive != claim.restrictive
        ]
        if not reading:
            present = ", ".join(f"{p.name} USING {p.using}" for p in policies) or "none"
            kind = "restrictive " if claim.restrictive else ""
            problems.append(
                f"{name}: no {kind}policy reads current_setting('{claim.setting}') "
                f"(its policies: {present})"
            )
    return problems


def _fk_text(fk: ConstraintInfo) -> str:
    return f"{fk.name} ({', '.join(fk.columns)}) -> {fk.ref_table} ({', '.join(fk.ref_columns)})"


def _has_fk(catalog: Catalog, ref: ForeignKeyRef) -> bool:
    return any(
        fk.columns == ref.columns
        and fk.ref_table == ref.ref_table
        and fk.ref_columns == ref.ref_columns
        for fk in catalog.constraints_of(ref.table, "foreign key")
    )


def tenant_references(claim: TenantReferences, catalog: Catalog) -> list[str]:
    problems = []
    scoped = set(claim.tables)
    for ref in claim.references:
        if not _has_fk(catalog, ref):
            to_parent = [
                _fk_text(fk)
                for fk in catalog.constraints_of(ref.table, "foreign key")
                if fk.ref_table == ref.ref_table
            ]
            problems.append(
                f"{ref.table}: no foreign key {ref.text()} "
                f"(its keys to {ref.ref_table}: {'; '.join(to_parent) or 'none'})"
            )
    tables, absent = catalog.present(claim.tables)
    problems += absent
    for name in (t.name for t in tables):
        for fk in catalog.constraints_of(name, "foreign key"):
            if fk.ref_table in scoped and not _carries_tenant(claim, fk):
                problems.append(
                    f"{name}: foreign key {_fk_text(fk)} does not carry {claim.tenant_column}"
                )
    return problems


def _carries_tenant(claim: TenantReferences, fk: ConstraintInfo) -> bool:
    """The child's tenant key matches the parent's, or the key is the tenant reference."""
    tenant = claim.tenant_column
    if fk.ref_table == claim.tenant_table and fk.columns == [tenant]:
        return True
    return dict(zip(fk.columns, fk.ref_columns, strict=False)).get(tenant) == tenant


def audited(claim: Audited, catalog: Catalog) -> list[str]:
    _, problems = catalog.present([claim.log_table])
    tables, absent = catalog.present(claim.tables)
    problems += absent
    for name in (t.name for t in tables):
        writing = [t for t in catalog.triggers_of(name) if claim.log_table in t.function_source]
        covered = {event for t in writing for event in t.events}
        missing = [e for e in AUDITED_EVENTS if e not in covered]
        if missing:
            present = ", ".join(
                f"{t.name} ({'/'.join(t.events)} -> {t.function})"
                for t in catalog.triggers_of(name)
            )
            problems.append(
                f"{name}: no trigger writes {'/'.join(missing)} to {claim.log_table} "
                f"(its triggers: {present or 'none'})"
            )
    return problems


def _search_path(config: list[str]) -> str | None:
    for entry in config:
        key, _, value = entry.partition("=")
        if key == "search_path":
            return value
    return None


def _path_items(path: str) -> list[str]:
    return [p.strip().strip('"') for p in path.split(",") if p.strip()]


def lookup_function(claim: LookupFunction, catalog: Catalog) -> list[str]:
    function = catalog.function(claim.function)
    _, problems = catalog.present([claim.table])
    if function is None:
        return [*problems, f"no function named {claim.function}"]
    if function.arguments != claim.arguments:
        problems.append(
            f"{claim.function} takes ({', '.join(function.arguments)}), "
            f"not ({', '.join(claim.arguments)})"
        )
    if not function.security_definer:
        problems.append(f"{claim.function} is not SECURITY DEFINER (prosecdef = false)")
    path = _search_path(function.config)
    if path is None:
        problems.append(f"{claim.function} does not pin search_path (proconfig: none)")
    elif _path_items(path) != _path_items(claim.search_path):
        problems.append(f"{claim.function} pins search_path = {path}")
    elif _path_items(path)[-1:] != ["pg_temp"]:
        problems.append(f"{claim.function}'s search_path {path} does not end with pg_temp")
    if claim.table not in function.source:
        problems.append(f"{claim.function}'s body does not read {claim.table}")
    return problems
