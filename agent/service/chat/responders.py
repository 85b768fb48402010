"""Who answers a chat turn: the persona in the model's tool-use loop, or the rules engine.

Without a model (no ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL) the service still answers the
two messages it can answer deterministically: SQL DDL gets a review, a requirements spec
(YAML or JSON) gets a queued design run. Anything else needs a model, and the route says so
with a 503 before it starts streaming. Either way the turn is recorded in the same shapes
(assistant tool_use, user tool_result, assistant text), so the history reads alike.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import uuid
from functools import partial
from typing import Any, Literal, Protocol

import yaml
from anyio import to_thread

from agent.llm import Budget, LoopEvent, LoopOptions, TextDelta, UsageEvent, run_tool_loop
from agent.llm.messages import ChatModel
from agent.llm.usage import Usage
from agent.personas import Persona
from agent.service.chat.session import Message, Sink
from agent.service.config import ServiceSettings
from agent.service.design import jobs as design_jobs
from agent.service.stores import JobStore
from agent.spec import parse_spec
from agent.state import DesignRequest
from tools.errors import InputError, SpecError, SqlSyntaxError
from tools.registry import ToolContext, Toolset
from tools.sql.parse import parse_schema
from tools.sql.review import TOOLS as REVIEW_TOOLS
from tools.sql.server import PgServer

Kind = Literal["sql", "spec"]
_FENCE = re.compile(r"```[A-Za-z]*\n(.*?)```", re.DOTALL)


def event_data(event: LoopEvent) -> tuple[str, dict[str, Any]]:
    """A tool-loop event as an SSE event name and JSON data."""
    if isinstance(event, TextDelta):  # most of a turn's events: spared asdict's deep copy
        return event.kind, {"text": event.text}
    if isinstance(event, UsageEvent):
        return event.kind, {"call": event.call.to_dict(), "total": event.total.to_dict()}
    data = dataclasses.asdict(event)
    return str(data.pop("kind")), data


class ModelResponder:
    """The persona as system prompt, its tools as tool schemas, in `run_tool_loop`."""

    def __init__(
        self, model: ChatModel, persona: Persona, toolset: Toolset, budget: Budget, max_tokens: int
    ) -> None:
        self.model, self.persona, self.toolset = model, persona, toolset
        self.budget, self.max_tokens = budget, max_tokens
        self.usage = Usage()

    async def reply(self, history: list[Message], sink: Sink) -> list[Message]:
        def forward(event: LoopEvent) -> None:
            if isinstance(event, UsageEvent):
                self.usage = event.total
            sink(*event_data(event))

        options = LoopOptions(max_tokens=self.max_tokens)
        result = await run_tool_loop(
            self.model, self.persona.body, history, self.toolset, self.budget, forward, options
        )
        self.usage = result.usage
        return result.messages[len(history) :]


def classify(text: str) -> Kind | None:
    """'spec' for a YAML/JSON mapping with entities, 'sql' for DDL that creates a table."""
    body = _unfenced(text)
    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError:
        data = None
    if isinstance(data, dict) and "entities" in data:
        return "spec"
    try:
        schema = parse_schema(body, "message.sql")
    except (SqlSyntaxError, InputError):
        return None
    return "sql" if schema.tables else None


def _unfenced(text: str) -> str:
    match = _FENCE.search(text)
    return match.group(1) if match else text


class ServiceView(Protocol):
    """What the rules responder uses of the service's state (`agent.service.state`, which
    holds the chat runtime, so this package does not import it)."""

    settings: ServiceSettings
    jobs: JobStore
    job_submitted: threading.Event

    def pg(self) -> PgServer: ...


class RulesResponder:
    """Deterministic answers without a model: review SQL, or queue a design for a spec."""

    def __init__(self, state: ServiceView, kind: Kind, principal: str) -> None:
        """`principal` owns the session, and so the design runs it queues."""
        self.state, self.kind, self.principal = state, kind, principal
        self.usage = Usage()

    async def reply(self, history: list[Message], sink: Sink) -> list[Message]:
        text = _unfenced(str(history[-1]["content"]))
        if self.kind == "sql":
            name, args = "review_schema", {"schema": text, "name": "message.sql"}
            content, is_error = await self._review(args)
            summary = _review_summary(content) if not is_error else f"The review failed: {content}"
        else:
            name, args = "design", {"spec": text}
            content, is_error = await self._design(text)
            summary = content if is_error else _design_summary(json.loads(content))
        call_id = f"toolu_rules_{uuid.uuid4().hex[:16]}"
        sink("tool_call", {"id": call_id, "name": name, "input": args})
        sink("tool_result", {"id": call_id, "name": name, "content": content, "is_error": is_error})
        sink("text_delta", {"text": summary})
        result: Message = {"type": "tool_result", "tool_use_id": call_id, "content": content}
        if is_error:
            result["is_error"] = True
        return [
            {"role": "assistant", "content": [_tool_use(call_id, name, args)]},
            {"role": "user", "content": [result]},
            {"role": "assistant", "content": [{"type": "text", "text": summary}]},
        ]

    async def _review(self, args: dict[str, Any]) -> tuple[str, bool]:
        toolset = Toolset(REVIEW_TOOLS, _context(self.state))
        outcome = await to_thread.run_sync(partial(toolset.call, "review_schema", args))
        return outcome.content, outcome.is_error

    async def _design(self, text: str) -> tuple[str, bool]:
        try:
            spec = parse_spec(yaml.safe_load(text), patterns_by_contract=True)
        except SpecError as exc:
            return json.dumps(exc.to_dict()), True
        submit = partial(design_jobs.submit, self.state.jobs, DesignRequest(spec=spec), "rules",
                         self.state.settings, self.principal)  # fmt: skip
        job_id = await to_thread.run_sync(submit)
        self.state.job_submitted.set()
        return json.dumps({"id": job_id, "events": f"/v1/designs/{job_id}/events"}), False


def _context(state: ServiceView) -> ToolContext:
    return state.settings.tool_context(state.settings.home, state.pg())


def _tool_use(call_id: str, name: str, args: dict[str, Any]) -> Message:
    return {"type": "tool_use", "id": call_id, "name": name, "input": args}


def _review_summary(content: str) -> str:
    report = json.loads(content)
    counts = report["counts"]
    verdict = (
        "applies cleanly" if report["valid"] else f"has {counts['errors']} refused statement(s)"
    )
    lines = [f"The schema ({counts['tables']} tables) {verdict}; lint found {counts['error']} "
             f"error(s), {counts['warning']} warning(s), {counts['info']} note(s)."]  # fmt: skip
    for error in report["errors"][:5]:
        lines.append(f"- line {error['line']}: {error['message']}")
    for finding in [f for f in report["findings"] if f["severity"] != "info"][:10]:
        lines.append(f"- {finding['severity']} {finding['rule']}: {finding['message']}")
    return "\n".join(lines)


def _design_summary(result: dict[str, Any]) -> str:
    return (f"Design run {result['id']} is queued with the rules brain. Follow it at "
            f"{result['events']}; the package appears at /v1/designs/{result['id']}.")  # fmt: skip
