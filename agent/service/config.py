"""The service's own settings: `Settings` plus limits, budgets and where shared state lives."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from agent.config import Settings


class ServiceSettings(Settings):
    """Everything `dbarch serve` reads from the environment (DBARCH_*), on top of `Settings`.

    `state_url` selects the shared job/session/rate-limit store: unset means SQLite under
    `home` (one machine), `postgresql://...` lets several server processes share one.
    """

    max_body_bytes: int = 5 * 1024 * 1024
    rate_limit_per_minute: int = 120
    auth_failures_per_minute: int = 20  # refused tokens per client address, then 429
    # Per chat session: user turns, tokens (all kinds), model cost and model wall time.
    session_max_turns: int = 50
    session_max_tokens: int = 2_000_000
    session_max_cost_usd: float = 5.0
    session_max_seconds: float = 3600.0
    chat_persona: str = "architect"
    chat_loop_turns: int = 25  # model calls within one user turn
    workers: int = 1  # design-job worker threads in each server process
    worker_poll_s: float = 0.5
    job_lease_s: float = 60.0  # a running job whose heartbeat is older is claimed again
    job_max_attempts: int = 3  # claims of one job whose worker never finished it, then failed
    # A chat turn holds its session for this long and renews it while it runs (every third of
    # it), so a session whose server died takes its next message after at most this long.
    session_lease_s: float = Field(default=15.0, gt=0.5, le=600)
    sse_poll_s: float = 0.25
    sse_max_s: float = 900.0  # an event stream ends after this; clients resume (Last-Event-ID)
    mount_mcp: bool = True
    eval_suite: Path | None = None  # folder of eval case files; default the built-in suite
    eval_max_jobs: int = 4  # cases an eval job may run at once

    @property
    def chat_checkpoints(self) -> Path:
        return self.home / "chat.sqlite"
