"""The requirements spec of DESIGN.md as pydantic models: what a user may write, documented.

Every model refuses unknown keys with a message that names the key and lists the allowed
ones (the spec is a contract; a typo must not be silently ignored). Field descriptions end up
in the JSON Schema that `dbarch spec schema` prints, so they are written for spec authors.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from agent.spec.base import (
    COMPLIANCE_KNOWN,
    EntityName,
    OnDelete,
    SpecModel,
    default_text,
    hyphenated,
    normalise_compliance,
    normalise_on_delete,
    relationship_kind,
    sql_writes,
)
from agent.spec.types import TYPE_STRING_HELP, AttributeType, TypeStringError, parse_type
from agent.spec.values import Count, Duration, Percent, as_list
from tools.bounds import MAX_LATENCY_MS, Rate


class Attribute(SpecModel):
    """One attribute (column). Written as a type string (`text! unique`) or as this object."""

    type: str = Field(description=TYPE_STRING_HELP)
    required: bool = Field(False, description="NOT NULL (same as a trailing `!`).")
    unique: bool = Field(False, description="Unique (same as the word `unique`).")
    default: Annotated[str | None, BeforeValidator(default_text)] = Field(
        None, description="Default value: a literal (`todo`, `0`, `false`) or SQL (`now()`)."
    )
    description: str | None = None
    pii: bool = Field(False, description="Personal data (GDPR) / PHI (HIPAA) held here.")
    check: str | None = Field(None, description="Extra CHECK expression, e.g. `quantity > 0`.")

    _parsed: AttributeType = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _from_type_string(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"type": data}
        if isinstance(data, int | float | bool) or data is None:
            raise PydanticCustomError(
                "type_string",
                "expected a type string such as `text!`, not {value!r}",
                {"value": data, "offset": 0},
            )
        return data

    @field_validator("type")
    @classmethod
    def _parse_type(cls, value: str) -> str:
        try:
            parse_type(value)
        except TypeStringError as exc:
            raise PydanticCustomError(
                "type_string", "{message}", {"message": str(exc), "offset": exc.offset}
            ) from exc
        return value

    @model_validator(mode="after")
    def _merge_flags(self) -> Attribute:
        parsed = parse_type(self.type)
        self.required = self.required or parsed.required
        self.unique = self.unique or parsed.unique
        self.default = self.default if self.default is not None else parsed.default
        self._parsed = parsed
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        as_object = handler(core_schema)
        return {"anyOf": [{"type": "string", "description": TYPE_STRING_HELP}, as_object]}

    @property
    def parsed(self) -> AttributeType:
        return self._parsed

    @property
    def kind(self) -> str:
        return self._parsed.kind


class Reference(SpecModel):
    """A `belongs_to` entry: the name of the parent entity, or this object."""

    entity: EntityName = Field(description="The parent entity; the column is `<entity>_id`.")
    optional: bool = Field(
        False, description="Nullable reference (a plain name ending in `?` means the same)."
    )
    on_delete: Annotated[OnDelete | None, BeforeValidator(normalise_on_delete)] = Field(
        None, description="What deleting the parent does; default chosen by the brain."
    )
    as_: str | None = Field(
        None,
        alias="as",
        description="Role name when one entity is referenced twice: `as: reporter` makes "
        "the column `reporter_id`.",
    )
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        if isinstance(data, str):
            name = data.strip()
            return (
                {"entity": name[:-1].strip(), "optional": True}
                if name.endswith("?")
                else {"entity": name}
            )
        return data

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        as_object = handler(core_schema)
        return {"anyOf": [{"type": "string", "description": "parent entity name"}, as_object]}


# Every number a caller sends is bounded where it enters. A where value may meet an unbounded
# numeric column, so the bound is double precision's finite range; the column's own type then
# narrows it (a smallint takes -32768..32767) with a message naming the column.
_WHERE_HIGH = sys.float_info.max
_WHERE_LOW = -_WHERE_HIGH


def _where_scalar(value: Any) -> Any:
    """YAML reads `2030-01-01` as a date: it is the text it was written as. Anything else that
    is no scalar is refused once, not once per member of the union."""
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str | bool | int | float):
        kinds: dict[type, str] = {dict: "a mapping", list: "a list"}
        kind = kinds.get(type(value), "null")
        raise ValueError(f"a where value is text, a number or true/false, not {kind}")
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not _WHERE_LOW <= value <= _WHERE_HIGH  # NaN fails this too
    ):
        raise ValueError(f"a where number is finite and at most 1.8e308 in size, not {value}")
    return value


_VALUE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": ["string", "boolean"]},
        {"type": "number", "minimum": _WHERE_LOW, "maximum": _WHERE_HIGH},
    ]
}
# The bound is checked once in _where_scalar (one message, not one per union member); the
# schema states it for editors and callers.
WhereValue = Annotated[
    str | bool | int | float, BeforeValidator(_where_scalar), WithJsonSchema(_VALUE_SCHEMA)
]
WHERE_OPERATORS = ("equals", "in", "not_in")
# What the loader takes where one item may stand for a list: editors validate with this.
_VALUES_SCHEMA = WithJsonSchema(
    {"anyOf": [_VALUE_SCHEMA, {"type": "array", "items": _VALUE_SCHEMA, "minItems": 1}]}
)
_NAMES_SCHEMA = WithJsonSchema(
    {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
)


def _scalar_as_list(value: Any) -> Any:
    """`not_in: cancelled` means `not_in: [cancelled]`."""
    return [value] if isinstance(value, str | bool | int | float) else value


class OverlapWhere(SpecModel):
    """Which rows compete for a period: `{column: status, not_in: [cancelled, no_show]}`.

    One attribute compared with literal values, never SQL text: the values are quoted by the
    compiler and checked against the attribute's type (an enum's labels, a boolean...).
    """

    column: str = Field(description="An attribute of the entity: text, enum, bool, number or uuid.")
    equals: WhereValue | None = Field(None, description="Only rows with this value compete.")
    in_: Annotated[list[WhereValue] | None, BeforeValidator(_scalar_as_list), _VALUES_SCHEMA] = (
        Field(None, alias="in", description="Only rows with one of these values compete.")
    )
    not_in: Annotated[list[WhereValue] | None, BeforeValidator(_scalar_as_list), _VALUES_SCHEMA] = (
        Field(
            None,
            description="Rows with one of these values do not compete (a cancelled booking "
            "gives its period back); a NULL is none of them, so such a row competes.",
        )
    )

    @model_validator(mode="after")
    def _one_operator(self) -> OverlapWhere:
        given = [name for name in WHERE_OPERATORS if self._given(name) is not None]
        if len(given) != 1:
            got = f" (got {' and '.join(given)})" if given else ""
            raise ValueError(f"where takes exactly one of equals, in, not_in{got}")
        if self.values == []:
            raise ValueError(f"where's {given[0]} lists no values: name at least one")
        return self

    def _given(self, operator: str) -> WhereValue | list[WhereValue] | None:
        return {"equals": self.equals, "in": self.in_, "not_in": self.not_in}[operator]

    @property
    def operator(self) -> Literal["equals", "in", "not_in"]:
        return "equals" if self.equals is not None else "in" if self.in_ is not None else "not_in"

    @property
    def values(self) -> list[WhereValue]:
        """The compared values, one for `equals`."""
        given = self._given(self.operator)
        return given if isinstance(given, list) else [] if given is None else [given]

    def phrase(self, *, left_out: bool = False) -> str:
        """`status is not cancelled or no_show`: the rows that compete in words (with
        `left_out`, the others: `status is cancelled or no_show`), for ADRs and reports."""
        shown = " or ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in self.values)
        negated = (self.operator == "not_in") != left_out
        return f"{self.column} is {'not ' if negated else ''}{shown}"


class NoOverlap(SpecModel):
    """Rows that may not share a period: `{per: [room_id], range: [starts_at, ends_at]}`.

    Two rows with equal `per` columns must not have overlapping periods; the database
    refuses the second (an exclusion constraint), whatever the application does.
    """

    per: Annotated[list[str], BeforeValidator(as_list), _NAMES_SCHEMA] = Field(
        default_factory=list,
        description="Columns that make two rows compete for the same period (the room, the "
        "resource): the contract's names, e.g. `room_id`. Empty: no two rows overlap at all.",
    )
    range: list[str] = Field(
        min_length=2,
        max_length=2,
        description="[start, end] attributes of one kind (timestamp, date, int, bigint, "
        "numeric or money): the period each row holds. A NULL end is open-ended.",
    )
    bounds: Literal["[)", "[]"] = Field(
        "[)",
        description="`[)` (default): the end is excluded, so one booking may end when the "
        "next starts; `[]`: the end is included (whole days, say).",
    )
    where: OverlapWhere | None = Field(
        None,
        description="Only rows that pass compete, e.g. {column: status, not_in: [cancelled]}: "
        "a cancelled booking does not block the room (soft delete adds its own condition).",
    )


class Entity(SpecModel):
    """A thing the system stores: one table named for its plural, keyed by `id`."""

    name: EntityName = Field(
        description="Singular entity name; `appointment` -> table `appointments`."
    )
    description: str | None = None
    rows: Count | None = Field(None, description="Rows today (or at launch).")
    growth_per_month: Count | None = Field(None, description="New rows per month.")
    attributes: dict[str, Attribute] = Field(
        default_factory=dict,
        description="Column name -> type string (or attribute object). `id`, `created_at`, "
        "`updated_at` and reference columns are added for you.",
    )
    belongs_to: Annotated[list[Reference], BeforeValidator(as_list)] = Field(
        default_factory=list,
        description="Parents: each adds `<parent>_id` referencing `<parents>.id`.",
    )
    unique: list[list[str]] = Field(
        default_factory=list, description="Composite unique keys, e.g. [[project_id, name]]."
    )
    no_overlap: Annotated[list[NoOverlap], BeforeValidator(as_list)] = Field(
        default_factory=list,
        description="Periods rows may not share, e.g. [{per: [room_id], range: [starts_at, "
        "ends_at]}]: no two bookings of one room overlap (an exclusion constraint).",
    )
    retention: Duration | None = Field(None, description="How long rows are kept.")
    soft_delete: bool | None = Field(None, description="Keep deleted rows with `deleted_at`.")
    audit: bool | None = Field(None, description="Record every change in the audit log.")
    pii: list[str] = Field(default_factory=list, description="Attributes holding personal data.")
    phi: bool | None = Field(None, description="Holds protected health information (HIPAA).")
    large: bool | None = Field(None, description="Override the size heuristic for this table.")
    time_series: bool = Field(False, description="Rows are time-stamped measurements/events.")
    append_only: bool = Field(False, description="Rows are never updated once written.")
    time_column: str | None = Field(
        None, description="The timestamp attribute that orders the series (partition key)."
    )
    tenant: bool = Field(False, description="This entity is the tenant (shared-schema tenancy).")
    tenant_scoped: bool | None = Field(
        None, description="False for global lookup tables that carry no tenant key."
    )
    varying_attributes: bool | str | None = Field(
        None,
        description="Attributes that vary per category (or per the named entity): kept in one "
        "jsonb column `attributes`, never as entity-attribute-value rows.",
    )

    def projected_rows(self, months: int = 0) -> int:
        """Rows after `months` of the stated growth (0 when no volume was given)."""
        return (self.rows or 0) + months * (self.growth_per_month or 0)


class Relationship(SpecModel):
    """A relationship between two entities; many-to-many ones get a join table."""

    from_: EntityName = Field(alias="from", description="Entity on the `one`/owning side.")
    to: EntityName = Field(description="The other entity.")
    kind: Annotated[
        Literal["one-to-one", "one-to-many", "many-to-one", "many-to-many"],
        BeforeValidator(relationship_kind),
    ] = Field(
        "many-to-many",
        description="many-to-many: join table `<from>_<as>`; one-to-many: `<to>` gets "
        "`<from>_id`; many-to-one: `<from>` gets `<to>_id`; one-to-one: `<to>` gets a "
        "unique `<from>_id`.",
    )
    as_: str | None = Field(
        None,
        alias="as",
        description="Name of the relationship: join table `<from>_<as>` for many-to-many, "
        "the column `<as>_id` for the others.",
    )
    attributes: dict[str, Attribute] = Field(
        default_factory=dict, description="Columns on the join table (many-to-many only)."
    )
    optional: bool = Field(False, description="Nullable reference (not many-to-many).")
    on_delete: Annotated[OnDelete | None, BeforeValidator(normalise_on_delete)] = None
    rows: Count | None = Field(None, description="Rows of the join table (many-to-many).")
    growth_per_month: Count | None = Field(None, description="New join rows per month.")
    description: str | None = None


class AccessPattern(SpecModel):
    """A query the system must serve, in SQL against the contract's names, with its rate."""

    name: str = Field(description="Short unique name, used in reports and index reasons.")
    sql: str = Field(description="One SQL statement; `$1`, `$2` for parameters.")
    per_second: Rate | None = Field(None, description="Peak executions per second.")
    per_minute: Rate | None = Field(None, description="Or: peak executions per minute.")
    per_hour: Rate | None = Field(None, description="Or: peak executions per hour.")
    per_day: Rate | None = Field(None, description="Or: executions per day.")
    kind: Literal["read", "write"] | None = Field(None, description="Default: from the SQL.")
    latency_ms: float | None = Field(
        None, gt=0, le=MAX_LATENCY_MS, description="Target latency (p99), ms."
    )
    params: list[Any] = Field(
        default_factory=list,
        description="Example values for $1, $2... (shown in reports; plans use generic plans).",
    )
    before_tenant: bool | None = Field(
        None,
        description="Runs before a tenant is known (login, invitation links); under "
        "shared-schema tenancy it is served by a lookup function. Default: guessed from the "
        "name (login, sign in, invitation...).",
    )
    description: str | None = None

    @model_validator(mode="after")
    def _one_rate(self) -> AccessPattern:
        """Any one rate key fills `per_second`, the one every stage reads; two must agree."""
        stated = [
            value / seconds
            for value, seconds in (
                (self.per_second, 1), (self.per_minute, 60), (self.per_hour, 3600),
                (self.per_day, 86400),
            )
            if value is not None
        ]  # fmt: skip
        if any(abs(rate - stated[0]) > 1e-9 * max(1.0, stated[0]) for rate in stated[1:]):
            raise ValueError("per_second, per_minute, per_hour and per_day disagree: give one")
        if stated and self.per_second is None:
            self.per_second = stated[0]
        return self

    @property
    def is_write(self) -> bool:
        """The stated kind, else what the SQL does (INSERT/UPDATE/DELETE/MERGE write)."""
        if self.kind is not None:
            return self.kind == "write"
        return sql_writes(self.sql)


def _list_or_mapping(schema: dict[str, Any]) -> None:
    """Document the mapping form (`entities: {task: {...}}`) the loader also accepts."""
    listed = {k: schema.pop(k) for k in ("type", "items", "minItems") if k in schema}
    mapping = {"type": "object", "minProperties": 1,
               "additionalProperties": {"type": ["object", "null"]}}  # fmt: skip
    schema["anyOf"] = [listed, mapping]


class Requirements(SpecModel):
    """A requirements spec: what to store, how much, how it is queried, under which rules."""

    name: str = Field(description="Short name of the system, e.g. `task-tracker`.")
    description: str | None = None
    tenancy: Annotated[
        Literal["none", "shared-schema", "schema-per-tenant", "database-per-tenant"] | None,
        BeforeValidator(hyphenated),
    ] = Field(None, description="Multi-tenancy model; shared-schema adds tenant keys and RLS.")
    tenant: EntityName | None = Field(
        None, description="The tenant entity (default: guessed by name)."
    )
    consistency: Annotated[Literal["strong", "eventual"] | None, BeforeValidator(hyphenated)] = None
    workload: Annotated[
        Literal["read-heavy", "write-heavy", "balanced"] | None, BeforeValidator(hyphenated)
    ] = None
    compliance: Annotated[
        list[Annotated[str, BeforeValidator(normalise_compliance)]],
        BeforeValidator(normalise_compliance),
        BeforeValidator(as_list),
    ] = Field(default_factory=list, description="Regimes: " + ", ".join(COMPLIANCE_KNOWN) + ".")
    keys: Literal["identity", "uuid"] = Field(
        "identity", description="Primary keys: bigint identity (default) or uuid."
    )
    soft_delete: bool = Field(False, description="Soft delete for every entity (default off).")
    pg_version: int | None = Field(
        None,
        ge=13,
        le=18,
        description="PostgreSQL major version the design must run on (13-18): the DDL uses "
        "nothing it lacks. Default: the server's version (the embedded one is 18).",
    )
    entities: list[Entity] = Field(
        min_length=1,
        description="A list of entities (`- name: task`), or a mapping name -> entity.",
        json_schema_extra=_list_or_mapping,
    )
    relationships: list[Relationship] = Field(default_factory=list)
    access_patterns: list[AccessPattern] = Field(default_factory=list)
    retention: Duration | dict[str, Duration] | None = Field(
        None,
        description="Default retention for time-series/append-only entities, or entity -> "
        "duration.",
    )
    availability: Percent | None = Field(None, description="Target availability, e.g. 99.95%.")
    rpo: Duration | None = Field(None, description="Recovery point objective, e.g. `5 minutes`.")
    rto: Duration | None = Field(None, description="Recovery time objective, e.g. `1 hour`.")
    regions: Annotated[list[str], BeforeValidator(as_list)] = Field(default_factory=list)
    notes: Annotated[list[str], BeforeValidator(as_list)] = Field(default_factory=list)

    def entity(self, name: str) -> Entity | None:
        return next((e for e in self.entities if e.name == name), None)
