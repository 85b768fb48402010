"""Model aliases and per-million-token prices: the one table every cost figure comes from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pricing:
    """USD per million tokens; cache writes are the 5-minute ephemeral rate we use."""

    input: float
    output: float
    cache_write: float
    cache_read: float

    def cost(self, input: int, output: int, cache_write: int = 0, cache_read: int = 0) -> float:
        total = (
            input * self.input
            + output * self.output
            + cache_write * self.cache_write
            + cache_read * self.cache_read
        )
        return total / 1_000_000


@dataclass(frozen=True)
class ModelInfo:
    """A resolved model: the id sent on the wire and the prices its usage is charged at.

    `exact_price` is False when the id is not in the table and a family or worst-case price
    stands in, so cost budgets are never under-counted for an id we do not know.
    """

    id: str
    pricing: Pricing
    alias: str | None = None
    exact_price: bool = True


# Source: Anthropic's pricing pages (platform.claude.com/docs, models overview), 2026.
PRICES: dict[str, Pricing] = {
    "claude-opus-5-5": Pricing(4.0, 20.0, 5.0, 0.20),
    "claude-opus-5": Pricing(5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-6": Pricing(5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-5": Pricing(5.0, 25.0, 6.25, 0.50),
    "claude-sonnet-5-5": Pricing(2.0, 10.0, 2.50, 0.20),
    "claude-sonnet-5": Pricing(2.0, 10.0, 2.50, 0.20),
    "claude-sonnet-4-6": Pricing(3.0, 15.0, 3.75, 0.30),
    "claude-sonnet-4-5": Pricing(3.0, 15.0, 3.75, 0.30),
    "claude-haiku-4-5": Pricing(1.0, 5.0, 1.25, 0.10),
}

ALIASES: dict[str, str] = {
    "opus": "claude-opus-5-5",
    "sonnet": "claude-sonnet-5-5",
    "haiku": "claude-haiku-4-5",
}

# Message Batches: the same tokens at half the price (asynchronous, results within 24 hours).
BATCH_PRICE_FACTOR = 0.5

_WORST_CASE = max(PRICES.values(), key=lambda p: p.output)


def _fallback_price(model_id: str) -> Pricing:
    """Unknown ids (dated snapshots, compatible endpoints) are priced by family, else worst case."""
    for family, alias_id in ALIASES.items():
        if family in model_id:
            return PRICES[alias_id]
    return _WORST_CASE


def resolve_model(alias_or_id: str, pricing: Pricing | None = None) -> ModelInfo:
    """Turn 'sonnet' / 'claude-sonnet-5-5' / any endpoint's id into a `ModelInfo`.

    `pricing` overrides the table (a compatible endpoint with its own tariff).
    """
    name = alias_or_id.strip()
    if not name:
        raise ValueError("model name is empty")
    alias = name.lower() if name.lower() in ALIASES else None
    model_id = ALIASES[alias] if alias else name
    if pricing is not None:
        return ModelInfo(model_id, pricing, alias, True)
    known = _strip_date(model_id) in PRICES
    price = PRICES[_strip_date(model_id)] if known else _fallback_price(model_id)
    return ModelInfo(model_id, price, alias, known)


def _strip_date(model_id: str) -> str:
    """'claude-haiku-4-5-20251001' is priced like 'claude-haiku-4-5'."""
    head, _, tail = model_id.rpartition("-")
    return head if tail.isdigit() and len(tail) == 8 else model_id
