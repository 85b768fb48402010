"""Claims about what the schema is made of: tables, partitions, indexes, constraints,
soft delete, column traits, enum types, counts and sizes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.claims.base import ClaimBase
from agent.claims.words import article, listed, many


class TableShape(ClaimBase):
    kind: Literal["table"] = "table"
    table: str
    columns: int | None = Field(None, ge=0, description="Number of columns.")
    primary_key: list[str] = Field(default_factory=list)

    def sentence(self) -> str:
        key = f"primary key ({', '.join(self.primary_key)})" if self.primary_key else "no key"
        width = f", {many(self.columns, 'column')}" if self.columns is not None else ""
        return f"{self.table}: {key}{width}."

    def tables_named(self) -> list[str]:
        return [self.table]


class Partitioned(ClaimBase):
    kind: Literal["partitioned"] = "partitioned"
    table: str
    strategy: Literal["range", "list", "hash"] = "range"
    column: str
    interval: str | None = None  # "1 month"
    partitions: int | None = Field(None, ge=0, description="Partitions created with the DDL.")
    retention: str | None = None  # "90 days"
    retention_function: str | None = Field(
        None, description="The function in the DDL that drops expired partitions."
    )

    def sentence(self) -> str:
        text = f"{self.table} is partitioned by {self.strategy.upper()} ({self.column})"
        if self.interval:
            text += f", one partition per {self.interval}"
        if self.partitions is not None:
            text += f", {many(self.partitions, 'partition')} created with the schema"
        if self.retention and self.retention_function:
            text += f"; {self.retention_function}() drops partitions older than {self.retention}"
        elif self.retention_function:
            text += f"; {self.retention_function}() creates partitions ahead"
        return text + "."

    def tables_named(self) -> list[str]:
        return [self.table]


class IndexFact(ClaimBase):
    kind: Literal["index"] = "index"
    table: str
    name: str | None = None
    columns: list[str] = Field(min_length=1, description="Key columns or expressions, in order.")
    unique: bool = False
    method: str = "btree"
    predicate: str | None = Field(None, description="WHERE of a partial index.")
    serves: list[str] = Field(
        default_factory=list, description="Access patterns it serves (EXPLAIN evidence)."
    )

    def sentence(self) -> str:
        kind = " ".join(w for w in ("unique" if self.unique else "", self.method) if w)
        kind = kind.replace("btree", "").strip().replace("gin", "GIN").replace("gist", "GiST")
        name = f" {self.name}" if self.name else ""
        where = f" WHERE {self.predicate}" if self.predicate else ""
        text = f"{article(kind + ' index').capitalize()}{name} on {self.table} "
        text += f"({', '.join(self.columns)}){where}"
        if self.serves:
            text += f" serves {listed(self.serves, quote=True)}"
        return text + "."

    def tables_named(self) -> list[str]:
        return [self.table]


ConstraintType = Literal["primary key", "unique", "foreign key", "check", "exclusion"]


class ConstraintFact(ClaimBase):
    kind: Literal["constraint"] = "constraint"
    table: str
    type: ConstraintType
    columns: list[str] = Field(default_factory=list)
    name: str | None = None
    ref_table: str | None = None
    ref_columns: list[str] = Field(default_factory=list)

    def sentence(self) -> str:
        target = f" -> {self.ref_table} ({', '.join(self.ref_columns)})" if self.ref_table else ""
        on = f" ({', '.join(self.columns)})" if self.columns else ""
        return f"{self.table} has a {self.type} constraint{on}{target}."

    def tables_named(self) -> list[str]:
        return [self.table]


class NoOverlap(ClaimBase):
    """An exclusion constraint that keeps rows of equal `equal` columns from sharing a period."""

    kind: Literal["no_overlap"] = "no_overlap"
    table: str
    name: str = Field(description="The exclusion constraint.")
    equal: list[str] = Field(
        default_factory=list, description="Columns compared with = (the room, the tenant)."
    )
    period: str = Field(description="The range expression compared with &&.")
    method: str = "gist"
    predicate: str | None = Field(None, description="WHERE of a partial constraint.")
    ordered_by: str | None = Field(
        None, description="The CHECK constraint that keeps each period's end after its start."
    )
    start: str = ""
    end: str = ""
    bounds: Literal["[)", "[]"] = Field("[)", description="`[)`: the end is excluded.")

    def sentence(self) -> str:
        rows = f"two rows of {self.table}"
        if self.equal:
            rows += f" with the same {listed(self.equal)}"
        text = (
            f"No {rows} may hold overlapping periods {self.period}: exclusion constraint "
            f"{self.name} ({self.method.replace('gist', 'GiST')}"
        )
        text += ", btree_gist for the = columns)" if self.equal else ")"
        if self.predicate:
            text += f", over rows WHERE {self.predicate}"
        if self.ordered_by:
            after = "after" if self.bounds == "[)" else "on or after"
            text += f"; CHECK {self.ordered_by} keeps {self.end} {after} {self.start}"
        return text + "."

    def tables_named(self) -> list[str]:
        return [self.table]

    @property
    def definition(self) -> str:
        """The constraint as pg_get_constraintdef() prints it, up to casts and brackets."""
        pairs = [f"{c} WITH =" for c in self.equal] + [f"{self.period} WITH &&"]
        where = f" WHERE ({self.predicate})" if self.predicate else ""
        return f"EXCLUDE USING {self.method} ({', '.join(pairs)}){where}"


class LiveUnique(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str
    columns: list[str] = Field(min_length=1)


class SoftDelete(ClaimBase):
    kind: Literal["soft_delete"] = "soft_delete"
    tables: list[str] = Field(min_length=1)
    column: str = "deleted_at"
    live_unique: list[LiveUnique] = Field(
        default_factory=list, description="Unique keys that hold over live rows only."
    )

    def sentence(self) -> str:
        keys = "; ".join(f"{u.table} ({', '.join(u.columns)})" for u in self.live_unique)
        unique = (
            f"; unique keys hold over live rows only (partial unique indexes WHERE "
            f"{self.column} IS NULL): {keys}"
            if keys
            else "; no unique key besides the primary key"
        )
        return f"Soft delete on {listed(self.tables)}: {self.column} marks removed rows{unique}."

    def tables_named(self) -> list[str]:
        return list(self.tables)


class ColumnsFact(ClaimBase):
    kind: Literal["columns"] = "columns"
    label: str = Field(description="What the columns are, for the sentence: 'primary keys'.")
    columns: list[str] = Field(min_length=1, description="`table.column` names.")
    type: str | None = None  # as format_type prints it: "bigint", "jsonb", "numeric(19,4)"
    identity: Literal["by default", "always"] | None = None
    not_null: bool | None = None

    def sentence(self) -> str:
        traits = [self.type] if self.type else []
        if self.identity:
            traits.append(f"GENERATED {self.identity.upper()} AS IDENTITY")
        if self.not_null is not None:
            traits.append("NOT NULL" if self.not_null else "nullable")
        what = ", ".join(traits) or "present"
        return f"The {self.label} are {what}: {listed(self.columns)}."

    def tables_named(self) -> list[str]:
        return list(dict.fromkeys(c.split(".")[0] for c in self.columns))


class EnumTypes(ClaimBase):
    kind: Literal["enum_types"] = "enum_types"
    types: dict[str, list[str]] = Field(min_length=1)

    def sentence(self) -> str:
        kinds = "; ".join(f"{name} ({', '.join(labels)})" for name, labels in self.types.items())
        return f"Enum types, labels in order: {kinds}."


CountedObject = Literal[
    "tables", "indexes", "foreign keys", "unique constraints", "check constraints",
    "policies", "triggers", "functions", "enum types", "partitions",
]  # fmt: skip


class Count(ClaimBase):
    kind: Literal["count"] = "count"
    object: CountedObject
    value: int = Field(ge=0)
    table: str | None = Field(None, description="Count only this table's objects.")

    def sentence(self) -> str:
        where = f" on {self.table}" if self.table else ""
        return f"The package builds {self.value:,} {self.object}{where}."

    def tables_named(self) -> list[str]:
        return [self.table] if self.table else []


class Size(ClaimBase):
    kind: Literal["size"] = "size"
    object: str = Field(description="A table or an index.")
    rows: int | None = Field(None, ge=0)
    bytes: int | None = Field(None, ge=0)
    horizon: str = Field("now", description="When: 'now', '12 months', '36 months'.")
    basis: str = Field(description="How the number was reached: 'estimated from key widths'.")

    def sentence(self) -> str:
        amounts = []
        if self.rows is not None:
            amounts.append(f"{self.rows:,} rows")
        if self.bytes is not None:
            amounts.append(f"{self.bytes / 1024**2:,.1f} MB")
        amount = ", ".join(amounts) or "size unknown"
        return f"{self.object} at {self.horizon}: {amount} ({self.basis})."

    def tables_named(self) -> list[str]:
        return [self.object]
