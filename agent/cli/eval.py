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

    dbarch eval --out eval-out --compare evals/baseline.json --floor evals/floor.json

--out writes results.json, report.md (for a pull request), report.txt and a self-contained report.html (pass table by case and check, each case's ERD drawn with the Mermaid library inlined from its npm package, failed checks as expected vs found). --compare reads an earlier results.json and lists per case and check what improved and what regressed.

Exit codes: 0 pass rate at or above --min-pass (or the --floor file's) and no regression against --compare; 1 below it, or a regression; 2 bad case file or option; 3 PostgreSQL or the model API unavailable.
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
        typer.Option(
            help="Folder for results.json, report.md, report.html (self-contained, ERDs "
            "drawn) and each case's package."
        ),
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
    compare: Annotated[
        Path | None,
        typer.Option(
            help="An earlier run's results.json: print what improved and regressed per case "
            "and check; exit 1 on any regression.",
        ),
    ] = None,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch",
            help="With --brain anthropic: run every case at once and send their model calls "
            "through the Message Batches API (half price), one batch per wave of stage calls; "
            "rerunning the same command resumes a run whose process died.",
        ),
    ] = False,
    rubric: Annotated[
        bool,
        typer.Option(
            "--rubric",
            help="Also have a model score each report section against evals/rubric.yaml "
            "(only when a model is configured; reported apart from the pass rate).",
        ),
    ] = False,
    floor: Annotated[
        Path | None,
        typer.Option(
            help="A floor file ({min_pass_rate, ...}; the repo's is evals/floor.json) whose "
            "pass rate replaces --min-pass.",
        ),
    ] = None,
) -> int:
    from agent.config import Settings
    from evals.cases import load_cases
    from evals.compare import compare_with, load_results
    from evals.floor import read_floor
    from evals.report import render
    from evals.runner import run_cases

    if list_checks:
        return _list_checks()
    with_baseline = brain is Brain.anthropic if baseline is None else baseline
    if with_baseline and brain is Brain.rules:
        raise InputError("--baseline compares another brain with the rules brain; drop it")
    if compare is not None:
        load_results(compare)  # a bad baseline is bad input: fail before any run
    threshold = read_floor(floor).min_pass_rate if floor is not None else min_pass
    settings = Settings()
    if rubric and not settings.has_model:
        typer.echo("rubric grader skipped: no model configured (ANTHROPIC_API_KEY or "
                   "ANTHROPIC_BASE_URL)", err=True)  # fmt: skip
        rubric = False
    cases = load_cases(paths or [])
    if out is not None:
        from agent.package_folder import check_out_dir

        check_out_dir(out, force)  # before the run, not after it
    report = asyncio.run(
        run_cases(cases, brain.value, model, jobs, settings, _progress(brain.value), batch, rubric)
    )
    if with_baseline:
        rules = asyncio.run(run_cases(cases, "rules", None, jobs, settings, _progress("rules")))
        report = report.with_baseline(rules)
    if compare is not None:
        report = report.model_copy(update={"comparison": compare_with(report, compare)})
    sys.stdout.write(render(report, output.value))
    if out is not None:
        folder = _write(report, out, force)
        typer.echo(f"eval report and packages written to {folder}", err=True)
    return _verdict(report, threshold)


def _verdict(report: EvalReport, threshold: float) -> int:
    """1 below the pass-rate threshold or on a regression against --compare's baseline."""
    failed = report.pass_rate < threshold
    if failed:
        typer.echo(f"pass rate {report.pass_rate:.1%} is below {threshold:.1%}", err=True)
    if report.comparison is not None and report.comparison.regressed:
        regressed = report.comparison.of("regressed")
        typer.echo(f"{len(regressed)} regression(s) against {report.comparison.baseline}", err=True)
        failed = True
    return exits.FINDINGS if failed else exits.OK


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
    """results.json, report.md/.txt/.html and, per finished case, its package folder."""
    from evals.report import write_outputs

    return write_outputs(report, out, force)


def register(app: typer.Typer) -> None:
    app.command("eval", help=HELP)(eval_command)
