"""Per-session budgets: turns, tokens, cost and model wall time, checked before every turn.

A spent budget refuses the next message with a 409 that names the budget; within a turn the
tool loop gets only what is left, so one long answer cannot overshoot by much.
"""

from __future__ import annotations

from agent.llm import Budget
from agent.service.config import ServiceSettings
from agent.service.stores import SessionRecord
from tools.errors import BudgetExceeded


def _limits(record: SessionRecord, settings: ServiceSettings) -> list[tuple[str, float, float]]:
    return [
        ("turns", settings.session_max_turns, record.turns),
        ("tokens", settings.session_max_tokens, record.tokens),
        ("cost_usd", settings.session_max_cost_usd, record.cost_usd),
        ("seconds", settings.session_max_seconds, record.seconds),
    ]


def check_budgets(record: SessionRecord, settings: ServiceSettings) -> None:
    """Raise `BudgetExceeded` naming the first budget this session has used up."""
    for name, limit, used in _limits(record, settings):
        if used >= limit:
            raise BudgetExceeded(name, limit, used)


def remaining(record: SessionRecord, settings: ServiceSettings) -> dict[str, float]:
    return {name: max(0.0, limit - used) for name, limit, used in _limits(record, settings)}


def loop_budget(record: SessionRecord, settings: ServiceSettings) -> Budget:
    """The tool loop's budget for one turn: what the session has left, in each dimension."""
    left = remaining(record, settings)
    return Budget(
        max_turns=settings.chat_loop_turns,
        max_tokens=int(left["tokens"]),
        max_cost_usd=left["cost_usd"],
        max_seconds=left["seconds"],
    )
