"""/v1/sessions: start a chat, send it messages (answered as an SSE stream), read its history."""

from __future__ import annotations

import uuid
from typing import Any, Self

from anyio import to_thread
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sse_starlette import EventSourceResponse

from agent.personas import default_library
from agent.service.budgets import check_budgets, loop_budget, remaining
from agent.service.chat import ModelResponder, Responder, RulesResponder, classify
from agent.service.chat import turns as chat_turns
from agent.service.errors import Conflict, InvalidField, NotFound
from agent.service.guards import Principal
from agent.service.openapi import EVENT_STREAM, errors
from agent.service.state import ServiceState
from agent.service.stores import SessionRecord

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
NO_MODEL = (
    "chat needs a model: set ANTHROPIC_API_KEY (or an Anthropic-compatible ANTHROPIC_BASE_URL) "
    "on the server. Without one, send SQL DDL (it is reviewed) or a requirements spec in YAML "
    "or JSON with 'entities' (a design run is queued) and the rules engine answers."
)


class NewSession(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # JSON types exactly as documented

    persona: str | None = Field(default=None, description="Persona name; default architect.")

    @model_validator(mode="after")
    def _known_persona(self) -> Self:
        known = default_library().personas
        if self.persona is not None and self.persona not in known:
            raise ValueError(f"unknown persona {self.persona!r}; known: {', '.join(known)}")
        return self


class UserMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # JSON types exactly as documented

    content: str = Field(min_length=1, max_length=1_000_000)


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


def _session(state: ServiceState, session_id: str, principal: str) -> SessionRecord:
    """The session, if `principal` started it: anyone else gets the same 404 as for none."""
    record = state.sessions.owned(session_id, principal)
    if record is None:
        raise NotFound(f"no chat session with id {session_id!r}")
    return record


class SessionView(BaseModel):
    """A session's accounting: what it has spent so far."""

    id: str
    persona: str
    created_at: float
    updated_at: float
    turns: int
    tokens: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    seconds: float

    @classmethod
    def of(cls, record: SessionRecord) -> Self:
        return cls.model_validate(record.model_dump(exclude={"principal"}))


class NewSessionView(SessionView):
    messages: str = Field(description="Where to POST the session's messages.")


class SessionHistory(SessionView):
    remaining: dict[str, float] = Field(description="What is left of each budget.")
    messages: list[dict[str, Any]] = Field(description="The conversation, oldest first.")


@router.post("", status_code=201, response_model=NewSessionView, responses=errors(400, 422))
async def create_session(body: NewSession, request: Request, caller: Principal) -> NewSessionView:
    """A session row; its LangGraph thread starts with its first message."""
    state = _state(request)
    persona = body.persona or state.settings.chat_persona
    session_id = uuid.uuid4().hex
    record = await to_thread.run_sync(state.sessions.create, session_id, persona, caller)
    link = f"/v1/sessions/{session_id}/messages"
    return NewSessionView(**SessionView.of(record).model_dump(), messages=link)


@router.get("/{session_id}", response_model=SessionHistory, responses=errors(404))
async def get_session(session_id: str, request: Request, caller: Principal) -> SessionHistory:
    """The session's accounting, remaining budgets and the whole conversation."""
    state = _state(request)
    record = await to_thread.run_sync(_session, state, session_id, caller)
    messages = await state.chat_runtime().threads.history(session_id)
    left = remaining(record, state.settings)
    return SessionHistory(**SessionView.of(record).model_dump(), remaining=left, messages=messages)


@router.post(
    "/{session_id}/messages",
    response_class=EventSourceResponse,
    responses={**EVENT_STREAM, **errors(400, 404, 409, 422)},
)
async def post_message(
    session_id: str, body: UserMessage, request: Request, caller: Principal
) -> EventSourceResponse:
    """Stream the answer: text_delta, tool_call, tool_result, usage... then done (or error)."""
    state = _state(request)
    responder, lease = await to_thread.run_sync(_admit, state, session_id, caller, body.content)
    turn = chat_turns.Turn(state, session_id, body.content, responder, lease)
    return EventSourceResponse(chat_turns.stream(turn), ping=15)


def _admit(state: ServiceState, session_id: str, caller: str, text: str) -> tuple[Responder, float]:
    """Who answers, and the session's lease: one trip to a worker thread for all of it."""
    record = _session(state, session_id, caller)
    check_budgets(record, state.settings)
    responder = _responder(state, record, text)
    lease = state.sessions.claim(session_id, state.settings.session_lease_s)
    if lease is None:
        raise Conflict(f"session {session_id} is still answering a message; wait for it")
    return responder, lease


def _responder(state: ServiceState, record: SessionRecord, text: str) -> Responder:
    """Who answers this turn (blocking: it may parse the message and makes the workspace)."""
    settings = state.settings
    if not settings.has_model:
        kind = classify(text)
        if kind is None:
            raise InvalidField("body.content", NO_MODEL)
        return RulesResponder(state, kind, record.principal)
    persona = default_library().persona(record.persona)
    workspace = settings.home / "sessions" / record.id
    workspace.mkdir(parents=True, exist_ok=True)
    toolset = persona.toolset(settings.tool_context(workspace, state.pg()))
    client = state.chat_runtime().model_client(persona.model)
    budget = loop_budget(record, settings)
    return ModelResponder(client, persona, toolset, budget, settings.model_max_tokens)
