"""The technology decision matrix: fitting choices, explainable scores, determinism."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, REPO

from agent.brains.rules.technology import decide_technology
from agent.spec import load_spec, parse_spec
from agent.stages import TechnologyDecision

EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
CATEGORIES = {"relational", "document", "key-value", "wide-column", "graph", "time-series"}


def decide(name: str) -> TechnologyDecision:
    return decide_technology(load_spec(REPO / "examples" / f"{name}.yaml"))


def weight(decision: TechnologyDecision, criterion: str) -> float:
    return next(c.weight for c in decision.criteria if c.id == criterion)


def row(decision: TechnologyDecision, category: str) -> tuple[int, float]:
    found = next(r for r in decision.matrix if r.category == category)
    return found.rank, found.total


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_matrix_is_complete_explained_and_adds_up(path: Path) -> None:
    decision = decide_technology(load_spec(path))
    assert {r.category for r in decision.matrix} == CATEGORIES
    assert [r.rank for r in decision.matrix] == list(range(1, 7))
    assert all(c.reason for c in decision.criteria)
    total_weight = sum(c.weight for c in decision.criteria)
    for option in decision.matrix:
        assert [s.criterion for s in option.scores] == [c.id for c in decision.criteria]
        assert all(s.reason and 1 <= s.score <= 5 for s in option.scores)
        recomputed = sum(s.weight * s.score for s in option.scores) / (5 * total_weight) * 100
        assert option.total == pytest.approx(recomputed, abs=0.05)
    totals = [r.total for r in decision.matrix]
    assert totals == sorted(totals, reverse=True)
    assert decision.primary.category == decision.matrix[0].category
    assert [a.category for a in decision.alternatives] == [r.category for r in decision.matrix[1:]]
    assert all(a.why_not for a in decision.alternatives)
    assert decision.primary.product in decision.rationale


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_decision_is_deterministic(path: Path) -> None:
    spec = load_spec(path)
    assert decide_technology(spec).model_dump() == decide_technology(spec).model_dump()


def test_telemetry_feed_gets_time_partitioned_postgresql() -> None:
    decision = decide("iot-telemetry")
    assert decision.primary.category == "time-series"
    assert decision.primary.engine == "postgresql"
    assert decision.fits("time-series") and decision.fits("relational")
    assert weight(decision, "time_series") == 3.0
    assert weight(decision, "write_rate") >= 2.0
    assert any("partitioning" in f for f in decision.primary.features)
    assert row(decision, "relational")[0] == 2  # plain PostgreSQL is the runner-up


def test_telemetry_is_recognised_without_the_optional_keys() -> None:
    decision = decide_technology(load_spec(FIXTURES / "spec" / "plain_telemetry.yaml"))
    assert decision.primary.category == "time-series"
    assert "100% of rows" in next(c.reason for c in decision.criteria if c.id == "time_series")


def test_catalog_stays_relational_with_jsonb_and_considers_documents() -> None:
    decision = decide("product-catalog")
    assert decision.primary.category == "relational"
    assert weight(decision, "schema_variability") == 3.0
    assert any("jsonb" in f for f in decision.primary.features)
    document = next(a for a in decision.alternatives if a.category == "document")
    assert document == decision.alternatives[0]  # the strongest alternative
    assert "jsonb" in document.why_not


def test_social_graph_considers_a_graph_database() -> None:
    decision = decide("social-feed")
    assert decision.primary.category == "relational"
    assert weight(decision, "connectedness") >= 2.0
    graph = next(r for r in decision.matrix if r.category == "graph")
    assert graph.rank == 2
    connected = {r.category: s.score for r in decision.matrix for s in r.scores
                 if s.criterion == "connectedness"}  # fmt: skip
    assert connected["graph"] == max(connected.values())
    why = next(a.why_not for a in decision.alternatives if a.category == "graph")
    assert "recursive CTEs" in why


def test_regulated_systems_weigh_consistency_fully() -> None:
    for name in ("clinic-booking", "ledger", "ecommerce-orders"):
        decision = decide(name)
        assert decision.primary.category == "relational", name
        assert weight(decision, "consistency") == 3.0, name
        assert weight(decision, "time_series") == 0.0, name


def test_the_technology_stage_adds_no_cache_on_a_read_rate_alone() -> None:
    """1,370 reads/s is no reason for Redis: the scaling stage decides from each read's cost."""
    assert not [a for a in decide("task-tracker").auxiliary if a.role == "cache"]
    assert decide("clinic-booking").auxiliary == []


def test_a_key_only_firehose_picks_a_key_value_store() -> None:
    """The matrix is not rigged for PostgreSQL: no relations, eventual, 50k writes/s."""
    spec = parse_spec(
        {
            "name": "sessions",
            "consistency": "eventual",
            "workload": "write-heavy",
            "entities": [
                {
                    "name": "session",
                    "rows": "2B",
                    "growth_per_month": "100B",
                    "attributes": {"token": "text! unique", "payload": "json"},
                }
            ],
            "access_patterns": [
                {"name": "get", "per_second": 20000,
                 "sql": "SELECT payload FROM sessions WHERE token = $1"},
                {"name": "put", "per_second": 50000,
                 "sql": "INSERT INTO sessions (token, payload) VALUES ($1, $2)"},
            ],
        }
    )  # fmt: skip
    decision = decide_technology(spec)
    assert decision.primary.category in ("key-value", "wide-column")
    assert any(a.role == "stream" for a in decision.auxiliary)
    relational = next(a for a in decision.alternatives if a.category == "relational")
    assert "write rate" in relational.why_not or "data volume" in relational.why_not


def test_time_series_inference_needs_evidence_and_spares_money_records() -> None:
    from agent.brains.rules.timeseries import time_series_reason

    ledger = load_spec(REPO / "examples" / "ledger.yaml")
    assert [e.name for e in ledger.entities if time_series_reason(ledger, e)] == []
    plain = load_spec(FIXTURES / "spec" / "plain_telemetry.yaml")
    updates = plain.entity("location_update")
    assert updates is not None
    reason = time_series_reason(plain, updates)
    assert reason is not None and "ordered by recorded_at" in reason
    edited = plain.model_copy(
        update={
            "access_patterns": [
                *plain.access_patterns,
                plain.access_patterns[0].model_copy(
                    update={"name": "fix", "sql": "UPDATE location_updates SET speed_kmh = 0"}
                ),
            ]
        }
    )
    assert time_series_reason(edited, updates) is None  # rows that are updated are records
