"""`dbarch eval`: run eval cases through a brain, grade every package, report the pass rate."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli import exits
from tools.errors import InputError

if TYPE_CHECKING:
    from evals.results import CaseResult, EvalReport

HELP = """Score a brain on eval cases: run each case's spec through the engine and grade the package.

PATHS are case files or folders of them (default: the built-in suite in evals/cases/). A case names a spec (inline `spec:` or `spec_file:`), a mode, the inputs of the modes that start from a schema (schema_file, target_schema_file, workload_file, rows) and the checks it expects (`dbarch eval --list-checks` shows them all). An unknown check or a bad argument is reported with its file, line and column before anything runs.

Cases run concurrently up to --jobs, each with its own checkpoint home. With --brain anthropic the rules brain runs the same cases as the baseline (--no-baseline skips it).

Examples:

    dbarch eval

    dbarch eval evals/cases/saas-tasks.yaml --format json

    dbarch eval --brain anthropic --model sonnet --jobs 4 --out eval-out --min-pass 0.8

Exit codes: 0 pass rate at or above --min-pass; 1 below it; 2 bad case file or option; 3 PostgreSQL or the model API unavailable.
"""  # noqa: E501


class Brain(StrEnum):
    rules = "rules"
    anthropic = "anthropic"


class Format(StrEnum):
    text = "text"
    json = "json"
    md = "md"


def eval_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Case files or folders (default: built-in suite).")
    ] = None,
    brain: Annotated[Brain, typer.Option(help="The brain to score.")] = Brain.rules,
    model: Annotated[
        str | None, typer.Option(help="Model for the anthropic brain (alias or id).")
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, max=64, help="Cases run at the same time.")] = 1,
    output: Annotated[
        Format, typer.Option("--format", "-f", help="Report format on stdout.")
    ] = Format.text,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for report.{json,md,txt} and each case's package."),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Write into a non-empty --out, replacing an earlier package.")
    ] = False,
    min_pass: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Exit 1 when the pass rate is below this.")
    ] = 0.9,
    list_checks: Annotated[
        bool, typer.Option("--list-checks", help="Print the checks a case may expect, and exit.")
    ] = False,
    baseline: Annotated[
        bool | None,
        typer.Option(
            "--baseline/--no-baseline",
            help="Also run the rules brain as the baseline (default: on for anthropic).",
        ),
    ] = None,
) -> int:
    from agent.config import Settings
    from evals.cases import load_cases
    from evals.report import render
    from evals.runner import run_cases

    if list_checks:
        return _list_checks()
    with_baseline = brain is Brain.anthropic if baseline is None else baseline
    if with_baseline and brain is Brain.rules:
        raise InputError("--baseline compares another brain with the rules brain; drop it")
    settings = Settings()
    cases = load_cases(paths or [])
    if out is not None:
        from agent.package_folder import check_out_dir

        check_out_dir(out, force)  # before the run, not after it
    report = asyncio.run(
        run_cases(cases, brain.value, model, jobs, settings, _progress(brain.value))
    )
    if with_baseline:
        rules = asyncio.run(run_cases(cases, "rules", None, jobs, settings, _progress("rules")))
        report = report.with_baseline(rules)
    sys.stdout.write(render(report, output.value))
    if out is not None:
        folder = _write(report, out, force)
        typer.echo(f"eval report and packages written to {folder}", err=True)
    return exits.OK if report.pass_rate >= min_pass else exits.FINDINGS


def _list_checks() -> int:
    from evals.checks import CHECKS

    for name in sorted(CHECKS):
        typer.echo(f"{CHECKS[name].usage}\n      {CHECKS[name].doc}")
    return exits.OK


def _progress(brain: str) -> Callable[[CaseResult], None]:
    def show(case: CaseResult) -> None:
        failed = [c.check for c in case.checks if not c.passed]
        tail = f": {', '.join(failed)}" if failed else ""
        if case.status != "done":
            reason = case.error or case.message or case.status
            tail = f": run {case.status}: {reason[:300]}"
        mark = "pass" if case.passed else "FAIL"
        typer.echo(f"[{brain}] {mark} {case.id} ({case.seconds:.1f}s){tail}", err=True)

    return show


def _write(report: EvalReport, out: Path, force: bool) -> Path:
    """The three report renderings and, per finished case, its package folder."""
    from agent.package import package_files
    from agent.package_folder import write_package
    from agent.report import render_report
    from evals.report import render

    files = {f"report.{fmt if fmt != 'text' else 'txt'}": render(report, fmt) for fmt in Format}
    for case in report.cases:
        if case.package is not None:
            pkg_files = package_files(case.package, render_report(case.package))
            files |= {f"cases/{case.id}/{rel}": text for rel, text in pkg_files.items()}
    return write_package(files, out, force=force)


def register(app: typer.Typer) -> None:
    app.command("eval", help=HELP)(eval_command)
