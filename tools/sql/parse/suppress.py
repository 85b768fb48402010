"""Per-statement suppressions: `-- dbarch:ignore <rule> <reason>` in the SQL itself.

A comment before a statement (or inside it) silences one rule's findings on that
statement. The reason is required: a suppression without one is itself an error finding
and silences nothing, and one that silenced nothing is a warning, so suppressions cannot
rot unseen. What was silenced is listed in every output, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Protocol

from pglast.parser import scan
from pydantic import BaseModel, ConfigDict

from tools.sql.model import Suppression
from tools.sql.rules.base import Finding

DIRECTIVE = "dbarch:ignore"
_PARSE = re.compile(
    r"dbarch:ignore(?:\s+(?P<rule>[A-Za-z0-9_:\-]+))?(?:\s+(?P<reason>.*?))?\s*(?:\*/)?\s*$",
    re.DOTALL,
)
_COMMENTS = {"SQL_COMMENT", "C_COMMENT"}


class LineMap(Protocol):
    """What `suppressions` needs of a file's positions (tools.sql.parse.source.Positions)."""

    def line_of_byte(self, offset: int) -> int: ...


# Rules about suppressions themselves; listed by `dbarch review --rules` with the others.
SUPPRESSION_RULES: dict[str, tuple[str, str, str]] = {
    "suppression-without-reason": (
        "error",
        "a silenced finding needs the reason a reviewer can check",
        "write it after the rule: -- dbarch:ignore <rule> <why this is fine here>",
    ),
    "unused-suppression": (
        "warning",
        "a suppression that silences nothing hides a typo or a fixed problem",
        "remove the comment, or name the rule the statement really breaks",
    ),
}


class Suppressed(BaseModel):
    """A suppression that applied, with the findings it silenced."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    reason: str
    file: str | None = None
    line: int
    findings: list[Finding]


def suppressions(
    text: str, start: int, span: tuple[int, int], file: str | None, positions: LineMap
) -> Iterator[Suppression]:
    """The directives in one statement's text (leading comments included).

    `start` is the text's byte offset in the file; `span` the statement's first and last line.
    """
    for token in scan(text):
        if token.name not in _COMMENTS:
            continue
        comment = text[token.start : token.end + 1]
        match = _PARSE.search(comment) if DIRECTIVE in comment else None
        if match is None:
            continue
        offset = start + len(text[: token.start].encode("utf-8"))
        reason = (match["reason"] or "").strip() or None
        yield Suppression(
            rule=match["rule"],
            reason=reason,
            file=file,
            line=positions.line_of_byte(offset),
            first_line=span[0],
            last_line=span[1],
        )


def apply_suppressions(
    findings: Sequence[Finding], rules: Sequence[Suppression]
) -> tuple[list[Finding], list[Suppressed]]:
    """(findings left, with findings about the suppressions; what each suppression silenced)."""
    kept: list[Finding] = []
    silenced: dict[int, list[Finding]] = {}
    valid = [(i, s) for i, s in enumerate(rules) if s.rule and s.reason]
    for finding in findings:
        match = next((i for i, s in valid if _covers(s, finding)), None)
        if match is None:
            kept.append(finding)
        else:
            silenced.setdefault(match, []).append(finding)
    kept += [_about(s) for i, s in enumerate(rules) if _faulty(s, i in silenced)]
    done = [
        Suppressed(rule=s.rule or "", reason=s.reason or "", file=s.file, line=s.line,
                   findings=silenced[i])
        for i, s in enumerate(rules) if i in silenced
    ]  # fmt: skip
    return kept, done


def _covers(suppression: Suppression, finding: Finding) -> bool:
    return (
        finding.rule == suppression.rule
        and finding.file == suppression.file
        and finding.line is not None
        and suppression.first_line <= finding.line <= suppression.last_line
    )


def _faulty(suppression: Suppression, used: bool) -> bool:
    return not (suppression.rule and suppression.reason) or not used


def _about(suppression: Suppression) -> Finding:
    if not (suppression.rule and suppression.reason):
        rule_id = "suppression-without-reason"
        named = f"'{suppression.rule}'" if suppression.rule else "no rule"
        message = f"dbarch:ignore names {named} but gives no reason, so it silences nothing"
    else:
        rule_id = "unused-suppression"
        message = (
            f"dbarch:ignore {suppression.rule} silences nothing: the statement on lines "
            f"{suppression.first_line}-{suppression.last_line} has no such finding"
        )
    severity, _, fix = SUPPRESSION_RULES[rule_id]
    return Finding(
        rule=rule_id,
        severity="error" if severity == "error" else "warning",
        message=message,
        fix=fix,
        file=suppression.file,
        line=suppression.line,
    )
