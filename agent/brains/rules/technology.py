"""The rules brain's technology stage: a scored decision matrix over six kinds of store.

score(option) = sum(weight_c * rating_c) / (5 * sum(weight_c)) * 100, where the weights come
from the spec (`criteria.py`) and the ratings are fixed properties of each option
(`options.py`). Ties go to the earlier option in `OPTIONS` (PostgreSQL first: one store is
cheaper to run). Every number in the result carries the reason behind it.
"""

from __future__ import annotations

from agent.brains.rules.criteria import weigh
from agent.brains.rules.options import OPTIONS, POSTGRES_COUNTERPART, Option
from agent.brains.rules.signals import Signals, collect
from agent.brains.rules.timeseries import time_series_reason
from agent.pg_target import target_of
from agent.spec import Entity, Requirements
from agent.stages import (
    Alternative,
    AuxiliaryStore,
    Criterion,
    CriterionScore,
    OptionScore,
    StoreChoice,
    TechnologyDecision,
)
from tools.sql.pg_features import NEWEST

STREAM_WRITES_PER_SECOND = 10_000


def decide_technology(spec: Requirements) -> TechnologyDecision:
    """Deterministic: the same spec always gives the same matrix, winner and reasons."""
    signals = collect(spec)
    criteria = weigh(spec, signals)
    scored = sorted(
        (_score(option, criteria) for option in OPTIONS),
        key=lambda row: (-row.total, [o.product for o in OPTIONS].index(row.product)),
    )
    option = next(o for o in OPTIONS if o.product == scored[0].product)
    matrix = [
        row.model_copy(update={"rank": rank, "product": _versioned(row.product, spec)})
        for rank, row in enumerate(scored, 1)
    ]
    winner = matrix[0]
    return TechnologyDecision(
        primary=StoreChoice(
            category=option.category,
            product=_versioned(option.product, spec),
            engine=option.engine,
            features=_features(spec, option, signals),
        ),
        criteria=criteria,
        matrix=matrix,
        alternatives=[_why_not(row, winner, criteria) for row in matrix[1:]],
        auxiliary=_auxiliary(spec, signals),
        rationale=_rationale(winner, criteria),
        assumptions=_assumptions(spec),
    )


def _versioned(product: str, spec: Requirements) -> str:
    """The options name the newest PostgreSQL; a design for an older target names its own."""
    return product.replace(f"PostgreSQL {NEWEST}", f"PostgreSQL {target_of(spec)}")


def _score(option: Option, criteria: list[Criterion]) -> OptionScore:
    series_weight = next((c.weight for c in criteria if c.id == "time_series"), 0.0)
    scores = []
    for c in criteria:
        score, reason = option.rating(c.id, series_weight)
        scores.append(CriterionScore(criterion=c.id, weight=c.weight, score=score, reason=reason))
    total_weight = sum(c.weight for c in criteria) or 1.0
    total = sum(s.weight * s.score for s in scores) / (5 * total_weight) * 100
    return OptionScore(
        category=option.category,
        product=option.product,
        engine=option.engine,
        scores=scores,
        total=round(total, 1),
        rank=0,
    )


def _why_not(row: OptionScore, winner: OptionScore, criteria: list[Criterion]) -> Alternative:
    """The criteria where the option loses most weighted points against the winner."""
    labels = {c.id: c.label.lower() for c in criteria}
    theirs = {s.criterion: s for s in row.scores}
    losses = sorted(
        (
            (s.weight * (s.score - theirs[s.criterion].score), s, theirs[s.criterion])
            for s in winner.scores
        ),
        key=lambda item: -item[0],
    )
    parts = [
        f"weaker on {labels[ours.criterion]} ({other.score} vs {ours.score}, weight "
        f"{ours.weight:g}: {other.reason})"
        for lost, ours, other in losses[:2]
        if lost > 0
    ]
    counterpart = POSTGRES_COUNTERPART.get(row.category, "")
    if counterpart and winner.engine == "postgresql" and row.category != winner.category:
        parts.append(counterpart)
    why = "; ".join(parts) or "no criterion where it is ahead of the choice"
    return Alternative(category=row.category, product=row.product, total=row.total, why_not=why)


def _features(spec: Requirements, option: Option, signals: Signals) -> list[str]:
    features = list(option.features)
    if option.engine != "postgresql":
        return features
    if any(time_series_reason(spec, e) for e in spec.entities):
        features.append("declarative RANGE partitioning by time with retention")
    if signals.json_entities:
        features.append("jsonb with GIN indexes for varying attributes (no EAV)")
    if spec.tenancy == "shared-schema":
        features.append("row-level security per tenant")
    if spec.compliance:
        features.append("audit log written by triggers")
    located = [e.name for e in spec.entities if _has_location(e)]
    if located:
        features.append(
            f"locations of {', '.join(located)}: PostGIS geography points with a GiST index "
            "(ST_DWithin) where the server has PostGIS; without it, a btree on (lat, lon) "
            "serves bounding boxes and cube/earthdistance with GiST serves distances"
        )
    return list(dict.fromkeys(features))


_LATITUDE, _LONGITUDE = {"lat", "latitude"}, {"lon", "lng", "long", "longitude"}


def _has_location(entity: Entity) -> bool:
    """A latitude and a longitude attribute: points on the map."""
    names = {name.lower() for name in entity.attributes}
    return bool(names & _LATITUDE) and bool(names & _LONGITUDE)


def _auxiliary(spec: Requirements, signals: Signals) -> list[AuxiliaryStore]:
    # No cache here: whether one is needed depends on what each read costs at the stated
    # volume, which the scaling stage knows from the index gate's plans (`scaling.serve`).
    found = []
    if signals.text_search:
        found.append(
            AuxiliaryStore(
                role="search",
                product="PostgreSQL full-text search (tsvector + GIN); OpenSearch if "
                "relevance tuning is needed",
                reason=f"{signals.text_search} patterns search text by pattern or relevance",
            )
        )
    if signals.recursive:
        found.append(
            AuxiliaryStore(
                role="graph",
                product="Neo4j for the multi-hop walks (Apache AGE keeps them in PostgreSQL)",
                reason=f"{signals.recursive} patterns walk links recursively: recursive CTEs "
                "serve a few hops; a graph store's traversal cost stays per hop beyond that",
            )
        )
    if signals.writes_per_second >= STREAM_WRITES_PER_SECOND:
        found.append(
            AuxiliaryStore(
                role="stream",
                product="Kafka (or a managed log) buffering ingest",
                reason=f"~{signals.writes_per_second:,.0f} writes/s: absorb bursts and load "
                "in batches (COPY) instead of row-by-row inserts",
            )
        )
    return found


def _rationale(winner: OptionScore, criteria: list[Criterion]) -> str:
    top = sorted(winner.scores, key=lambda s: -s.weight * s.score)[:3]
    labels = {c.id: c.label.lower() for c in criteria}
    reasons = ", ".join(
        f"{labels[s.criterion]} (weight {s.weight:g}, {s.score}/5: {s.reason})" for s in top
    )
    return (
        f"{winner.product} ({winner.category}) scores {winner.total:g}/100, the highest of "
        f"{len(OPTIONS)} options. It carries the criteria that weigh most here: {reasons}."
    )


def _assumptions(spec: Requirements) -> list[str]:
    found = []
    if spec.consistency is None:
        found.append("consistency not stated: strong consistency assumed")
    if not spec.access_patterns:
        found.append("no access patterns: query flexibility weighted as unknown (2)")
    missing = [e.name for e in spec.entities if e.rows is None]
    if missing:
        found.append(f"no row counts for {', '.join(missing)}: 10,000 rows assumed")
    return found
