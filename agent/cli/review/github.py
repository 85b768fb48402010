"""`dbarch review --format github`: GitHub Actions workflow commands, one per finding.

`::error file=F,line=L,col=C,title=T::message` lines become annotations on the pull
request's diff. Silenced findings are not annotated; they are summed in a last notice.
"""

from __future__ import annotations

from collections.abc import Iterator

from agent.cli.review.sarif import relative_path
from tools.sql.review import ReviewReport

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def github_annotations(report: ReviewReport) -> Iterator[str]:
    for error in report.errors:
        file = error.file or report.source
        yield _command("error", file, error.line, error.column, "statement-refused", error.message)
    for finding in report.findings:
        file = finding.file or report.source
        level = COMMANDS[finding.severity]
        yield _command(level, file, finding.line, None, finding.rule, finding.message)
    silenced = sum(len(s.findings) for s in report.suppressed)
    if silenced:
        rules = ", ".join(sorted({s.rule for s in report.suppressed}))
        yield f"::notice title=dbarch::{silenced} finding(s) silenced by dbarch:ignore ({rules})"


def _command(
    level: str, file: str, line: int | None, column: int | None, title: str, message: str
) -> str:
    props = [f"file={_property(relative_path(file))}", f"line={line or 1}"]
    if column:
        props.append(f"col={column}")
    props.append(f"title={_property(title)}")
    return f"::{level} {','.join(props)}::{_data(message)}"


def _data(text: str) -> str:
    """Escaping of a workflow command's message (the runner's own rules)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
