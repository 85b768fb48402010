"""What a lint rule is, what it reports, and the registry that lists every rule once.

A rule is a small function over the schema model that yields `Hit`s; the registry stamps
each hit with the rule's id, severity and fix so that rule bodies stay about detection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from tools.sql.model import Schema, Table

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(slots=True, kw_only=True)
class Finding:
    """One problem in the schema, located at a table/column and, when known, a line.

    A slotted dataclass (pydantic reports embed it as it is): a large dump's review can
    hold a finding per table, and a pydantic instance costs five times the memory.
    """

    rule: str
    severity: Severity
    table: str | None = None
    column: str | None = None
    message: str
    fix: str | None = None
    file: str | None = None
    line: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The finding's set fields, as the design package lists them."""
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class Hit:
    """What a rule body found; `severity` overrides the rule's default for this hit only."""

    table: str | None
    column: str | None
    message: str
    line: int | None = None
    file: str | None = None
    severity: Severity | None = None


Check = Callable[[Schema], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A registered rule: stable id, default severity, one-line explanation, suggested fix."""

    id: str
    severity: Severity
    summary: str
    fix: str
    check: Check

    def run(self, schema: Schema) -> list[Finding]:
        return [
            Finding(
                rule=self.id,
                severity=hit.severity or self.severity,
                table=hit.table,
                column=hit.column,
                message=hit.message,
                fix=self.fix,
                file=hit.file,
                line=hit.line,
            )
            for hit in self.check(schema)
        ]


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: Severity, summary: str, fix: str) -> Callable[[Check], Check]:
    """Register a check under a stable id; ids are part of the public JSON contract."""

    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"lint rule '{rule_id}' registered twice")
        RULES[rule_id] = Rule(rule_id, severity, summary, fix, check)
        return check

    return register


def own_tables(schema: Schema) -> Iterator[Table]:
    """Tables that carry their own design: partitions of a known parent inherit its
    columns, keys and indexes, so checking them again would report every defect twice."""
    for table in schema.tables.values():
        if table.partition_of is None or table.partition_of not in schema.tables:
            yield table


def name_tokens(name: str) -> list[str]:
    """`unit_price` -> ["unit", "price"]; the words a naming heuristic looks at."""
    return [t for t in name.lower().split("_") if t]
