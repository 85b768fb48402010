"""A chat session is a LangGraph thread: one node answers each user turn, the checkpointer keeps
the history, so a session survives a restart and any server process can continue it.

The node does not know who answers: a `Responder` (the persona and its tools in the model's
tool-use loop, or the rules engine when no model is configured) returns the new messages in
the Messages API's own shapes, streaming what happens through the turn's event sink.
"""

from __future__ import annotations

import operator
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agent.checkpoint import open_checkpointer
from agent.llm.usage import Usage
from agent.service.config import ServiceSettings

Message = dict[str, Any]
Sink = Callable[[str, dict[str, Any]], None]  # (SSE event name, data)


class ChatState(TypedDict):
    messages: Annotated[list[Message], operator.add]


class Responder(Protocol):
    """Answers the last user message of `history`; returns only the messages it adds.

    `usage` is what the answer spent on the model so far (kept up to date even when the
    answer fails part-way, so budgets count it).
    """

    usage: Usage

    async def reply(self, history: list[Message], sink: Sink) -> list[Message]: ...


@dataclass
class ChatContext:
    responder: Responder
    sink: Sink


async def respond(state: ChatState, runtime: Runtime[ChatContext]) -> dict[str, Any]:
    ctx = runtime.context
    added = await ctx.responder.reply(list(state["messages"]), ctx.sink)
    return {"messages": added}


def build_chat_graph() -> StateGraph[ChatState, ChatContext, Any, Any]:
    graph: StateGraph[ChatState, ChatContext, Any, Any] = StateGraph(
        ChatState, context_schema=ChatContext
    )
    graph.add_node("respond", respond)
    graph.add_edge(START, "respond")
    graph.add_edge("respond", END)
    return graph


def _config(session_id: str) -> Any:
    return {"configurable": {"thread_id": session_id}}


@asynccontextmanager
async def checkpointer(settings: ServiceSettings) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """The design runs' checkpointer choice: PostgreSQL with DBARCH_STATE_URL, else SQLite."""
    async with open_checkpointer(settings.state_url, settings.chat_checkpoints) as saver:
        yield saver


@asynccontextmanager
async def chat_graph(
    settings: ServiceSettings,
) -> AsyncIterator[CompiledStateGraph[ChatState, ChatContext]]:
    async with checkpointer(settings) as saver:
        yield build_chat_graph().compile(checkpointer=saver)


async def start_thread(settings: ServiceSettings, session_id: str) -> None:
    """Write the thread's first (empty) checkpoint, so the session exists in the checkpointer."""
    async with chat_graph(settings) as graph:
        await graph.aupdate_state(_config(session_id), {"messages": []}, as_node="respond")


async def history(settings: ServiceSettings, session_id: str) -> list[Message]:
    async with chat_graph(settings) as graph:
        snapshot = await graph.aget_state(_config(session_id))
    messages: list[Message] = list(snapshot.values.get("messages", []))
    return messages


async def run_turn(
    settings: ServiceSettings, session_id: str, text: str, ctx: ChatContext
) -> list[Message]:
    """Add the user's message and the responder's answer to the thread; returns the answer."""
    user: Message = {"role": "user", "content": text}
    async with chat_graph(settings) as graph:
        before = await graph.aget_state(_config(session_id))
        count = len(before.values.get("messages", [])) + 1
        state = await graph.ainvoke({"messages": [user]}, _config(session_id), context=ctx)
    added: list[Message] = list(state["messages"][count:])
    return added
