"""Terminal rendering of a review and of the rule catalogue (rich tables, plain when piped)."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tools.sql.parse import SUPPRESSION_RULES
from tools.sql.pg_features import RULE_FIX, RULE_SUMMARY
from tools.sql.pg_features import RULE_ID as VERSION_RULE
from tools.sql.review import EXCLUDED, INFO_RULES, ReviewReport, rules
from tools.sql.rules import Finding

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
SKIPPED_SHOWN = 5


def console_for(stream: TextIO) -> Console:
    """Colours only on a terminal and never with NO_COLOR; wide enough for file:line paths."""
    no_color = bool(os.environ.get("NO_COLOR")) or not stream.isatty()
    width = None if stream.isatty() else 120
    return Console(file=stream, no_color=no_color, highlight=False, width=width)


def print_report(console: Console, report: ReviewReport, show_all: bool = False) -> None:
    c = report.counts
    console.print(
        Text.assemble(
            ("Review of ", ""),
            (report.source, "bold"),
            f": {c.tables} tables, {c.statements} statements",
            f", PostgreSQL {report.server_version // 10000}" if report.server_version else "",
        )
    )
    if report.valid:
        console.print(Text("DDL applied cleanly to a scratch database.", style="green"))
    else:
        console.print(Text(f"DDL failed: {c.errors} statement(s) refused.", style="bold red"))
        console.print(_errors_table(report))
    shown = [f for f in report.findings if show_all or f.severity != "info"]
    if shown:
        console.print(_findings_table(shown, report.source))
        _print_fixes(console, shown)
    hidden = Counter(f.rule for f in report.findings if f not in shown)
    if hidden:
        summary = ", ".join(f"{rule} x{n}" for rule, n in hidden.most_common())
        console.print(Text(f"info (use --all to list): {summary}", style="cyan"))
    _print_suppressed(console, report)
    _print_skipped(console, report)
    console.print(_summary(report))


def _where(file: str | None, source: str, line: int | None, column: int | None = None) -> str:
    """line:column, prefixed by the file only when it is not the one being reviewed."""
    place = ":".join(str(n) for n in (line, column) if n is not None)
    if file is None or file == source:
        return place
    return f"{os.path.basename(file)}:{place}"


def _errors_table(report: ReviewReport) -> Table:
    table = Table(title="Statements refused")
    table.add_column("Line", no_wrap=True)
    table.add_column("PostgreSQL said", overflow="fold")
    table.add_column("Note", overflow="fold")
    for error in report.errors:
        note = []
        if error.missing_extension:
            note.append(f"needs extension {error.missing_extension}")
        if error.caused_by is not None:
            note.append(f"follows from line {error.caused_by}")
        where = _where(error.file, report.source, error.line, error.column)
        table.add_row(where, error.message, "; ".join(note))
    return table


def _findings_table(findings: list[Finding], source: str) -> Table:
    table = Table(title="Findings")
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule", overflow="fold")
    table.add_column("Where", overflow="fold")
    table.add_column("Line", no_wrap=True)
    table.add_column("Finding", overflow="fold")
    for f in findings:
        where = ".".join(part for part in (f.table, f.column) if part) or "-"
        table.add_row(
            Text(f.severity, style=_STYLE[f.severity]),
            f.rule,
            where,
            _where(f.file, source, f.line),
            f.message,
        )
    return table


def _print_fixes(console: Console, findings: list[Finding]) -> None:
    """Each fired rule's suggested fix once, rather than on every row."""
    fixes = {f.rule: f.fix for f in findings if f.fix}
    if not fixes:
        return
    console.print("How to fix:")
    for rule_id, fix in fixes.items():
        console.print(Text.assemble("  ", (rule_id, "bold"), f": {fix}"))


def _print_suppressed(console: Console, report: ReviewReport) -> None:
    """Every silenced finding stays visible: rule, where the comment is, and its reason."""
    if not report.suppressed:
        return
    silenced = sum(len(s.findings) for s in report.suppressed)
    console.print(f"Suppressed {silenced} finding(s) with dbarch:ignore:")
    for s in report.suppressed:
        where = _where(s.file, report.source, s.line)
        console.print(f"  line {where}: {s.rule} x{len(s.findings)}: {s.reason}")


def _print_skipped(console: Console, report: ReviewReport) -> None:
    if not report.skipped:
        return
    console.print(f"Skipped {len(report.skipped)} statement(s) or commands, not applied:")
    for s in report.skipped[:SKIPPED_SHOWN]:
        where = _where(s.file, report.source, s.line)
        console.print(f"  line {where}: {s.text[:60]} ({s.reason})")
    if len(report.skipped) > SKIPPED_SHOWN:
        console.print(f"  ... and {len(report.skipped) - SKIPPED_SHOWN} more (see --format json)")


def _summary(report: ReviewReport) -> Text:
    c = report.counts
    verdict = ("FAILED", "bold red") if report.failed else ("OK", "bold green")
    silenced = sum(len(s.findings) for s in report.suppressed)
    return Text.assemble(
        verdict,
        f": {c.error} error(s), {c.warning} warning(s), {c.info} info",
        f", {silenced} suppressed" if silenced else "",
        f"; {c.errors} refused statement(s)" if c.errors else "",
    )


def rules_catalogue() -> dict[str, Any]:
    """The rules as data, for `--rules --format json` and for people writing tools."""
    return {
        "rules": [
            {"id": r.id, "severity": r.severity, "summary": r.summary, "fix": r.fix}
            for r in rules()
        ]
        + [
            {"id": rule_id, "severity": severity, "summary": summary, "fix": fix}
            for rule_id, (severity, summary, fix) in SUPPRESSION_RULES.items()
        ]
        + [{"id": VERSION_RULE, "severity": "error", "summary": RULE_SUMMARY, "fix": RULE_FIX}],
        "squawk": {
            "prefix": "squawk:",
            "severity": "warning (info for the rules listed in info_rules); never error",
            "why": "squawk checks online-migration safety; a schema review creates tables "
            "from nothing, so no squawk rule makes a fresh schema wrong",
            "run_with": ["--assume-in-transaction", "--reporter json"],
            "info_rules": sorted(INFO_RULES),
            "excluded": EXCLUDED,
        },
    }


def print_rules(console: Console) -> None:
    table = Table("Rule", "Severity", "Why it matters", "Fix", title="Design rules")
    for r in rules_catalogue()["rules"]:
        severity = Text(r["severity"], style=_STYLE[r["severity"]])
        table.add_row(r["id"], severity, r["summary"], r["fix"])
    console.print(table)
    catalogue = rules_catalogue()["squawk"]
    console.print(
        "squawk's rules come through as squawk:<rule>, as warnings (info for "
        f"{', '.join(catalogue['info_rules'])}), never as errors: {catalogue['why']}. "
        "It runs with --assume-in-transaction, so locks on tables the same file creates "
        "are not reported. Excluded:"
    )
    for rule_id, reason in EXCLUDED.items():
        console.print(f"  {rule_id}: {reason}")
