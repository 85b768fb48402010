"""Eval runs as jobs: the eval runner's `run_cases` on cases the server's suite holds.

Callers choose cases by id from the suite the operator configured (DBARCH_EVAL_SUITE,
default the built-in one), never by path: a request never names a file on the server.
Each finished case is appended to the job's events, so progress is visible while it runs.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.events import Event
from agent.service.config import ServiceSettings
from agent.service.errors import InvalidField, NotFound
from agent.service.stores import JobRecord, JobStore
from evals.cases import EvalCase, load_cases
from evals.results import CaseResult
from evals.runner import run_cases
from tools.errors import ArchitectError

KIND = "eval"


class EvalInput(BaseModel):
    """Start an eval run: which cases, which brain."""

    model_config = ConfigDict(extra="forbid", strict=True)  # JSON types exactly as documented

    cases: list[str] = Field(
        default_factory=list, description="Case ids from the server's suite; empty runs them all."
    )
    brain: Literal["rules", "anthropic"] = "rules"
    model: str | None = Field(default=None, description="Model alias or id (anthropic brain).")
    jobs: int = Field(
        default=1, ge=1, le=64, description="Cases run at once (capped by the server)."
    )


class EvalView(BaseModel):
    id: str
    status: str
    brain: str
    cases: list[str]
    done: int = Field(description="Cases finished so far")
    message: str | None = None
    pass_rate: float | None = None
    report: dict[str, Any] | None = None
    created_at: float
    updated_at: float


def _suite(settings: ServiceSettings) -> list[EvalCase]:
    return load_cases([settings.eval_suite] if settings.eval_suite else [])


def select(cases: list[EvalCase], wanted: list[str]) -> list[EvalCase]:
    by_id = {case.id: case for case in cases}
    for index, case_id in enumerate(wanted):
        if case_id not in by_id:
            known = ", ".join(by_id)
            raise InvalidField(f"body.cases.{index}", f"no case {case_id!r}; known: {known}")
    return [by_id[case_id] for case_id in wanted] if wanted else cases


def submit(jobs: JobStore, body: EvalInput, settings: ServiceSettings, principal: str) -> str:
    """Queue the run for `principal`, the only caller that will see it."""
    if body.brain == "anthropic" and not settings.has_model:
        raise InvalidField(
            "body.brain", "the anthropic brain needs ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL"
        )
    chosen = [case.id for case in select(_suite(settings), body.cases)]
    payload = body.model_copy(
        update={"cases": chosen, "jobs": min(body.jobs, settings.eval_max_jobs)}
    )
    job_id = uuid.uuid4().hex
    jobs.submit(job_id, KIND, payload.model_dump(mode="json"), principal)
    return job_id


def view(jobs: JobStore, job_id: str, principal: str) -> EvalView:
    """The run, if `principal` queued it: anyone else gets the same 404 as for no run."""
    job = jobs.owned(job_id, KIND, principal)
    if job is None:
        raise NotFound(f"no eval run with id {job_id!r}")
    body = EvalInput.model_validate(job.payload)
    report = (job.result or {}).get("report")
    done = sum(1 for e in jobs.events_after(job_id, 0) if e.event.data.get("case"))
    return EvalView(
        id=job.id, status=job.status, brain=body.brain, cases=body.cases, done=done,
        message=job.message, pass_rate=report["pass_rate"] if report else None, report=report,
        created_at=job.created_at, updated_at=job.updated_at,
    )  # fmt: skip


async def run_job(job: JobRecord, jobs: JobStore, settings: ServiceSettings, owner: str) -> None:
    """Run the cases (a crashing case is a failed case, per the runner) and store the report."""
    body = EvalInput.model_validate(job.payload)
    cases = select(_suite(settings), body.cases)

    def progress(case: CaseResult) -> None:
        verdict = "passed" if case.passed else "failed"
        data = {"case": case.id, "passed": case.passed, "seconds": case.seconds}
        jobs.append_event(job.id, Event(kind="note", message=f"{case.id} {verdict}", data=data))

    try:
        report = await run_cases(cases, body.brain, body.model, body.jobs, settings, progress)
    except ArchitectError as exc:  # PostgreSQL went away, or the brain cannot be built
        message = f"{type(exc).__name__}: {exc}"
        jobs.append_event(job.id, Event(kind="run_failed", message=message))
        jobs.finish(job.id, owner, "failed", {"error": exc.to_dict()}, message)
        return
    result = {"report": report.model_dump(mode="json")}
    message = f"{report.passed}/{report.total} cases passed"
    jobs.append_event(job.id, Event(kind="run_done", message=message))
    jobs.finish(job.id, owner, "done", result, message, (report.tokens, report.cost_usd))
