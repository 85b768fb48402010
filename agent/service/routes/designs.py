"""/v1/designs: queue a design run, read it, answer its questions, follow its events (SSE)."""

from __future__ import annotations

from functools import partial
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse

from agent.service import sse
from agent.service.design import DesignInput, DesignView
from agent.service.design import jobs as design_jobs
from agent.service.guards import Principal
from agent.service.openapi import EVENT_STREAM, errors
from agent.service.state import ServiceState

router = APIRouter(prefix="/v1/designs", tags=["designs"])


class Accepted(BaseModel):
    id: str
    status: str
    links: dict[str, str]


class DesignBody(DesignInput):
    """The design input, validated strictly at the HTTP door: a JSON `0` is not `false`, nor
    `"5"` a number (MCP and the model's tools keep the lenient parse)."""

    model_config = ConfigDict(strict=True)


class AnswersInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # JSON types exactly as documented

    answers: dict[str, Any] = Field(
        description='Question path -> answer, e.g. {"consistency": "strong"}; {} keeps '
        "every stated assumption."
    )


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


def _accepted(job_id: str, status: str, response: Response) -> Accepted:
    location = f"/v1/designs/{job_id}"
    response.headers["Location"] = location
    return Accepted(
        id=job_id, status=status, links={"self": location, "events": f"{location}/events"}
    )


@router.post("", status_code=202, response_model=Accepted, responses=errors(400, 422))
async def create_design(
    body: DesignBody, request: Request, response: Response, caller: Principal
) -> Accepted:
    """Queue a run; 202 with its id. A bad spec is a 422 naming each problem's key path."""
    state = _state(request)
    design_request = body.request()
    brain = body.brain_name(state.settings)
    submit = partial(design_jobs.submit, state.jobs, design_request, brain, state.settings, caller)
    job_id = await to_thread.run_sync(submit)
    state.job_submitted.set()
    return _accepted(job_id, "queued", response)


@router.get("/{job_id}", response_model=DesignView, responses=errors(404))
async def get_design(job_id: str, request: Request, caller: Principal) -> DesignView:
    """Where the run is; its package when done, its questions when it waits for answers."""
    job = await to_thread.run_sync(design_jobs.get, _state(request).jobs, job_id, caller)
    return design_jobs.view(job)


@router.post(
    "/{job_id}/answers",
    status_code=202,
    response_model=Accepted,
    responses=errors(400, 404, 409, 422),
)
async def answer_design(
    job_id: str, body: AnswersInput, request: Request, response: Response, caller: Principal
) -> Accepted:
    """Resume an interrupted run with answers; 409 when the run is not waiting for any."""
    state = _state(request)
    await to_thread.run_sync(design_jobs.answer, state.jobs, job_id, body.answers, caller)
    state.job_submitted.set()
    return _accepted(job_id, "queued", response)


@router.get(
    "/{job_id}/events",
    response_class=EventSourceResponse,
    responses={**EVENT_STREAM, **errors(404, 422)},
)
async def design_events(
    job_id: str, request: Request, start: sse.ResumePoint, caller: Principal
) -> EventSourceResponse:
    """Every event of the run from the start (or after `after` / Last-Event-ID), then live."""
    state = _state(request)
    await to_thread.run_sync(design_jobs.get, state.jobs, job_id, caller)
    settings = state.settings
    return sse.job_events(state.jobs, job_id, start, settings.sse_poll_s, settings.sse_max_s)
