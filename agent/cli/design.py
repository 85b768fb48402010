"""`dbarch design`: requirements in, a checked design package folder out."""

from __future__ import annotations

import asyncio
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.brains.factory import make_brain
from agent.cli import exits
from agent.cli.progress import ProgressPrinter
from agent.cli.requests import answers_from, build_request
from agent.config import Settings
from agent.context import RunContext
from agent.engine import RunOutcome, run_design, run_store
from agent.package import DesignPackage
from agent.package_folder import check_out_dir, check_parent, write_package
from agent.report import mode_summary, package_files, render_report
from agent.state import DesignRequest
from tools.emit import emit as emit_files
from tools.emit import parse_kinds
from tools.errors import GateFailed, InputError
from tools.sql.pg_features import NEWEST, OLDEST

HELP = """Design a data layer, or change one: requirements -> technology -> schema -> indexes -> scaling -> ADRs.

SPEC is a requirements file (YAML or JSON, see `dbarch spec schema` and examples/), or free text in quotes when a model is configured (--brain anthropic). Each stage's output is checked by a gate before the next starts: the DDL must apply to a real PostgreSQL, lint must have no errors, every access pattern must plan and use an index on large tables at the stated volumes, every index must lower some pattern's cost. A failed gate sends the stage back (bounded), then the run fails naming the gate.

Modes (--mode), after the architect's commands:

  design    all stages for a SPEC (the default).

  optimize  an existing schema (--schema FILE|FOLDER, or a .sql file as SPEC) and its workload (--workload FILE, or a SPEC's access_patterns) -> lint and plan findings, query rewrites (rewrites.sql), indexes proven on sample data (indexes.sql). A SPEC is optional.

  migrate   the current schema (--schema) and a target (a SPEC, or --target-schema FILE|FOLDER) -> ordered online steps with a rollback each (migrations/): expand, backfill in batches, contract. Replayed on scratch databases up and down before they are written.

  scale     an existing schema (--schema) and its volumes (--rows table=N, or a SPEC's entities) -> sizes at 12 and 36 months, partitioning, replicas, pooling, caching, sharding, backup. A SPEC is optional.

  compare   a technology comparison for a SPEC: the scored matrix, the alternatives and why not, an ADR.

The package is written to --out (default ./<name>-<mode>; with --format json only when --out is given, the package then goes to stdout), checked before the run: design.json, report.md, adr/, and per mode schema.sql, indexes.sql, rewrites.sql, erd.md, migrations/; with --emit also models.py, schema.prisma, schema.dbml, schema.mysql.sql, schema.sqlite.sql; all listed in .dbarch-package.json. A failed run leaves no folder behind. --force replaces only files an earlier package wrote (and you have not edited); nothing else in the folder is touched.

Runs are checkpointed (SQLite under DBARCH_HOME, default ~/.dbarch): a run that was killed, or that stopped for questions, continues with --resume THREAD_ID.

Examples:

    dbarch design examples/task-tracker.yaml --out design-out

    dbarch design examples/clinic-booking.yaml --format json > design.json

    dbarch design examples/ledger.yaml --pg-version 14 --out ledger-pg14

    dbarch design examples/task-tracker.yaml --emit sqlalchemy,prisma,dbml,sqlite --out design-out

    dbarch design evals/cases/inputs/legacy-shop.sql --mode optimize --workload evals/cases/inputs/legacy-shop-queries.sql --rows orders=2M

    dbarch design examples/task-tracker.yaml --mode migrate --schema tests/fixtures/modes/task-tracker-v1.sql

    dbarch design --mode scale --schema evals/cases/inputs/legacy-shop.sql --rows orders=500M --rows customers=50k

    dbarch design --resume 3f2a... --answer consistency=strong

Exit codes: 0 package written; 1 a gate failed after its retries; 2 bad input (file, line, column, key or missing option named); 3 PostgreSQL or the model API unavailable; 4 questions need answers (resume with --answer).
"""  # noqa: E501


class Brain(StrEnum):
    rules = "rules"
    anthropic = "anthropic"


class Mode(StrEnum):
    design = "design"
    optimize = "optimize"
    migrate = "migrate"
    scale = "scale"
    compare = "compare"


class Format(StrEnum):
    text = "text"
    json = "json"


def design_command(
    spec: Annotated[
        str | None,
        typer.Argument(
            help="Spec file, free text with a model, or (optimize/scale) the schema .sql file."
        ),
    ] = None,
    brain: Annotated[
        Brain | None, typer.Option(help="rules (default, no key) or anthropic.")
    ] = None,
    mode: Annotated[
        Mode, typer.Option(help="What to produce; see the personas' commands.")
    ] = Mode.design,
    out: Annotated[
        Path | None, typer.Option(help="Package folder (default ./<name>-design).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Write into a non-empty --out, replacing an earlier package.")
    ] = False,
    schema: Annotated[
        Path | None,
        typer.Option(
            help="Current schema (.sql file or migrations folder) for optimize/migrate/scale."
        ),
    ] = None,
    target_schema: Annotated[
        Path | None,
        typer.Option(help="Target schema (.sql file or folder) for migrate, instead of a SPEC."),
    ] = None,
    workload: Annotated[
        Path | None,
        typer.Option(help="Queries file for optimize (';'-separated, '-- name:' comments)."),
    ] = None,
    rows: Annotated[
        list[str] | None,
        typer.Option(help="Rows per table, TABLE=COUNT: orders=2M, users=50k (repeatable)."),
    ] = None,
    resume: Annotated[
        str | None, typer.Option(help="Continue the run with this thread id.")
    ] = None,
    answer: Annotated[
        list[str] | None,
        typer.Option(help="Answer to a question, key.path=value (repeatable, with --resume)."),
    ] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Never ask questions; state assumptions instead.")
    ] = False,
    pg_version: Annotated[
        int | None,
        typer.Option(
            min=OLDEST,
            max=NEWEST,
            help="PostgreSQL major version to design for (13-18): the DDL uses nothing it "
            "lacks (uuidv7() from 18, NULLS NOT DISTINCT from 15...). Default: the spec's "
            "pg_version, else the server's (the embedded one is 18).",
            show_default=False,
        ),
    ] = None,
    emit: Annotated[
        str | None,
        typer.Option(
            help="Also write the design for other tools, comma-separated: sqlalchemy "
            "(models.py), prisma (schema.prisma), dbml (schema.dbml), mysql, sqlite "
            "(schema.<dialect>.sql, transpiled by sqlglot; MySQL not validated).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="text summary, or the package as JSON on stdout (a folder only with --out).",
        ),
    ] = Format.text,
) -> int:
    kinds = parse_kinds(emit) if emit else []
    if kinds and output is Format.json and out is None:
        raise InputError("--emit writes files into the package folder: give --out with -f json")
    settings = Settings()
    interactive = sys.stdin.isatty() and sys.stderr.isatty() and not no_input
    printer = ProgressPrinter(sys.stderr)
    if resume is None:
        if spec is None and schema is None:
            raise InputError(
                "give a SPEC file (or free text), --schema FILE, or --resume THREAD_ID"
            )
        request = build_request(
            spec, mode.value, schema, workload, rows or [], interactive, target_schema, pg_version
        )
        brain_name = (brain.value if brain else None) or _default_brain(settings)
    else:
        request = None
        brain_name = (brain.value if brain else None) or _brain_of(settings, resume)
    if output is not Format.json or out is not None:  # JSON without --out writes no folder
        _check_out(out, force, request, mode.value)
    ctx = RunContext(brain=make_brain(brain_name, settings), settings=settings, sink=printer)
    outcome = asyncio.run(
        run_design(request, ctx, thread_id=resume, answers=answers_from(answer or []))
    )
    while outcome.status == "interrupted" and interactive:
        outcome = asyncio.run(
            run_design(None, ctx, thread_id=outcome.thread_id, answers=_ask(outcome))
        )
    return _finish(outcome, out, force, output, kinds)


def _check_out(out: Path | None, force: bool, request: DesignRequest | None, mode: str) -> None:
    """Where the package will go, checked before the run rather than after it."""
    if out is not None:
        check_out_dir(out, force)
    elif request is not None and request.spec is not None:
        check_out_dir(_default_out(request.spec.name, mode), force)
    else:
        check_parent(Path.cwd())  # the folder is named after a spec the run will produce


def _default_out(name: str, mode: str) -> Path:
    return Path(f"{name}-{mode}")


def _brain_of(settings: Settings, thread_id: str) -> str:
    store = run_store(settings)
    try:
        return store.get(thread_id).brain
    finally:
        store.close()


def _default_brain(settings: Settings) -> str:
    return "rules" if settings.brain == "rules" or not settings.has_model else settings.brain


def _ask(outcome: RunOutcome) -> dict[str, Any]:
    typer.echo(
        f"\n{len(outcome.questions)} question(s) before the design can go on "
        "(Enter keeps the stated assumption):",
        err=True,
    )
    answers: dict[str, Any] = {}
    for question in outcome.questions:
        default = question.get("assumed") or ""
        reply = typer.prompt(
            f"- {question['message']}\n  [{question['path']}]",
            default=default,
            show_default=bool(default),
            err=True,
        )
        if reply and reply != default:
            answers[question["path"]] = reply
    return answers


def _finish(
    outcome: RunOutcome, out: Path | None, force: bool, output: Format, emit: list[str]
) -> int:
    if outcome.status == "interrupted":
        typer.echo(f"dbarch: the run stopped for questions; thread {outcome.thread_id}", err=True)
        for q in outcome.questions:
            typer.echo(f"  {q['path']}: {q['message']}", err=True)
        typer.echo(
            f"resume: dbarch design --resume {outcome.thread_id} --answer PATH=VALUE", err=True
        )
        return exits.NEEDS_INPUT
    if outcome.status == "failed" or outcome.package is None:
        raise GateFailed("design", [outcome.message or "the run failed"])
    pkg = outcome.package
    if output is Format.json:
        # JSON is for a pipe: stdout is the package, and a folder only when one was asked for.
        if out is not None:
            write_package(_files(pkg, emit), out, force=force)
        sys.stdout.write(pkg.model_dump_json(indent=2, by_alias=True) + "\n")
        return exits.OK
    folder = write_package(_files(pkg, emit), out or _default_out(pkg.name, pkg.mode), force=force)
    _summary(outcome, folder)
    return exits.OK


def _files(pkg: DesignPackage, emit: list[str]) -> dict[str, str]:
    """The package's files, and the --emit outputs made from its own DDL."""
    files = package_files(pkg, render_report(pkg))
    if emit:
        if pkg.schema_design is None:
            raise InputError(f"--emit needs a schema; mode {pkg.mode} designs none")
        ddl = pkg.schema_design.ddl + "\n" + (pkg.indexes.ddl if pkg.indexes else "")
        files.update(emit_files(emit, ddl, pkg.name))
    return files


def _summary(outcome: RunOutcome, folder: Path) -> None:
    pkg = outcome.package
    assert pkg is not None
    passed = sum(1 for c in pkg.checks if c.passed)
    typer.echo(
        f"{pkg.name} ({pkg.mode}): {mode_summary(pkg)}, {len(pkg.adrs)} ADRs; "
        f"{passed}/{len(pkg.checks)} gate checks passed"
    )
    typer.echo(f"package written to {folder} (thread {outcome.thread_id})")


def register(app: typer.Typer) -> None:
    app.command("design", help=HELP)(design_command)
