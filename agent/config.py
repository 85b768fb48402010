"""All configuration in one object, read from the environment once and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from tools.registry import ToolContext
    from tools.sql.server import PgServer


class Settings(BaseSettings):
    """DBARCH_* for the service, ANTHROPIC_* for the model, DATABASE_URL for PostgreSQL."""

    model_config = SettingsConfigDict(env_prefix="DBARCH_", extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    pg_data_dir: Path | None = None  # embedded server's data folder; default ~/.cache/dbarch/pg18
    home: Path = Field(default_factory=lambda: Path.home() / ".dbarch")  # sessions, checkpoints
    # Shared state (runs, jobs, sessions, design checkpoints) for several processes or
    # machines: a postgresql:// URL; unset means SQLite files under `home`.
    state_url: str | None = Field(default=None, validation_alias="DBARCH_STATE_URL")
    # Connections each process may hold to that PostgreSQL (stores and chat checkpoints).
    state_pool_size: int = Field(default=4, ge=1, le=100)

    anthropic_api_key: str | None = Field(default=None, validation_alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(default=None, validation_alias="ANTHROPIC_BASE_URL")
    model: str = "sonnet"  # alias resolved by agent.llm.models
    # Model calls (agent.llm.client): per-call timeouts, one retry layer, default output cap.
    model_timeout_s: float = 120.0
    model_connect_timeout_s: float = 10.0
    model_max_attempts: int = 4
    model_retry_base_s: float = 1.0
    model_retry_max_wait_s: float = 30.0
    model_retry_after_cap_s: float = 60.0
    model_max_tokens: int = 8192
    model_stream: bool = True
    # One design stage's tool loop (anthropic brain): model turns, wall time, cost; None = no cap.
    stage_max_turns: int = 16
    stage_max_seconds: float | None = 600.0
    stage_max_cost_usd: float | None = None
    brain: str = "rules"
    # Eval runs through the Message Batches API: waits between status checks of a batch.
    batch_poll_first_s: float = 5.0
    batch_poll_max_s: float = 60.0

    # Data volumes beyond this many rows per table are sampled down (ratios kept).
    sample_row_cap: int = 200_000
    gate_retries: int = 2

    api_tokens: str = Field(default="", validation_alias="DBARCH_API_TOKENS")
    # The Bash tool, for every door that offers it (chat, sessions, the Claude brain).
    enable_bash: bool = False
    # Bash refuses to run where no network namespace can be made, unless this is set.
    bash_allow_unsandboxed: bool = False

    def tool_context(
        self, workspace: Path, pg: PgServer | None, *, bash: bool = False
    ) -> ToolContext:
        """What the tools may touch here; the one place their switches are read from settings.

        `bash` is a door's own opt-in (`dbarch chat --bash`); DBARCH_ENABLE_BASH turns the
        tool on everywhere it is offered.
        """
        from tools.registry import ToolContext

        return ToolContext(
            workspace=workspace,
            pg=pg,
            bash_enabled=bash or self.enable_bash,
            bash_allow_unsandboxed=self.bash_allow_unsandboxed,
        )

    @property
    def state_path(self) -> Path:
        return self.home / "service.sqlite"

    @property
    def has_model(self) -> bool:
        return bool(self.anthropic_api_key or self.anthropic_base_url)

    @property
    def tokens(self) -> set[str]:
        return {t.strip() for t in self.api_tokens.split(",") if t.strip()}
