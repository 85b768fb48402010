"""Lint a schema model: run every registered design rule and order the findings."""

from __future__ import annotations

from collections.abc import Iterable

from tools.sql.model import Schema
from tools.sql.rules import RULES, Finding, Rule
from tools.sql.rules.base import SEVERITY_ORDER

RULE_IDS: tuple[str, ...] = (
    "missing-primary-key",
    "fk-without-index",
    "missing-foreign-key",
    "eav-table",
    "stringly-typed-status",
    "timestamp-without-time-zone",
    "float-for-money",
    "redundant-index",
    "low-selectivity-index",
    "naming-convention",
)


def rules() -> list[Rule]:
    """The design rules in their documented order (DESIGN.md lists the ids)."""
    return [RULES[rule_id] for rule_id in RULE_IDS]


def lint_schema(schema: Schema, only: Iterable[str] | None = None) -> list[Finding]:
    """Every finding of the selected rules (default: all), most severe first, then by place."""
    selected = rules() if only is None else [RULES[rule_id] for rule_id in only]
    findings = [finding for rule in selected for finding in rule.run(schema)]
    return sort_findings(findings)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (
            SEVERITY_ORDER[f.severity],
            f.file or "",
            f.line or 0,
            f.rule,
            f.table or "",
        ),
    )
