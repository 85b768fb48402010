"""`no_overlap` in a spec: which columns may form a period, and which may pick the competitors.

A period is two attributes of one kind that PostgreSQL has a range type for (`tstzrange`
over two timestamps, `daterange` over two dates...). The `per` columns are compared with
`=` inside a GiST index (btree_gist), so they must be of a type btree_gist orders: a json
document, an array or a boolean cannot pick "the same room". Each finding is a `Problem` at
the key that is wrong, so the loader names its line and column.
"""

from __future__ import annotations

from agent.spec.contract import Contract, ContractColumn, Problem, SpecPath
from agent.spec.model import Entity, Requirements

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
