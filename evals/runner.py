"""Run eval cases through the engine, concurrently, and grade each result.

The runner calls the same `run_design` as every other door. Each case gets its own
`Settings.home` (checkpoints and the run registry are SQLite files there), so concurrent
cases never share a thread store. A case whose run fails a gate, stops for questions or
crashes is a failed case with the reason in its checks; the other cases still run.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from agent.brains.factory import make_brain
from agent.config import Settings
from agent.context import RunContext
from agent.engine import RunOutcome, run_design
from agent.llm.messages import ChatModel
from evals.batch.collector import BatchCollector
from evals.batch.run import batch_run
from evals.batch.run import summary as batch_summary
from evals.cases import EvalCase, load_cases
from evals.checks import grade
from evals.results import CaseResult, CheckResult, EvalReport, RubricScore
from evals.rubric import rubric_for
from tools.errors import DatabaseError, InputError
from tools.sql.server import PgServer, resolve_server, server_version

Progress = Callable[[CaseResult], None]
_ROOT = Path(__file__).resolve().parents[1]  # the project, to point crashes at our own code

__all__ = ["CaseResult", "EvalReport", "Progress", "run_cases", "run_evals"]


async def run_evals(
    paths: Sequence[Path],
    brain: str,
    model: str | None = None,
    jobs: int = 1,
    settings: Settings | None = None,
    on_progress: Progress | None = None,
) -> EvalReport:
    """Load the cases under `paths` (default: the built-in suite) and run them with `brain`."""
    cases = load_cases(paths)
    return await run_cases(cases, brain, model, jobs, settings, on_progress)


async def run_cases(
    cases: Sequence[EvalCase],
    brain: str,
    model: str | None = None,
    jobs: int = 1,
    settings: Settings | None = None,
    on_progress: Progress | None = None,
    batch: bool = False,
    rubric: bool = False,
) -> EvalReport:
    """Run loaded cases, at most `jobs` at a time; the report keeps the cases' order.

    With `batch` (anthropic brain only) every case runs at once and their model calls go
    through the Message Batches API in waves (`evals.batch`). With `rubric` (a model must
    be configured) a model also scores each report, apart from the pass rate."""
    base = settings or Settings()
    if model:
        base = base.model_copy(update={"model": model})
    make_brain(brain, base)  # a brain that cannot be built is bad input: fail before any run
    if rubric and not base.has_model:
        raise InputError(
            "the rubric grader is a model: set ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL"
        )
    if batch and brain != "anthropic":
        raise InputError("--batch sends the anthropic brain's model calls as batches; "
                         "use it with --brain anthropic")  # fmt: skip
    server = await asyncio.to_thread(_reachable_server, base)
    started = time.perf_counter()
    if not batch:
        results = await _run_all(cases, brain, base, server, jobs, on_progress, rubric=rubric)
        return _summary(brain, base, jobs, started, results)
    async with batch_run(base, cases) as collector:
        resumed = len(collector.journal.batches)
        results = await _run_all(
            cases, brain, base, server, len(cases), on_progress, collector, rubric
        )
    report = _summary(brain, base, len(cases), started, results)
    return report.model_copy(update={"batch": batch_summary(collector, resumed)})


def _summary(
    brain: str, base: Settings, jobs: int, started: float, results: list[CaseResult]
) -> EvalReport:
    return EvalReport.summarise(
        brain=brain,
        model=base.model if brain != "rules" else None,
        jobs=max(1, jobs),
        seconds=time.perf_counter() - started,
        cases=results,
    )


async def _run_all(
    cases: Sequence[EvalCase],
    brain: str,
    base: Settings,
    server: PgServer,
    jobs: int,
    on_progress: Progress | None,
    collector: BatchCollector | None = None,
    rubric: bool = False,
) -> list[CaseResult]:
    gate = asyncio.Semaphore(max(1, jobs))
    keys = [f"c{index:03d}" for index in range(len(cases))]  # batch custom_ids: case, call
    if collector is not None:
        for key in keys:
            collector.open(key)  # every case is in the first wave
    with tempfile.TemporaryDirectory(prefix="dbarch-eval-") as homes:

        async def one(index: int, case: EvalCase) -> CaseResult:
            home = Path(homes) / f"{index:03d}-{case.id}"
            settings = base.model_copy(update={"home": home})
            chat = collector.model_for(keys[index]) if collector else None
            try:
                async with gate:
                    result = await run_case(case, brain, settings, server, chat, rubric)
            finally:
                if collector is not None:
                    collector.close(keys[index])
            if on_progress is not None:
                on_progress(result)
            return result

        return list(await asyncio.gather(*(one(i, case) for i, case in enumerate(cases))))


def _reachable_server(settings: Settings) -> PgServer:
    """The server every gate and check uses, connected to once so an outage fails fast."""
    server = resolve_server(settings.database_url, settings.pg_data_dir)
    server_version(server)
    return server


async def run_case(
    case: EvalCase,
    brain: str,
    settings: Settings,
    server: PgServer,
    chat: ChatModel | None = None,
    rubric: bool = False,
) -> CaseResult:
    """One case: run the engine, grade the package (and with `rubric`, have a model score
    its report), and count what the model spent (also on a run that failed: a model's
    failed attempts cost money too)."""
    started = time.perf_counter()
    settings.home.mkdir(parents=True, exist_ok=True)
    ctx = RunContext(brain=make_brain(brain, settings, chat), settings=settings, _pg=server)
    result = await _run_and_grade(case, ctx, server)
    usage = ctx.usage()
    tokens, cost = usage.input_tokens + usage.output_tokens, usage.cost_usd
    scores: list[RubricScore] = []
    if rubric and result.package is not None:
        scores, graded = await rubric_for(case.id, result.package, settings, chat)
        tokens, cost = tokens + graded.input_tokens + graded.output_tokens, cost + graded.cost_usd
    spent = {
        "seconds": round(time.perf_counter() - started, 3),
        "tokens": tokens,
        "cost_usd": cost,
        "rubric": scores,
    }
    return result.model_copy(update=spent)


async def _run_and_grade(case: EvalCase, ctx: RunContext, server: PgServer) -> CaseResult:
    base = {"id": case.id, "file": case.file, "mode": case.mode, "description": case.description}
    try:
        outcome = await run_design(case.request, ctx)
    except DatabaseError:
        raise  # PostgreSQL went away: nothing more can be graded, so the eval stops (exit 3)
    except Exception as exc:  # an eval reports a crashing case and goes on to the next
        error = f"{type(exc).__name__}: {exc}{_origin(exc)}"
        checks = _ungraded(case, f"the run crashed: {error}")
        return CaseResult(**base, status="error", passed=False, checks=checks, error=error)
    if outcome.status != "done" or outcome.package is None:
        return CaseResult(
            **base,
            status=outcome.status,
            passed=False,
            checks=_ungraded(case, _why_unfinished(outcome)),
            message=outcome.message,
            thread_id=outcome.thread_id,
        )
    checks = await asyncio.to_thread(
        grade,
        outcome.package,
        case.expect,
        lambda: server,
        case.request.rows,
        ctx.settings.sample_row_cap,
    )
    return CaseResult(
        **base,
        status="done",
        passed=all(c.passed for c in checks),
        checks=checks,
        thread_id=outcome.thread_id,
        package=outcome.package,
    )


def _why_unfinished(outcome: RunOutcome) -> str:
    """A failed gate or unanswered questions: the run's own message."""
    if outcome.status == "interrupted":
        asked = "; ".join(str(q.get("message", q)) for q in outcome.questions[:3])
        return f"the run stopped for questions: {asked}"
    return f"the run failed: {outcome.message or 'no package'}"


def _ungraded(case: EvalCase, reason: str) -> list[CheckResult]:
    """Every expected check, failed with the reason nothing could be graded."""
    return [
        CheckResult(check=e.check, passed=False, detail=reason, expected=e.arg) for e in case.expect
    ]


def _origin(exc: BaseException) -> str:
    """` (tools/sql/datagen/fill.py:120)`: the deepest frame in this project, not in a library."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [
        f
        for f in frames
        if Path(f.filename).is_relative_to(_ROOT) and "site-packages" not in f.filename
    ]
    if not frames:
        return ""
    frame = (ours or frames)[-1]
    path = Path(frame.filename)
    shown = path.relative_to(_ROOT) if path.is_relative_to(_ROOT) else path.name
    return f" ({shown}:{frame.lineno})"
