"""`dbarch chat`: talk to an architect persona in the terminal, its tools at hand.

The same chat graph and responder as the HTTP sessions (`agent.service.chat`), so a terminal
session is a checkpointed LangGraph thread too: `--session ID` picks it up again later.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from agent.cli import exits

HELP = """Chat with an architect persona: it reads your files, checks DDL on a real PostgreSQL, explains and advises indexes as it answers.

Needs a model: ANTHROPIC_API_KEY, or ANTHROPIC_BASE_URL for any Anthropic-compatible endpoint. Without one, use `dbarch design` (rules brain) and `dbarch review`. The persona's tools work inside --workspace (default: the current folder); Bash is off unless --bash. Type a message and press Enter; an empty line or Ctrl-D ends the session. The session id printed at the start continues it later with --session.

Examples:

    dbarch chat

    dbarch chat --persona schema-specialist --workspace evals/cases/inputs

    echo "Review legacy-shop.sql for missing indexes" | dbarch chat --workspace evals/cases/inputs
"""  # noqa: E501


def chat_command(
    persona: Annotated[
        str, typer.Option(help="Persona to talk to (see `dbarch personas`).")
    ] = "architect",
    session: Annotated[str | None, typer.Option(help="Continue this session id.")] = None,
    workspace: Annotated[Path, typer.Option(help="Folder the file tools may read.")] = Path("."),
    bash: Annotated[bool, typer.Option(help="Let the persona run allow-listed commands.")] = False,
) -> int:
    from agent.service.config import ServiceSettings
    from agent.store import check_thread_id
    from tools.errors import InputError

    settings = ServiceSettings()
    if not settings.has_model:
        raise InputError(
            "chat needs a model: set ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL for an "
            "Anthropic-compatible endpoint); `dbarch design` and `dbarch review` need neither"
        )
    thread = check_thread_id(session or uuid.uuid4().hex)
    typer.echo(f"session {thread} (continue it with --session {thread})", err=True)
    asyncio.run(_loop(settings, thread, persona, workspace.resolve(), bash, sys.stdin, sys.stdout))
    return exits.OK


async def _loop(
    settings: Any,
    thread: str,
    persona_name: str,
    workspace: Path,
    bash: bool,
    stdin: TextIO,
    stdout: TextIO,
) -> None:
    from agent.llm import Budget, ClientConfig, ModelClient
    from agent.personas import default_library
    from agent.service.chat import ModelResponder
    from agent.service.chat import session as chat
    from agent.store import open_database
    from tools.sql.server import resolve_server

    persona = default_library().persona(persona_name)
    pg = resolve_server(settings.database_url, settings.pg_data_dir)
    context = settings.tool_context(workspace, pg, bash=bash)
    budget = Budget(max_turns=settings.stage_max_turns, max_seconds=settings.stage_max_seconds)
    db = open_database(settings.state_url, settings.state_path, settings.state_pool_size)
    threads = await asyncio.to_thread(chat.open_threads, settings, db)
    try:
        async with ModelClient(ClientConfig.from_settings(settings, model=persona.model)) as client:
            while True:
                stdout.write("you> ")
                stdout.flush()
                line = await asyncio.to_thread(stdin.readline)
                if not line.strip():
                    return
                responder = ModelResponder(
                    client, persona, persona.toolset(context), budget, settings.model_max_tokens
                )
                ctx = chat.ChatContext(responder, _printer(stdout))
                await threads.run_turn(thread, line.strip(), ctx)
                stdout.write("\n")
    finally:
        threads.close()
        db.close()


def _printer(stdout: TextIO) -> Any:
    def sink(kind: str, data: dict[str, Any]) -> None:
        if kind == "text_delta":
            stdout.write(str(data.get("text", "")))
        elif kind == "tool_call":
            stdout.write(f"\n[tool {data.get('name')}]\n")
        elif kind == "tool_result" and data.get("is_error"):
            stdout.write(f"[tool {data.get('name')} failed]\n")
        stdout.flush()

    return sink


def register(app: typer.Typer) -> None:
    app.command("chat", help=HELP)(chat_command)
