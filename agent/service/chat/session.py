"""A chat session is a LangGraph thread: one node answers each user turn, the checkpointer keeps
the history, so a session survives a restart and any server process can continue it.

The node does not know who answers: a `Responder` (the persona and its tools in the model's
tool-use loop, or the rules engine when no model is configured) returns the new messages in
the Messages API's own shapes, streaming what happens through the turn's event sink.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agent.llm.usage import Usage
from agent.service.config import ServiceSettings
from agent.store import Database, PostgresDatabase, postgres_saver, sqlite_saver

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
    added: list[Message] = field(default_factory=list)  # the answer, once the node returns


async def respond(state: ChatState, runtime: Runtime[ChatContext]) -> dict[str, Any]:
    ctx = runtime.context
    ctx.added = await ctx.responder.reply(list(state["messages"]), ctx.sink)
    return {"messages": ctx.added}


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


class ChatThreads:
    """Every session's thread, through one compiled graph over the process's one checkpointer.

    Built once per process (the graph compiles once, the checkpointer opens once), so a
    request costs only its own reads and writes.
    """

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        self.saver = saver
        self.graph: CompiledStateGraph[ChatState, ChatContext] = build_chat_graph().compile(
            checkpointer=saver
        )

    async def history(self, session_id: str) -> list[Message]:
        """The conversation so far; a session with no turn yet has no thread and no messages."""
        snapshot = await self.graph.aget_state(_config(session_id))
        messages: list[Message] = list(snapshot.values.get("messages", []))
        return messages

    async def run_turn(self, session_id: str, text: str, ctx: ChatContext) -> list[Message]:
        """Add the user's message and the responder's answer to the thread; returns the answer.

        Both are checkpointed together when the run ends (durability "exit": one write a turn
        instead of one per step), so a finished turn is in the history before the caller hears
        it is done; a failed one keeps the user's message; a killed process keeps nothing of
        the turn it was answering.
        """
        user: Message = {"role": "user", "content": text}
        config = _config(session_id)
        await self.graph.ainvoke({"messages": [user]}, config, context=ctx, durability="exit")
        return ctx.added

    def close(self) -> None:
        """Close what the threads own: the SQLite connection (a pool is the store's)."""
        if isinstance(self.saver, SqliteSaver):
            self.saver.conn.close()

    async def probe(self) -> None:
        """Read a thread that never exists: the checkpointer answers, or raises."""
        await self.saver.aget_tuple({"configurable": {"thread_id": "healthz", "checkpoint_ns": ""}})


def open_threads(settings: ServiceSettings, db: Database) -> ChatThreads:
    """The process's chat threads: on the state pool with PostgreSQL, else one SQLite file.

    Blocking (it connects, and creates or migrates the tables): call it off the event loop.
    """
    if isinstance(db, PostgresDatabase):
        return ChatThreads(postgres_saver(db.pool, db.url))
    return ChatThreads(sqlite_saver(settings.chat_checkpoints))
