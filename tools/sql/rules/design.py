"""Design rules: entity-attribute-value tables and names that fight the SQL grammar."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pglast.keywords import RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

from tools.sql.model import Column, Schema, Table
from tools.sql.rules.base import Hit, Severity, own_tables, rule

# Attribute and value columns of an EAV row: "attribute"/"attr_key"/"property_name",
# "value"/"attr_value"/"value_text". A plain "name" only counts next to a bare "value".
_PREFIXES = r"(?:attr|attribute|prop|property|field|meta|param|parameter|option|setting)"
_ATTRIBUTE = re.compile(rf"{_PREFIXES}(?:_?(?:key|name|id))?|key")
_VALUE = re.compile(rf"(?:{_PREFIXES}_?)?(?:value|val)|value_(?:text|string|str)")
_GENERIC_TYPES = {"text", "varchar", "bpchar", "char", "citext", "json", "jsonb", "bytea"}
_ENTITY_NAMES = {"entity_id", "object_id", "record_id", "item_id", "entity_type", "object_type"}
_BOOKKEEPING = {"id", "created_at", "updated_at", "created_by", "updated_by"}
EAV_MAX_OTHER_COLUMNS = 2  # wider tables with a key/value pair are records, not EAV rows


def _entity_columns(table: Table, exclude: set[str]) -> set[str]:
    """Columns that say which entity a row describes (a reference other than the attribute)."""
    refs = {c for fk in table.foreign_keys for c in fk.columns}
    named = {c.name for c in table.columns if c.name.endswith("_id") or c.name in _ENTITY_NAMES}
    return (refs | named) - exclude


def eav_shape(table: Table) -> tuple[str, str, set[str]] | None:
    """(attribute column, value column, entity columns) when the table is an EAV store."""
    value = next((c for c in table.columns if _is_generic_value(c)), None)
    if value is None:
        return None
    attribute = next((c.name for c in table.columns if _ATTRIBUTE.fullmatch(c.name)), None)
    if attribute is None and value.name in {"value", "val"} and table.column("name"):
        attribute = "name"
    if attribute is None:
        return None
    entity = _entity_columns(table, {attribute, value.name, "id"})
    if not entity:
        return None
    other = set(table.column_names) - entity - {attribute, value.name} - _BOOKKEEPING
    other = {name for name in other if not _VALUE.fullmatch(name)}
    if len(other) > EAV_MAX_OTHER_COLUMNS:
        return None
    return attribute, value.name, entity


def _is_generic_value(column: Column) -> bool:
    return bool(_VALUE.fullmatch(column.name)) and column.base_type in _GENERIC_TYPES


@rule(
    "eav-table",
    "error",
    "An entity-attribute-value table stores each field as a row of untyped text: no types, "
    "no NOT NULL, no foreign keys or checks per attribute, and every read is a pivot.",
    "Model the attributes as typed columns (or one jsonb column with a CHECK on its shape "
    "for truly open-ended data).",
)
def eav_table(schema: Schema) -> Iterator[Hit]:
    for table in own_tables(schema):
        shape = eav_shape(table)
        if shape is None:
            continue
        attribute, value, entity = shape
        message = (
            f"'{table.name}' is an entity-attribute-value table: ({', '.join(sorted(entity))}, "
            f"{attribute}, {value})"
        )
        # A json value at least keeps its structure: a settings bag, worth a look, not a defect.
        column = table.column(value)
        json_value = column is not None and column.base_type in {"json", "jsonb"}
        severity: Severity | None = "warning" if json_value else None
        yield Hit(table.name, value, message, table.line, table.file, severity)


_RESERVED = frozenset(RESERVED_KEYWORDS) | frozenset(TYPE_FUNC_NAME_KEYWORDS)
_SNAKE = re.compile(r"[^\W\d][\w]*")


def naming_problem(name: str) -> str | None:
    """Why `name` is not a plain snake_case identifier usable without quotes, or None."""
    if name.lower() in _RESERVED:
        return "is a reserved SQL word and must be quoted in every query"
    if name != name.lower():
        return "has upper-case letters, so it must be quoted in every query"
    if not _SNAKE.fullmatch(name):
        return "is not snake_case (letters, digits and underscores)"
    return None


@rule(
    "naming-convention",
    "warning",
    "Names that are reserved words, mixed case or not snake_case must be double-quoted in "
    "every query, forever; one forgotten quote is a confusing error.",
    "Rename to lower snake_case that is not a reserved word (e.g. 'user' -> 'app_user').",
)
def naming_convention(schema: Schema) -> Iterator[Hit]:
    for table in own_tables(schema):
        for part in table.name.split("."):
            problem = naming_problem(part)
            if problem:
                yield Hit(
                    table.name, None, f"table name '{part}' {problem}", table.line, table.file
                )
        for column in table.columns:
            problem = naming_problem(column.name)
            if problem:
                message = f"column '{table.name}.{column.name}' {problem}"
                yield Hit(table.name, column.name, message, column.line or table.line, table.file)
