"""`no_overlap` in a spec: which columns may form a period, and which may pick the competitors.

A period is two attributes of one kind that PostgreSQL has a range type for (`tstzrange`
over two timestamps, `daterange` over two dates...). The `per` columns are compared with
`=` inside a GiST index (btree_gist), so they must be of a type btree_gist orders: a json
document, an array or a boolean cannot pick "the same room". A `where` narrows the rows
that compete to those whose attribute has (or has not) some literal values; each value must
be one the attribute can hold, since a misspelt enum label would silently match nothing.
Each finding is a `Problem` at the key that is wrong, so the loader names its line and column.
"""

from __future__ import annotations

import math
import uuid
from decimal import Decimal

from agent.naming import quote_ident, quote_literal
from agent.spec.contract import Contract, ContractColumn, Problem, SpecPath
from agent.spec.model import Attribute, Entity, OverlapWhere, Requirements, WhereValue

# Attribute kind -> the range type over two such columns.
RANGE_TYPES = {
    "timestamp": "tstzrange",
    "date": "daterange",
    "int": "int4range",
    "smallint": "int4range",
    "bigint": "int8range",
    "numeric": "numrange",
    "money": "numrange",
}
# Kinds btree_gist has no default equality operator class for (or none worth one).
_NOT_COMPARABLE = {"json": "a json document", "bool": "a boolean", "inet": "an inet address",
                   "bytea": "binary data"}  # fmt: skip


def column_kind(column: ContractColumn) -> str | None:
    """The spec kind of a contract column (None for keys and references: ids compare fine)."""
    if column.role == "timestamp":
        return "timestamp"
    if column.role == "attribute" and column.attribute is not None:
        return column.attribute.kind
    return None


def overlap_problems(spec: Requirements, contract: Contract) -> list[Problem]:
    problems: list[Problem] = []
    for index, entity in enumerate(spec.entities):
        table = contract.for_entity(entity.name)
        if table is None or table.kind != "entity":
            continue
        columns = {c.name: c for c in table.columns}
        for rule_index, _ in enumerate(entity.no_overlap):
            path: SpecPath = ("entities", index, "no_overlap", rule_index)
            problems += _per_problems(entity, rule_index, columns, path)
            problems += _range_problems(entity, rule_index, columns, path)
            problems += _where_problems(entity, rule_index, columns, path)
    return problems


def _per_problems(
    entity: Entity, rule_index: int, columns: dict[str, ContractColumn], path: SpecPath
) -> list[Problem]:
    rule = entity.no_overlap[rule_index]
    problems = []
    for position, name in enumerate(rule.per):
        where = (*path, "per", position)
        column = columns.get(name)
        if column is None:
            problems.append(Problem(where, _not_a_column(name, entity, columns)))
        elif name in rule.per[:position]:
            problems.append(Problem(where, f"'{name}' is named twice in per"))
        elif name in rule.range:
            problems.append(
                Problem(where, f"'{name}' is part of the range; per names the other columns")
            )
        elif column.attribute is not None and column.attribute.parsed.is_array:
            problems.append(Problem(where, f"per column '{name}' is an array: {_COMPARE}"))
        elif (kind := column_kind(column)) in _NOT_COMPARABLE:
            problems.append(
                Problem(where, f"per column '{name}' is {_NOT_COMPARABLE[kind]}: {_COMPARE}")
            )
    return problems


_COMPARE = (
    "per columns are compared with = in a GiST index (btree_gist): use a reference, a key, "
    "text, a number, a date or timestamp, a uuid or an enum"
)


def _range_problems(
    entity: Entity, rule_index: int, columns: dict[str, ContractColumn], path: SpecPath
) -> list[Problem]:
    rule = entity.no_overlap[rule_index]
    problems = []
    kinds: list[str] = []
    for position, name in enumerate(rule.range):
        where = (*path, "range", position)
        column = columns.get(name)
        if column is None:
            problems.append(Problem(where, _not_a_column(name, entity, columns)))
            continue
        kind = column_kind(column)
        arrays = column.attribute is not None and column.attribute.parsed.is_array
        if kind not in RANGE_TYPES or arrays:
            shown = f"{kind}[]" if arrays else (kind or column.role)
            message = (
                f"range column '{name}' is {shown}; a period needs two attributes of one of "
                f"the kinds {', '.join(dict.fromkeys(RANGE_TYPES))}"
            )
            problems.append(Problem(where, message))
            continue
        kinds.append(kind)
    start, end = rule.range
    if start == end:
        message = f"the range starts and ends at the same column '{start}': name two columns"
        problems.append(Problem((*path, "range"), message))
    elif len(kinds) == 2 and RANGE_TYPES[kinds[0]] != RANGE_TYPES[kinds[1]]:
        message = (
            f"range columns '{start}' ({kinds[0]}) and '{end}' ({kinds[1]}) are of different "
            "kinds; a period needs two of one kind"
        )
        problems.append(Problem((*path, "range"), message))
    return problems


def _not_a_column(name: str, entity: Entity, columns: dict[str, ContractColumn]) -> str:
    return f"'{name}' is not a column of '{entity.name}' (its columns: {', '.join(columns)})"


# Kinds a `where` may compare, and the words naming the values each accepts.
_WHERE_KINDS = {
    "text": "text", "varchar": "text", "char": "text", "enum": "one of its labels",
    "bool": "true or false", "smallint": "a whole number", "int": "a whole number",
    "bigint": "a whole number", "numeric": "a number", "money": "a number", "uuid": "a uuid",
}  # fmt: skip
_INT_BITS = {"smallint": 16, "int": 32, "bigint": 64}


def _where_problems(
    entity: Entity, rule_index: int, columns: dict[str, ContractColumn], path: SpecPath
) -> list[Problem]:
    where = entity.no_overlap[rule_index].where
    if where is None:
        return []
    at: SpecPath = (*path, "where")
    column = columns.get(where.column)
    if column is None:
        return [Problem((*at, "column"), _not_a_column(where.column, entity, columns))]
    kind = column_kind(column)
    attribute = column.attribute
    if attribute is None or kind not in _WHERE_KINDS or attribute.parsed.is_array:
        shown = f"{kind}[]" if attribute and attribute.parsed.is_array else kind
        message = (
            f"where column '{where.column}' is {shown or f'a {column.role}'}; where compares "
            f"one attribute of kind {', '.join(_WHERE_KINDS)}"
        )
        return [Problem((*at, "column"), message)]
    problems = []
    for position, value in enumerate(where.values):
        place = (*at, "equals") if where.operator == "equals" else (*at, where.operator, position)
        wrong = _misfit(value, where.column, attribute)
        if wrong is None and value in where.values[:position]:
            wrong = f"{_shown(value)} is named twice"
        if wrong is not None:
            problems.append(Problem(place, wrong))
    return problems


def _misfit(value: WhereValue, name: str, attribute: Attribute) -> str | None:
    """Why `value` can never be held by the column, or None when it fits."""
    parsed, kind = attribute.parsed, attribute.kind
    if _fits(value, kind, parsed.values, parsed.args):
        return None
    if kind == "enum":
        labels = ", ".join(parsed.values)
        quote = " (quote it to mean the label)" if not isinstance(value, str) else ""
        return f"{_shown(value)} is not a value of '{name}' (its values: {labels}){quote}"
    expected = _WHERE_KINDS[kind]
    if kind in ("varchar", "char") and parsed.args:
        kind, expected = f"{kind}({parsed.args[0]})", f"text of at most {parsed.args[0]} characters"
    elif kind in _INT_BITS:
        low, high = _int_range(kind)
        expected = f"a whole number from {low} to {high}"
    return f"{_shown(value)} cannot be held by '{name}' ({kind}): give {expected}"


def _fits(value: WhereValue, kind: str, labels: tuple[str, ...], args: tuple[int, ...]) -> bool:
    if isinstance(value, str):
        if kind in ("text", "varchar", "char"):
            return not args or len(value) <= args[0]
        return value in labels if kind == "enum" else kind == "uuid" and _is_uuid(value)
    if isinstance(value, bool):
        return kind == "bool"
    if kind in _INT_BITS:
        low, high = _int_range(kind)
        return isinstance(value, int) and low <= value <= high
    return kind in ("numeric", "money") and math.isfinite(value)


def _int_range(kind: str) -> tuple[int, int]:
    bound = 2 ** (_INT_BITS[kind] - 1)
    return -bound, bound - 1


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _shown(value: WhereValue) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value).lower()


# Kinds whose array of quoted values needs a cast: PostgreSQL compares no enum or uuid with text.
ARRAY_CAST_KINDS = ("enum", "uuid")


def where_sql(where: OverlapWhere, *, nullable: bool, array_type: str | None = None) -> str:
    """The SQL a checked `where` means, its values quoted here, never pasted: `status <> ALL
    (ARRAY['cancelled']::appointment_status[])`, the array cast to `array_type` (the column's
    type, for the `ARRAY_CAST_KINDS`). A nullable column's NULL is none of the `not_in`
    values, so that row competes rather than slipping past the constraint."""
    column = quote_ident(where.column)
    literals = [sql_value(v) for v in where.values]
    if where.operator == "equals":
        return f"{column} = {literals[0]}"
    array = f"ARRAY[{', '.join(literals)}]"
    if array_type:
        array += f"::{quote_ident(array_type)}[]"
    if where.operator == "in":
        return f"{column} = ANY ({array})"
    test = f"{column} <> ALL ({array})"
    return f"({column} IS NULL OR {test})" if nullable else test


def sql_value(value: WhereValue) -> str:
    """A literal as PostgreSQL prints it back: `'it''s'`, `true`, `42`, `19.5`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return quote_literal(value)
