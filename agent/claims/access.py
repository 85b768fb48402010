"""Claims about who may see and change rows: row-level security, policies, tenant keys in
foreign keys, audit triggers, and lookup functions that run before a tenant is known."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.claims.base import ClaimBase
from agent.claims.words import listed, quantity


class RowSecurity(ClaimBase):
    kind: Literal["row_security"] = "row_security"
    tables: list[str] = Field(min_length=1)
    forced: bool = Field(description="FORCE ROW LEVEL SECURITY: the owner is filtered too.")
    reason: str = Field("", description="Why it is not forced (required when forced is false).")

    def sentence(self) -> str:
        if self.forced:
            return (
                f"Row-level security is enabled and forced (the table owner is filtered too) "
                f"on {quantity(self.tables, 'table')}: {listed(self.tables)}."
            )
        why = f": {self.reason.rstrip('.')}" if self.reason else ""
        return f"Row-level security is enabled but not forced on {listed(self.tables)}{why}."

    def tables_named(self) -> list[str]:
        return list(self.tables)


class Policy(ClaimBase):
    kind: Literal["policy"] = "policy"
    tables: list[str] = Field(min_length=1)
    setting: str = Field(description="The session setting the policies read: app.tenant_id.")
    restrictive: bool = False

    def sentence(self) -> str:
        how = "restrictive policies" if self.restrictive else "policies"
        return (
            f"Row-level security {how} on {quantity(self.tables, 'table')} read "
            f"current_setting('{self.setting}'): {listed(self.tables)}."
        )

    def tables_named(self) -> list[str]:
        return list(self.tables)


class ForeignKeyRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str
    columns: list[str] = Field(min_length=1)
    ref_table: str
    ref_columns: list[str] = Field(min_length=1)

    def text(self) -> str:
        return (
            f"{self.table} ({', '.join(self.columns)}) -> "
            f"{self.ref_table} ({', '.join(self.ref_columns)})"
        )


class TenantReferences(ClaimBase):
    kind: Literal["tenant_references"] = "tenant_references"
    tenant_table: str
    tenant_column: str
    tables: list[str] = Field(min_length=1, description="The tenant-scoped tables.")
    references: list[ForeignKeyRef] = Field(default_factory=list)

    def sentence(self) -> str:
        keys = "; ".join(r.text() for r in self.references) or "none besides the tenant key"
        return (
            f"Every foreign key between the {quantity(self.tables, 'tenant-scoped table')} "
            f"carries {self.tenant_column}, so PostgreSQL refuses a reference to another "
            f"tenant's row: {keys}."
        )

    def tables_named(self) -> list[str]:
        return list(self.tables)


class Audited(ClaimBase):
    kind: Literal["audited"] = "audited"
    tables: list[str] = Field(min_length=1)
    log_table: str

    def sentence(self) -> str:
        return (
            f"Triggers write every INSERT, UPDATE and DELETE on {listed(self.tables)} "
            f"to {self.log_table}."
        )

    def tables_named(self) -> list[str]:
        return [*self.tables, self.log_table]


class LookupFunction(ClaimBase):
    kind: Literal["lookup_function"] = "lookup_function"
    function: str
    arguments: list[str] = Field(default_factory=list, description="Argument types, in order.")
    table: str
    pattern: str = Field(description="The access pattern it serves before a tenant is known.")
    search_path: str = Field(description="The pinned search_path; must end with pg_temp.")

    def sentence(self) -> str:
        args = ", ".join(self.arguments)
        calls = ", ".join(f"${n}" for n in range(1, len(self.arguments) + 1))
        return (
            f"'{self.pattern}' runs before a tenant is known as SELECT * FROM "
            f"{self.function}({calls}): {self.function}({args}) is SECURITY DEFINER with "
            f"search_path pinned to {self.search_path}, and reads {self.table} as its owner."
        )

    def tables_named(self) -> list[str]:
        return [self.table]
