"""How much each decision criterion weighs for one spec (0 = irrelevant .. 3 = decisive).

Each weight is a small documented function of the spec's signals, returning the weight and
the facts it rests on, so the matrix can say *why* a criterion mattered.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.brains.rules.signals import HORIZON_MONTHS, Signals
from agent.spec import Requirements
from agent.stages import Criterion

Weigh = Callable[[Requirements, Signals], tuple[float, str]]


def _clamp(value: float) -> float:
    return round(max(0.0, min(3.0, value)), 2)


def relationships(spec: Requirements, s: Signals) -> tuple[float, str]:
    """Integrity between entities: many references and M:N links favour foreign keys."""
    links = s.references + 2 * s.many_to_many
    weight = _clamp(0.5 + links / 4) if links else 0.0
    return weight, f"{s.references} references and {s.many_to_many} many-to-many links"


def consistency(spec: Requirements, s: Signals) -> tuple[float, str]:
    """Transactions: asked for, implied by money, or by a compliance regime."""
    if spec.consistency == "eventual" and not s.money:
        return 1.0, "eventual consistency is acceptable"
    reasons = [f"consistency: {spec.consistency or 'not stated (strong assumed)'}"]
    weight = 3.0 if spec.consistency == "strong" else 2.0
    if s.money:
        weight, reasons = 3.0, [*reasons, "money amounts"]
    if spec.compliance:
        weight, reasons = 3.0, [*reasons, "compliance: " + ", ".join(spec.compliance)]
    return weight, "; ".join(reasons)


def query_flexibility(spec: Requirements, s: Signals) -> tuple[float, str]:
    """Joins and aggregates in the access patterns need a general query engine."""
    if not s.patterns:
        return 2.0, "no access patterns stated: keep queries open"
    weight = _clamp(1 + 0.5 * s.joins + 0.5 * s.aggregates)
    return weight, f"{s.joins} of {s.patterns} patterns join, {s.aggregates} aggregate"


def write_rate(spec: Requirements, s: Signals) -> tuple[float, str]:
    rate = s.writes_per_second
    weight = 0.5 if rate < 100 else 1.0 if rate < 1_000 else 2.0 if rate < 10_000 else 3.0
    return weight, f"~{rate:,.0f} writes/s at peak (stated or from growth)"


def scale(spec: Requirements, s: Signals) -> tuple[float, str]:
    rows = s.rows_horizon
    weight = 0.5 if rows < 10**7 else 1.5 if rows < 10**9 else 2.5 if rows < 10**10 else 3.0
    return weight, f"{rows:,} rows in entity and link tables after {HORIZON_MONTHS} months"


def time_series(spec: Requirements, s: Signals) -> tuple[float, str]:
    """Share of the data that is time-stamped, append-only events."""
    share = s.time_series_share
    return _clamp(3 * share), f"{share:.0%} of rows are time-series or append-only"


def connectedness(spec: Requirements, s: Signals) -> tuple[float, str]:
    """Graph-shaped data: self-referencing M:N links (follows, friends) and recursive queries."""
    weight = _clamp(1.5 * s.self_many_to_many + 1.0 * s.traversals)
    return weight, (
        f"{s.self_many_to_many} self many-to-many links, {s.traversals} traversal queries "
        "(recursive or self-joins)"
    )


def schema_variability(spec: Requirements, s: Signals) -> tuple[float, str]:
    weight = _clamp(0.5 + s.json_entities + 0.5 * s.json_containment)
    return weight, (
        f"{s.json_entities} entities with varying attributes, "
        f"{s.json_containment} containment queries"
    )


def operations(spec: Requirements, s: Signals) -> tuple[float, str]:
    """Every extra store is another thing to run, secure, back up and keep consistent."""
    return 1.5, "constant: one store is cheaper to run than two"


CRITERIA: tuple[tuple[str, str, Weigh], ...] = (
    ("relationships", "Relationships and integrity", relationships),
    ("consistency", "Transactional consistency", consistency),
    ("query_flexibility", "Query flexibility", query_flexibility),
    ("write_rate", "Write rate", write_rate),
    ("scale", "Data volume", scale),
    ("time_series", "Time-series shape", time_series),
    ("connectedness", "Graph connectedness", connectedness),
    ("schema_variability", "Schema variability", schema_variability),
    ("operations", "Operational simplicity", operations),
)


def weigh(spec: Requirements, signals: Signals) -> list[Criterion]:
    criteria = []
    for criterion_id, label, function in CRITERIA:
        weight, reason = function(spec, signals)
        criteria.append(Criterion(id=criterion_id, label=label, weight=weight, reason=reason))
    return criteria
