"""Chat-session accounting (turns, tokens, cost, model time) and the one-message-at-a-time lock.

The conversation itself is a LangGraph thread in the checkpointer; this table holds what
budgets and metrics need, shared by every server process. A session takes one message at a
time: `claim` marks it busy until a deadline, so a crashed process cannot wedge it forever.
"""

from __future__ import annotations

import time

from pydantic import BaseModel

from agent.statedb import Database, Row

_COLUMNS = (
    "id, persona, principal, created_at, updated_at, turns, tokens, input_tokens, "
    "output_tokens, cost_usd, seconds"
)


class SessionRecord(BaseModel):
    id: str
    persona: str
    principal: str  # who started it (see `agent.service.auth.principal`)
    created_at: float
    updated_at: float
    turns: int = 0
    tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0

    @classmethod
    def from_row(cls, row: Row) -> SessionRecord:
        keys = [k.strip() for k in _COLUMNS.split(",")]
        return cls.model_validate(dict(zip(keys, row, strict=True)))


class TurnUsage(BaseModel):
    """What one user turn spent; added to the session when the turn ends (or fails)."""

    tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0


class SessionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, session_id: str, persona: str, principal: str) -> SessionRecord:
        now = time.time()
        self.db.execute(
            "INSERT INTO chat_sessions (id, persona, principal, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (session_id, persona, principal, now, now),
        )
        record = self.owned(session_id, principal)
        assert record is not None
        return record

    def owned(self, session_id: str, principal: str) -> SessionRecord | None:
        """The session if `principal` started it; None for anyone else."""
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM chat_sessions WHERE id = ? AND principal = ?",
            (session_id, principal),
        )
        return SessionRecord.from_row(rows[0]) if rows else None

    def claim(self, session_id: str, hold_s: float) -> bool:
        """Mark the session busy for at most `hold_s`; False when another turn holds it."""
        now = time.time()
        changed = self.db.execute(
            "UPDATE chat_sessions SET busy_until = ? "
            "WHERE id = ? AND (busy_until IS NULL OR busy_until < ?)",
            (now + hold_s, session_id, now),
        )
        return changed == 1

    def release(self, session_id: str, usage: TurnUsage) -> None:
        """Count the turn and what it spent, and let the next message in."""
        self.db.execute(
            "UPDATE chat_sessions SET busy_until = NULL, updated_at = ?, turns = turns + 1, "
            "tokens = tokens + ?, input_tokens = input_tokens + ?, "
            "output_tokens = output_tokens + ?, cost_usd = cost_usd + ?, seconds = seconds + ? "
            "WHERE id = ?",
            (time.time(), usage.tokens, usage.input_tokens, usage.output_tokens,
             usage.cost_usd, usage.seconds, session_id),
        )  # fmt: skip

    def totals(self) -> TurnUsage:
        """Everything every session spent: the metrics' model tokens and cost."""
        rows = self.db.query(
            "SELECT COALESCE(SUM(tokens), 0), COALESCE(SUM(input_tokens), 0), "
            "COALESCE(SUM(output_tokens), 0), COALESCE(SUM(cost_usd), 0), "
            "COALESCE(SUM(seconds), 0) FROM chat_sessions"
        )
        tokens, inp, out, cost, seconds = rows[0]
        return TurnUsage(
            tokens=int(tokens),
            input_tokens=int(inp),
            output_tokens=int(out),
            cost_usd=float(cost),
            seconds=float(seconds),
        )
