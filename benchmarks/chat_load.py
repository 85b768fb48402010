"""Chat under load: N concurrent sessions against `dbarch serve` and the scripted model server.

Two set-ups, each with real processes on 127.0.0.1: the default SQLite state with one server
process, and PostgreSQL state (a fresh database on the embedded server) shared by two server
processes, every session's messages alternating between them. The model is
`agent.llm.scripted.server` in its own process, answering every call after --model-delay seconds
(a short answer's time); a user reads for up to --think seconds before the next message, and
sessions start spread over --ramp seconds: about 30 messages a second at 200 sessions.

Printed per set-up: failed requests, streams without a final event, turns answered against
turns found in history, p50/p99 *added* latency (time to a message's final event less the
model's delay; session creation and history reads whole), and the peak number of state
connections (PostgreSQL: client backends on the state database in pg_stat_activity; SQLite:
open database files).

Targets (exit 1 when missed): no failed request, no stream without a final event, every turn
in history, message p99 added latency below --p99-target ms, state connections within the
configured pools.

    .venv/bin/python benchmarks/chat_load.py [--sessions 200] [--messages 3] [--state both]
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.chat_sessions import LoadResult, LoadSpec, run, summary  # noqa: E402
from benchmarks.service_procs import (  # noqa: E402
    PeakSampler,
    PgConnections,
    model_server,
    scratch_folder,
    serve,
    server_env,
    sqlite_connections,
)
from tools.sql.server import PgServer, connect, resolve_server  # noqa: E402

ANSWER = (
    "Index orders by (customer_id, created_at DESC) for the history page, and keep the "
    "status filter partial: most rows are settled, and the open ones are few and hot. "
) * 3


@dataclass
class Outcome:
    state: str
    servers: int
    result: LoadResult
    peak_connections: int
    connection_bound: int
    server_cpu_s: float

    def report(self) -> dict[str, object]:
        return {
            "state": self.state,
            "servers": self.servers,
            **summary(self.result),
            "peak_state_connections": self.peak_connections,
            "state_connection_bound": self.connection_bound,
            "server_cpu_s": round(self.server_cpu_s, 2),
        }


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--state", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--model-delay", type=float, default=2.0, help="seconds per model call")
    parser.add_argument("--think", type=float, default=4.0, help="max seconds between messages")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds to start all sessions")
    parser.add_argument("--pool-size", type=int, default=4, help="DBARCH_STATE_POOL_SIZE")
    parser.add_argument("--p99-target", type=float, default=100.0, help="ms")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    return parser.parse_args(argv)


def _spec(args: argparse.Namespace, urls: list[str]) -> LoadSpec:
    return LoadSpec(
        urls=urls, sessions=args.sessions, messages=args.messages,
        model_delay_s=args.model_delay, think_s=args.think, ramp_s=args.ramp,
    )  # fmt: skip


def _common_env(args: argparse.Namespace, pg: PgServer) -> dict[str, str]:
    return {
        "DATABASE_URL": pg.url,
        "DBARCH_RATE_LIMIT_PER_MINUTE": str(args.sessions * 100),
        "DBARCH_STATE_POOL_SIZE": str(args.pool_size),
    }


def run_sqlite(args: argparse.Namespace, pg: PgServer, model_url: str, folder: Path) -> Outcome:
    home = folder / "sqlite-home"
    env = server_env(home, model_url, **_common_env(args, pg))
    with (
        serve(env, folder, "sqlite-server") as server,
        PeakSampler(sqlite_connections([server.pid], home)) as sampler,
    ):
        cpu = server.cpu_seconds()
        result = run(_spec(args, [server.url]))
        cpu = server.cpu_seconds() - cpu
    # one store connection and one checkpointer connection per SQLite file in use
    return Outcome("sqlite", 1, result, sampler.peak, 3, cpu)


@contextmanager
def _state_database(pg: PgServer) -> Iterator[str]:
    name = f"dbarch_chat_load_{secrets.token_hex(4)}"
    with connect(pg.dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with connect(pg.dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_postgresql(args: argparse.Namespace, pg: PgServer, model_url: str, folder: Path) -> Outcome:
    with _state_database(pg) as dbname, ExitStack() as stack:
        url = urlunsplit(urlsplit(pg.url)._replace(path=f"/{dbname}"))
        extra = {**_common_env(args, pg), "DBARCH_STATE_URL": url}
        servers = [
            stack.enter_context(
                serve(server_env(folder / f"pg-home-{i}", model_url, **extra), folder, f"pg-{i}")
            )
            for i in range(2)
        ]
        with PeakSampler(PgConnections(pg.dsn(), dbname)) as sampler:
            cpu = sum(s.cpu_seconds() for s in servers)
            result = run(_spec(args, [s.url for s in servers]))
            cpu = sum(s.cpu_seconds() for s in servers) - cpu
    return Outcome("postgresql", 2, result, sampler.peak, 2 * args.pool_size, cpu)


def _missed(outcome: Outcome, target_ms: float) -> list[str]:
    r = outcome.result
    p99 = summary(r)["message_added_ms"]
    assert isinstance(p99, dict)
    misses = [
        (len(r.failed) > 0, f"{len(r.failed)} failed requests"),
        (r.streams_without_final > 0, f"{r.streams_without_final} streams without a final event"),
        (r.turns_in_history != r.turns_expected,
         f"{r.turns_in_history}/{r.turns_expected} turns in history"),
        (p99["p99"] >= target_ms, f"message p99 added latency {p99['p99']} ms >= {target_ms}"),
        (outcome.peak_connections > outcome.connection_bound,
         f"{outcome.peak_connections} state connections > {outcome.connection_bound}"),
    ]  # fmt: skip
    return [f"{outcome.state}: {text}" for missed, text in misses if missed]


def _print(outcome: Outcome) -> None:
    rep = outcome.report()
    m, c, h = rep["message_added_ms"], rep["create_ms"], rep["history_ms"]
    assert isinstance(m, dict) and isinstance(c, dict) and isinstance(h, dict)
    print(
        f"{outcome.state} state, {outcome.servers} server(s): {rep['requests']} requests, "
        f"{rep['failed']} failed; {rep['streams']} streams, "
        f"{rep['streams_without_final_event']} without a final event; "
        f"{rep['turns_in_history']}/{rep['turns_expected']} turns in history; {rep['wall_s']} s\n"
        f"  message added latency ms: p50 {m['p50']}  p99 {m['p99']}  max {m['max']}\n"
        f"  create ms: p50 {c['p50']}  p99 {c['p99']};  history ms: p50 {h['p50']}  "
        f"p99 {h['p99']}\n"
        f"  state connections: peak {outcome.peak_connections} "
        f"(bound {outcome.connection_bound}); server CPU {rep['server_cpu_s']} s"
    )
    for failure in rep["failures"] if isinstance(rep["failures"], list) else []:
        print(f"  failure: {failure}")


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    pg = resolve_server()
    reply = {"content": [{"type": "text", "text": ANSWER}], "delay_s": args.model_delay}
    outcomes: list[Outcome] = []
    with scratch_folder("chat-load-") as folder, model_server([reply], folder) as model_url:
        if args.state in ("sqlite", "both"):
            outcomes.append(run_sqlite(args, pg, model_url, folder))
        if args.state in ("postgresql", "both"):
            outcomes.append(run_postgresql(args, pg, model_url, folder))
    if args.json:
        print(json.dumps([o.report() for o in outcomes], indent=2))
    else:
        print(f"{args.sessions} sessions x {args.messages} messages, model delay "
              f"{args.model_delay}s, think <= {args.think}s, ramp {args.ramp}s")  # fmt: skip
        for outcome in outcomes:
            _print(outcome)
    misses = [miss for o in outcomes for miss in _missed(o, args.p99_target)]
    for miss in misses:
        print(f"MISSED: {miss}", file=sys.stderr)
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
