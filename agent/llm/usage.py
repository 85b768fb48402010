"""Token usage and its cost, per call and accumulated per session."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.llm.models import Pricing


@dataclass(frozen=True)
class Usage:
    """Token counts as the Messages API reports them, plus their cost in USD."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0

    @classmethod
    def priced(cls, pricing: Pricing, counts: dict[str, Any]) -> Usage:
        """Build one call's usage from the API's `usage` object (missing counts are zero)."""
        inp = int(counts.get("input_tokens") or 0)
        out = int(counts.get("output_tokens") or 0)
        write = int(counts.get("cache_creation_input_tokens") or 0)
        read = int(counts.get("cache_read_input_tokens") or 0)
        cost = pricing.cost(inp, out, write, read)
        return cls(inp, out, write, read, cost, 1)

    @property
    def total_tokens(self) -> int:
        """Every token processed: budgets count cached input too, it still fills the context."""
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_creation_input_tokens
            + self.cache_read_input_tokens
        )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            self.cache_read_input_tokens + other.cache_read_input_tokens,
            self.cost_usd + other.cost_usd,
            self.calls + other.calls,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "calls": self.calls,
        }


@dataclass
class CallRecord:
    """One model call as a ledger line: which model, which request, what it cost."""

    model: str
    usage: Usage
    request_id: str | None = None
    attempts: int = 1


@dataclass
class UsageLedger:
    """Per-session accumulator: every call's record and the running total."""

    records: list[CallRecord] = field(default_factory=list)
    total: Usage = field(default_factory=Usage)

    def add(self, record: CallRecord) -> Usage:
        self.records.append(record)
        self.total = self.total + record.usage
        return self.total
