"""Chat-session accounting (turns, tokens, cost, model time) and the one-message-at-a-time lock.

The conversation itself is a LangGraph thread in the checkpointer; this table holds what
budgets and metrics need, shared by every server process. A session takes one message at a
time: `claim` leases it for a short time, the turn renews the lease while it runs, so a
session whose server died takes messages again as soon as the lease runs out.
"""

from __future__ import annotations

import time

from pydantic import BaseModel

from agent.store import Database, Row

_COLUMNS = (
    "id, persona, principal, created_at, updated_at, turns, tokens, input_tokens, "
    "output_tokens, cost_usd, seconds"
)


class SessionRecord(BaseModel):
    id: str
    persona: str
    principal: str  # who started it (see `agent.service.guards.auth.principal`)
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
    """What one user turn spent on the model; added to the session when the turn ends."""

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

    def claim(self, session_id: str, lease_s: float) -> float | None:
        """Hold the session for `lease_s` seconds; None when another turn holds it.

        Returns the lease: the time it runs out, which is also the holder's token (only the
        holder knows the exact value), so renewing and releasing need no extra column.
        """
        now = time.time()
        lease = now + lease_s
        changed = self.db.execute(
            "UPDATE chat_sessions SET busy_until = ? "
            "WHERE id = ? AND (busy_until IS NULL OR busy_until < ?)",
            (lease, session_id, now),
        )
        return lease if changed == 1 else None

    def renew(self, session_id: str, lease: float, lease_s: float) -> float | None:
        """Extend a lease this turn still holds; None when it was lost (it ran out and another
        server claimed the session)."""
        renewed = max(time.time() + lease_s, lease)
        changed = self.db.execute(
            "UPDATE chat_sessions SET busy_until = ? WHERE id = ? AND busy_until = ?",
            (renewed, session_id, lease),
        )
        return renewed if changed == 1 else None

    def finish(self, session_id: str, lease: float, usage: TurnUsage, completed: bool) -> None:
        """Add what the turn spent, count the turn only if it `completed`, and let the next
        message in (unless the lease was lost: then it is another turn's to release)."""
        self.db.execute(
            "UPDATE chat_sessions SET "
            "busy_until = CASE WHEN busy_until = ? THEN NULL ELSE busy_until END, "
            "updated_at = ?, turns = turns + ?, tokens = tokens + ?, "
            "input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, "
            "cost_usd = cost_usd + ?, seconds = seconds + ? WHERE id = ?",
            (lease, time.time(), int(completed), usage.tokens, usage.input_tokens,
             usage.output_tokens, usage.cost_usd, usage.seconds, session_id),
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
