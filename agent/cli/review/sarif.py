"""`dbarch review --format sarif`: the review as SARIF 2.1.0, for code-scanning dashboards.

Every finding is a result on its rule (design rules, `squawk:<rule>`, the suppression
rules, and `statement-refused` for DDL PostgreSQL rejected). Findings silenced with
`-- dbarch:ignore` are results too, carrying an in-source suppression with the reason, as
SARIF intends: a viewer shows them as suppressed rather than not at all.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from agent.cli.review.text import rules_catalogue
from tools.sql.review import ReviewReport
from tools.sql.rules import Finding
from tools.sql.validate import StatementError

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/db-architect/db-architect"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
REFUSED = {
    "id": "statement-refused",
    "severity": "error",
    "summary": "PostgreSQL refused the statement when the schema was applied to a scratch database",
    "fix": "fix the statement (PostgreSQL's message says how); later failures may follow from it",
}


def to_sarif(reports: Sequence[ReviewReport], version: str) -> dict[str, Any]:
    """One run of the tool over every reviewed schema."""
    rules = _rules(reports)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [result for report in reports for result in _results(report, index)]
    driver = {
        "name": "dbarch",
        "version": version,
        "informationUri": INFORMATION_URI,
        "rules": rules,
    }
    run = {
        "tool": {"driver": driver},
        "results": results,
        "invocations": [{"executionSuccessful": True}],
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _results(report: ReviewReport, index: dict[str, int]) -> list[dict[str, Any]]:
    results = [_error_result(e, report, index) for e in report.errors]
    results += [_result(f, report, index) for f in report.findings]
    for suppressed in report.suppressed:
        silence = {"kind": "inSource", "justification": suppressed.reason}
        results += [
            _result(f, report, index) | {"suppressions": [silence]} for f in suppressed.findings
        ]
    return results


def _rules(reports: Sequence[ReviewReport]) -> list[dict[str, Any]]:
    known = [*rules_catalogue()["rules"], REFUSED]
    listed = {rule["id"] for rule in known}
    fired = [
        f for r in reports for f in [*r.findings, *(f for s in r.suppressed for f in s.findings)]
    ]
    for finding in fired:  # squawk's rules are its own: described by their first finding
        if finding.rule not in listed:
            listed.add(finding.rule)
            fix = finding.fix or "see squawk's documentation of the rule"
            known.append({"id": finding.rule, "severity": finding.severity,
                          "summary": finding.message, "fix": fix})  # fmt: skip
    return [_descriptor(rule) for rule in known]


def _descriptor(rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": rule["id"],
        "shortDescription": {"text": rule["summary"]},
        "help": {"text": rule["fix"]},
        "defaultConfiguration": {"level": LEVELS[rule["severity"]]},
    }


def _result(finding: Finding, report: ReviewReport, index: dict[str, int]) -> dict[str, Any]:
    where = ".".join(part for part in (finding.table, finding.column) if part)
    text = (
        f"{finding.message} ({where})"
        if where and where not in finding.message
        else finding.message
    )
    return {
        "ruleId": finding.rule,
        "ruleIndex": index[finding.rule],
        "level": LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [_location(finding.file or report.source, finding.line, None)],
    }


def _error_result(
    error: StatementError, report: ReviewReport, index: dict[str, int]
) -> dict[str, Any]:
    text = error.message + (f" (follows from line {error.caused_by})" if error.caused_by else "")
    return {
        "ruleId": REFUSED["id"],
        "ruleIndex": index[REFUSED["id"]],
        "level": "error",
        "message": {"text": text},
        "locations": [_location(error.file or report.source, error.line, error.column)],
    }


def _location(file: str, line: int | None, column: int | None) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": line or 1}
    if column:
        region["startColumn"] = column
    physical = {"artifactLocation": {"uri": artifact_uri(file)}, "region": region}
    return {"physicalLocation": physical}


def artifact_uri(file: str) -> str:
    return quote(relative_path(file))


def relative_path(file: str) -> str:
    """A file relative to the working directory (a repository's root in CI, which is how
    code scanning and annotations match results to files), with forward slashes."""
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            return path.as_posix()
    return os.path.normpath(path).replace(os.sep, "/")
