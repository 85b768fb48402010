"""/v1/evals: queue an eval run over the server's suite, read its report, follow its progress."""

from __future__ import annotations

from functools import partial

from anyio import to_thread
from fastapi import APIRouter, Request, Response
from sse_starlette import EventSourceResponse

from agent.service import eval_jobs, sse
from agent.service.eval_jobs import EvalInput, EvalView
from agent.service.guards import Principal
from agent.service.openapi import EVENT_STREAM, errors
from agent.service.routes.designs import Accepted
from agent.service.state import ServiceState

router = APIRouter(prefix="/v1/evals", tags=["evals"])


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


@router.post("", status_code=202, response_model=Accepted, responses=errors(400, 422))
async def create_eval(
    body: EvalInput, request: Request, response: Response, caller: Principal
) -> Accepted:
    """Queue the run; 422 naming an unknown case id or a brain the server cannot run."""
    state = _state(request)
    submit = partial(eval_jobs.submit, state.jobs, body, state.settings, caller)
    job_id = await to_thread.run_sync(submit)
    state.job_submitted.set()
    location = f"/v1/evals/{job_id}"
    response.headers["Location"] = location
    links = {"self": location, "events": f"{location}/events"}
    return Accepted(id=job_id, status="queued", links=links)


@router.get("/{job_id}", response_model=EvalView, responses=errors(404))
async def get_eval(job_id: str, request: Request, caller: Principal) -> EvalView:
    """Status and progress; the whole report (pass_rate, cases, checks) once it is done."""
    return await to_thread.run_sync(eval_jobs.view, _state(request).jobs, job_id, caller)


@router.get(
    "/{job_id}/events",
    response_class=EventSourceResponse,
    responses={**EVENT_STREAM, **errors(404, 422)},
)
async def eval_events(
    job_id: str, request: Request, start: sse.ResumePoint, caller: Principal
) -> EventSourceResponse:
    """One event per finished case, then run_done."""
    state = _state(request)
    await to_thread.run_sync(eval_jobs.view, state.jobs, job_id, caller)
    settings = state.settings
    return sse.job_events(state.jobs, job_id, start, settings.sse_poll_s, settings.sse_max_s)
