"""Warm a new server process before it takes requests: one canned chat turn, end to end.

A process's first turns paid one-off costs on the event loop: imports inside the SDK and
LangGraph, pydantic building the SDK's stream-event validators, the graph's first run. Under
load every request waiting meanwhile (`/healthz` included) was held up to a second. One turn
answered by a canned stream (`httpx2.MockTransport`: no network, no model spend) over an
in-memory checkpointer pays those costs at start-up, in a worker thread, before the server
listens.
"""

from __future__ import annotations

import asyncio

import httpx2
from langgraph.checkpoint.memory import InMemorySaver

from agent.llm import Budget, Reply
from agent.llm.client import ClientConfig, ModelClient
from agent.llm.scripted import sse_events
from agent.llm.usage import Usage
from agent.personas import default_library
from agent.service.chat.responders import ModelResponder
from agent.service.chat.session import ChatContext, ChatThreads, Message, Sink
from agent.service.config import ServiceSettings

_USAGE = {"input_tokens": 1, "output_tokens": 1}


def warm_up(settings: ServiceSettings) -> None:
    """Run one canned turn on a private event loop (call it from a worker thread)."""
    asyncio.run(_turn(settings))


async def _turn(settings: ServiceSettings) -> None:
    threads = ChatThreads(InMemorySaver())
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(_canned)) as http:
        responder = _responder(settings, http) if settings.has_model else _Silent()
        await threads.run_turn("warm-up", "warm up", ChatContext(responder, _discard))


def _responder(settings: ServiceSettings, http: httpx2.AsyncClient) -> ModelResponder:
    persona = default_library().persona(settings.chat_persona)
    client = ModelClient(ClientConfig.from_settings(settings, persona.model), http_client=http)
    toolset = persona.toolset(settings.tool_context(settings.home, None))  # listed, never called
    return ModelResponder(client, persona, toolset, Budget(max_turns=1), 16)


def _canned(request: httpx2.Request) -> httpx2.Response:
    body = "".join(sse_events(Reply.text("ready"), "warm-up", "msg_warmup", _USAGE))
    headers = {"content-type": "text/event-stream", "request-id": "req_warmup"}
    return httpx2.Response(200, headers=headers, content=body.encode())


def _discard(kind: str, data: dict[str, object]) -> None:
    del kind, data


class _Silent:
    """Answers without a model (the service has none): warms the graph alone."""

    usage = Usage()

    async def reply(self, history: list[Message], sink: Sink) -> list[Message]:
        return [{"role": "assistant", "content": [{"type": "text", "text": "ready"}]}]
