"""Keys and constraints as the DDL (schema and recommended indexes) declares them."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from evals.registry import Grade, bad, check, listing, ok
from evals.subject import Subject
from tools.sql.model import Schema, Table

ColumnSet = Annotated[list[str], Field(min_length=1)]


def _table(schema: Schema, name: str, problems: list[str]) -> Table | None:
    table = schema.table(name)
    if table is None:
        problems.append(f"table {name} is missing")
    return table


def _verdict(problems: list[str], passed: str) -> Grade:
    return bad(listing(problems)) if problems else ok(passed)


@check("primary_key", dict[str, ColumnSet])
def primary_key(subject: Subject, expected: dict[str, list[str]]) -> Grade:
    """Each table's primary key is exactly these columns (in any order): a link table keyed
    by both references, an event keyed by its stream and version."""
    schema = subject.schema()
    problems: list[str] = []
    for name, columns in expected.items():
        table = _table(schema, name, problems)
        if table is not None and set(table.primary_key) != set(columns):
            found = ", ".join(table.primary_key) or "none"
            problems.append(f"{name} is keyed by ({found}), not ({', '.join(columns)})")
    return _verdict(problems, f"{len(expected)} primary keys as expected")


@check("unique_keys", dict[str, list[ColumnSet]])
def unique_keys(subject: Subject, expected: dict[str, list[list[str]]]) -> Grade:
    """Each column set is unique over all rows: a primary key, unique constraint or unique
    index on exactly those columns, without a predicate (a partial index does not count)."""
    schema = subject.schema()
    problems: list[str] = []
    for name, sets in expected.items():
        table = _table(schema, name, problems)
        if table is None:
            continue
        enforced = _unique_sets(table)
        problems += [
            f"{name} ({', '.join(cols)}) is not unique"
            for cols in sets
            if set(cols) not in enforced
        ]
    count = sum(len(sets) for sets in expected.values())
    return _verdict(problems, f"{count} unique keys enforced")


def _unique_sets(table: Table) -> list[set[str]]:
    found = [set(table.primary_key)] if table.primary_key else []
    found += [set(u.columns) for u in table.uniques]
    for index in table.indexes:
        columns = [e.column for e in index.elements]
        if index.unique and index.where is None and all(columns):
            found.append({c for c in columns if c})
    return found


@check("on_delete", dict[str, str])
def on_delete(subject: Subject, expected: dict[str, str]) -> Grade:
    """`table.column: cascade | restrict | set null | no action`: what deleting the parent
    does to the rows that reference it through that foreign-key column."""
    schema = subject.schema()
    problems: list[str] = []
    for dotted, action in expected.items():
        name, _, column = dotted.rpartition(".")
        table = _table(schema, name, problems)
        if table is None:
            continue
        fk = next((f for f in table.foreign_keys if column in f.columns), None)
        wanted = " ".join(action.upper().split())
        if fk is None:
            problems.append(f"{dotted} is not a foreign key")
        elif fk.on_delete.upper() != wanted:
            problems.append(f"{dotted} is ON DELETE {fk.on_delete}, not {wanted}")
    return _verdict(problems, f"{len(expected)} delete actions as expected")


@check("index_method", dict[str, str])
def index_method(subject: Subject, expected: dict[str, str]) -> Grade:
    """`table: gin | gist | brin | hash`: some index of the table (schema or recommended)
    uses that access method."""
    schema = subject.schema()
    problems: list[str] = []
    for name, method in expected.items():
        table = _table(schema, name, problems)
        if table is None:
            continue
        methods = {i.method.lower() for i in table.indexes}
        if method.lower() not in methods:
            shown = ", ".join(sorted(methods)) or "none"
            problems.append(f"{name} has no {method} index (methods: {shown})")
    return _verdict(problems, f"{len(expected)} index methods present")
