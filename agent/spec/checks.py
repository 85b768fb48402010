"""Checks across a whole spec that a field-by-field model cannot make.

Unknown entity names, duplicate names, reference cycles no row could satisfy, columns named
twice, attributes that are not column names, periods that cannot be ranges (`overlap`),
and access-pattern SQL that PostgreSQL's own grammar (pglast) rejects. Each finding is a
`Problem` at a path, never an exception here, so that the loader can report all of them at
once with their positions.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Mapping

from pglast.parser import ParseError

from agent.spec.contract import Contract, Problem, SpecPath, resolve_contract
from agent.spec.model import Attribute, Requirements
from agent.spec.overlap import overlap_problems
from agent.spec.soft_delete import soft_delete_problems
from tools.sql import pgparse

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def check_spec(spec: Requirements, contract: Contract | None = None) -> list[Problem]:
    """Every cross-reference problem in `spec`, in spec order."""
    contract = contract or resolve_contract(spec)
    known = [e.name for e in spec.entities]
    problems: list[Problem] = []
    problems += _duplicate_entities(spec)
    problems += _unknown_references(spec, known)
    problems += contract.problems
    problems += _entity_details(spec, contract)
    problems += overlap_problems(spec, contract)
    problems += _required_cycles(contract)
    problems += _access_patterns(spec)
    problems += soft_delete_problems(spec)
    return problems


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown entity '{name}'{hint} (entities: {', '.join(known)})"


def _duplicate_entities(spec: Requirements) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, entity in enumerate(spec.entities):
        if entity.name in seen:
            message = f"entity '{entity.name}' is defined twice"
            problems.append(Problem(("entities", index, "name"), message))
        seen.add(entity.name)
    return problems


def _unknown_references(spec: Requirements, known: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    names = set(known)
    for index, entity in enumerate(spec.entities):
        for ref_index, ref in enumerate(entity.belongs_to):
            if ref.entity not in names:
                path = ("entities", index, "belongs_to", ref_index)
                problems.append(Problem(path, _suggest(ref.entity, known)))
        vary = entity.varying_attributes
        if isinstance(vary, str) and vary not in names:
            problems.append(
                Problem(("entities", index, "varying_attributes"), _suggest(vary, known))
            )
    for index, rel in enumerate(spec.relationships):
        for key, name in (("from", rel.from_), ("to", rel.to)):
            if name not in names:
                problems.append(Problem(("relationships", index, key), _suggest(name, known)))
        if rel.attributes and rel.kind != "many-to-many":
            message = "only many-to-many relationships have attributes (on their join table)"
            problems.append(Problem(("relationships", index, "attributes"), message, True))
    if spec.tenant and spec.tenant not in names:
        problems.append(Problem(("tenant",), _suggest(spec.tenant, known)))
    if isinstance(spec.retention, dict):
        for name in spec.retention:
            if name not in names:
                problems.append(Problem(("retention", name), _suggest(name, known), True))
    return problems


def _entity_details(spec: Requirements, contract: Contract) -> list[Problem]:
    problems: list[Problem] = []
    for index, entity in enumerate(spec.entities):
        path: SpecPath = ("entities", index)
        table = contract.for_entity(entity.name)
        columns = set(table.column_names) if table else set()
        for name, attribute in entity.attributes.items():
            if not _IDENTIFIER.match(name):
                message = f"attribute name '{name}' is not a snake_case column name"
                problems.append(Problem((*path, "attributes", name), message, True))
            problems += _default_problem(attribute, (*path, "attributes", name))
        for pii_index, name in enumerate(entity.pii):
            if name not in entity.attributes:
                message = f"'{name}' is not an attribute of '{entity.name}'"
                problems.append(Problem((*path, "pii", pii_index), message))
        for unique_index, group in enumerate(entity.unique):
            for name in group:
                if name not in columns:
                    message = f"unique key names '{name}', not a column of '{entity.name}'"
                    problems.append(Problem((*path, "unique", unique_index), message))
        problems += _time_column(entity.time_column, entity.attributes, path)
    tenants = [i for i, e in enumerate(spec.entities) if e.tenant]
    for index in tenants[1:]:
        message = "only one entity can be the tenant"
        problems.append(Problem(("entities", index, "tenant"), message))
    return problems


_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_NUMERIC_KINDS = ("int", "bigint", "smallint", "float", "money", "numeric")


def _default_problem(attribute: Attribute, path: SpecPath) -> list[Problem]:
    """Defaults PostgreSQL would reject: an enum label not in the list, a non-number."""
    default = attribute.default
    if default is None or default.endswith(")") or "::" in default:
        return []  # an SQL expression: PostgreSQL judges it when the DDL is applied
    literal = default.strip().strip("'")
    kind = attribute.kind
    if kind == "enum" and literal not in attribute.parsed.values:
        allowed = ", ".join(attribute.parsed.values)
        return [Problem(path, f"default '{literal}' is not one of the enum's values ({allowed})")]
    if kind in _NUMERIC_KINDS and not attribute.parsed.is_array and not _NUMBER.match(literal):
        return [Problem(path, f"default '{literal}' is not a number")]
    if kind == "bool" and literal.lower() not in _BOOLEANS:
        return [Problem(path, f"default '{literal}' is not a boolean (true or false)")]
    return []


_BOOLEANS = ("true", "false", "yes", "no", "on", "off", "t", "f", "y", "n", "1", "0")


def _time_column(
    name: str | None, attributes: Mapping[str, Attribute], path: SpecPath
) -> list[Problem]:
    if name is None or name in ("created_at", "updated_at"):
        return []
    attribute = attributes.get(name)
    kind = attribute.kind if attribute else None
    if kind not in ("timestamp", "date"):
        message = f"time_column '{name}' must be a timestamp or date attribute of this entity"
        return [Problem((*path, "time_column"), message)]
    return []


def _required_cycles(contract: Contract) -> list[Problem]:
    """A cycle of required references: no row in it could ever be inserted first."""
    edges: dict[str, list[tuple[str, SpecPath]]] = {}
    for table in contract.tables.values():
        if table.kind != "entity":
            continue
        for column in table.columns:
            required = column.role == "reference" and not column.optional
            if required and column.ref_entity and column.ref_entity != table.owner:
                edges.setdefault(table.owner, []).append((column.ref_entity, column.path))
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()
    for start in sorted(edges):
        for cycle, path in _cycles_from(start, edges):
            key = frozenset(cycle)
            if key not in reported:
                reported.add(key)
                chain = " -> ".join([*cycle, cycle[0]])
                message = (
                    f"reference cycle {chain}: every reference in it is required, so no row "
                    "could be inserted first; make one of them optional"
                )
                problems.append(Problem(path, message))
    return problems


def _cycles_from(
    start: str, edges: dict[str, list[tuple[str, SpecPath]]]
) -> list[tuple[list[str], SpecPath]]:
    found: list[tuple[list[str], SpecPath]] = []
    stack: list[tuple[str, list[str], SpecPath]] = [(start, [start], ())]
    while stack:
        node, trail, first = stack.pop()
        for target, path in edges.get(node, []):
            step_path = first or path
            if target == start:
                found.append((trail, step_path))
            elif target not in trail and target > start:
                stack.append((target, [*trail, target], step_path))
    return found


def _access_patterns(spec: Requirements) -> list[Problem]:
    problems: list[Problem] = []
    counts = Counter(p.name for p in spec.access_patterns)
    for index, pattern in enumerate(spec.access_patterns):
        path: SpecPath = ("access_patterns", index)
        if counts[pattern.name] > 1:
            message = f"access pattern name '{pattern.name}' is used more than once"
            problems.append(Problem((*path, "name"), message))
        problems += _sql_problems(pattern.name, pattern.sql, (*path, "sql"))
    return problems


def _sql_problems(name: str, sql: str, path: SpecPath) -> list[Problem]:
    try:
        statements = pgparse.parse_sql(sql)
    except ParseError as exc:
        offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
        message = f"access pattern '{name}': SQL does not parse: {exc.args[0]}"
        return [Problem(path, message, offset=offset)]
    if len(statements) != 1:
        message = (
            f"access pattern '{name}' must be exactly one SQL statement, not {len(statements)}"
        )
        return [Problem(path, message)]
    return []
