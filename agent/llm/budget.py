"""Loop budgets (turns, tokens, wall time, cost); the loop raises `LoopBudgetExceeded`."""

from __future__ import annotations

from dataclasses import dataclass

from agent.llm.usage import Usage


@dataclass(frozen=True)
class Budget:
    """Limits for one tool loop; None means unlimited. Turns count model calls."""

    max_turns: int = 25
    max_tokens: int | None = None
    max_seconds: float | None = None
    max_cost_usd: float | None = None

    def spent(self, turns: int, usage: Usage) -> tuple[str, float, float] | None:
        """The first budget already used up, as (name, limit, used); checked before each call."""
        if turns >= self.max_turns:
            return ("turns", self.max_turns, turns)
        if self.max_tokens is not None and usage.total_tokens >= self.max_tokens:
            return ("tokens", self.max_tokens, usage.total_tokens)
        if self.max_cost_usd is not None and usage.cost_usd >= self.max_cost_usd:
            return ("cost_usd", self.max_cost_usd, usage.cost_usd)
        return None
