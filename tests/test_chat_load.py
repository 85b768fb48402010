"""The chat benchmark's load, smaller (40 sessions x 3 messages), as a correctness test: no
failed request, a final event on every stream, every turn in the history, and on PostgreSQL
state, two servers holding no more connections than their pools allow.

No latency is asserted here; `benchmarks/chat_load.py` measures it.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

from conftest import REPO
from service_support import live_server, settings_for, state_database

from agent.llm import Reply
from agent.llm.scripted.server import ScriptedAnthropicServer
from tools.sql.server import PgServer

sys.path.insert(0, str(REPO))  # benchmarks/ is a folder of scripts, not an installed package
from benchmarks.chat_load import ANSWER
from benchmarks.chat_sessions import LoadResult, LoadSpec, run
from benchmarks.service_procs import PeakSampler, PgConnections

SESSIONS, MESSAGES = 40, 3


def _spec(urls: list[str]) -> LoadSpec:
    return LoadSpec(urls, SESSIONS, MESSAGES, model_delay_s=0.2, think_s=0.2, ramp_s=0.5)


def _model() -> ScriptedAnthropicServer:
    return ScriptedAnthropicServer([Reply.text(ANSWER, delay_s=0.2)], repeat=True)


def _assert_every_turn_kept(result: LoadResult) -> None:
    assert [r.problem for r in result.failed] == []
    assert result.streams_without_final == 0
    assert len(result.of("message")) == SESSIONS * MESSAGES
    assert result.turns_in_history == result.turns_expected == SESSIONS * MESSAGES


def test_forty_sessions_on_the_default_sqlite_state(pg: PgServer, tmp_path: Path) -> None:
    with _model() as model:
        settings = settings_for(tmp_path, pg, ANTHROPIC_BASE_URL=model.base_url, mount_mcp=False)
        settings = settings.model_copy(update={"rate_limit_per_minute": 10_000})
        with live_server(settings) as server:
            result = run(_spec([server.url]))
    _assert_every_turn_kept(result)


def test_forty_sessions_across_two_servers_on_postgresql_state(
    pg: PgServer, tmp_path: Path
) -> None:
    pool = 3
    with _model() as model, state_database(pg) as url, ExitStack() as servers:
        settings = [
            settings_for(
                tmp_path / name, pg, ANTHROPIC_BASE_URL=model.base_url, mount_mcp=False,
                DBARCH_STATE_URL=url, state_pool_size=pool, rate_limit_per_minute=10_000,
            )
            for name in ("one", "two")
        ]  # fmt: skip
        urls = [servers.enter_context(live_server(s)).url for s in settings]
        dbname = urlsplit(url).path.lstrip("/")
        with PeakSampler(PgConnections(pg.dsn(), dbname), interval_s=0.02) as sampler:
            result = run(_spec(urls))
    _assert_every_turn_kept(result)
    assert 0 < sampler.peak <= 2 * pool
