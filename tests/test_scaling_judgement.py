"""Judgement that fits the spec: caches only where the database cannot serve a read, in the
form the stated consistency allows; materialized views only when the cost at the stated
volume calls for one (with their DDL and the RLS caveat); every stated region placed."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from rules_design import EXAMPLE_NAMES, EXAMPLES, NO_INDEXES, Compiled, example, from_dict

from agent.brains.rules.scaling import plan_scaling
from agent.package import PatternPlan
from agent.stages import ScalingPlan
from tools.sql.parse import parse_schema
from tools.sql.server import PgServer, scratch_database
from tools.sql.validate import apply_statements


def _plan(compiled: Compiled, plans: list[PatternPlan] | None = None) -> ScalingPlan:
    return plan_scaling(compiled.spec, compiled.tech, compiled.schema, NO_INDEXES, plans or [])


def _data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    return copy.deepcopy(data)


def _pattern(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in data["access_patterns"] if p["name"] == name)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_strong_consistency_never_gets_a_cache_that_serves_stale_values(name: str) -> None:
    compiled = example(name)
    plan = _plan(compiled)
    if compiled.spec.consistency == "strong":
        assert not [c for c in plan.caching if c.ttl_seconds and "Redis" in c.layer]
        assert not [c for c in plan.caching if c.layer == "materialized view"]
    assert not [c for c in plan.caching if "TTL only" in c.invalidation and "30 s" in c.reason]


def test_the_database_serves_the_task_tracker_reads_so_nothing_is_cached() -> None:
    """1,370 reads/s of index lookups fit one 8-core primary: no Redis, no view."""
    plan = _plan(example("task-tracker"))
    assert plan.caching == []
    assert {r.served_by for r in plan.reads} == {"primary"}
    assert all(r.cost_source == "assumed" for r in plan.reads)  # no plans given
    assert any(n.startswith("Read capacity:") for n in plan.notes)


def test_a_board_count_of_cost_27_gets_no_materialized_view() -> None:
    """The aggregate reads one project's tasks: cheap at the stated volume, so no view."""
    compiled = example("task-tracker")
    cheap = [PatternPlan(pattern="board counts per status", total_cost=27, stated_cost=27)]
    board = next(r for r in _plan(compiled, cheap).reads if r.pattern == "board counts per status")
    assert board.served_by == "primary" and board.cost_source == "planned"
    assert board.ms_per_call < 2.0


def test_over_capacity_under_strong_consistency_sizes_the_primary_instead_of_caching() -> None:
    data = _data("task-tracker")
    _pattern(data, "comments of a task")["per_second"] = 100_000
    plan = _plan(from_dict(data))
    comments = next(r for r in plan.reads if r.pattern == "comments of a task")
    assert comments.served_by == "primary, scaled up"
    assert "Strong consistency rules out a cache" in comments.reason and "cores" in comments.reason
    assert plan.caching == []


def test_over_capacity_under_eventual_consistency_caches_the_heaviest_lookup() -> None:
    data = _data("social-feed")
    _pattern(data, "home feed")["per_second"] = 200_000
    plan = _plan(from_dict(data))
    [cache] = plan.caching
    assert cache.target == "home feed" and "Redis" in cache.layer
    assert "publish a post" in cache.invalidation and cache.ttl_seconds == 60
    assert {r.served_by for r in plan.reads if r.pattern != "home feed"} == {"primary and replicas"}


def test_a_latency_target_the_database_cannot_meet_asks_for_help() -> None:
    data = _data("social-feed")
    _pattern(data, "user by handle")["latency_ms"] = 1
    plan = _plan(from_dict(data))
    [cache] = plan.caching
    assert cache.target == "user by handle" and "over its 1 ms target" in cache.reason


def _costly_board() -> tuple[Compiled, list[PatternPlan]]:
    """The board count under eventual consistency, at a cost that grows with the volume."""
    data = _data("task-tracker")
    data["consistency"] = "eventual"
    compiled = from_dict(data)
    costly = [
        PatternPlan(
            pattern="board counts per status",
            total_cost=2_000,
            stated_cost=1_200_000,
            reads_whole=["tasks"],
        )
    ]
    return compiled, costly


def test_an_aggregate_too_costly_at_the_stated_volume_gets_a_view_with_ddl_and_rls_caveat() -> None:
    compiled, costly = _costly_board()
    [view] = _plan(compiled, costly).caching
    assert view.layer == "materialized view" and view.ddl is not None
    assert "CREATE MATERIALIZED VIEW board_counts_per_status_mv" in view.ddl
    assert "GROUP BY project_id, company_id, status" in view.ddl  # $1 became a key
    assert "CREATE UNIQUE INDEX" in view.ddl and "CONCURRENTLY" in view.invalidation
    assert view.caveat is not None and "ignores row-level security" in view.caveat
    assert "company_id" in view.caveat


def test_the_proposed_view_applies_on_the_schema(pg: PgServer) -> None:
    compiled, costly = _costly_board()
    [view] = _plan(compiled, costly).caching
    schema = parse_schema(compiled.schema.ddl + "\n" + (view.ddl or ""), file="view.sql")
    with scratch_database(pg) as db:
        result = apply_statements(schema, db)
    assert result.valid, result.errors


def test_two_regions_place_the_primary_replicas_reads_and_the_write_path() -> None:
    plan = _plan(example("social-feed"))
    regions = plan.regions
    assert regions is not None
    assert (regions.primary, regions.replicas) == ("us-east-1", ["eu-west-1"])
    reads = [p.name for p in example("social-feed").spec.access_patterns if not p.is_write]
    assert regions.local_reads == reads and regions.primary_reads == []
    assert regions.write_round_trip_ms == 70 and "eu-west-1 ~70 ms" in regions.write_path
    assert "GDPR" in regions.distributed_when and "CockroachDB" in regions.distributed_when
    assert plan.replicas.read_replicas >= 2  # a standby plus the replica in eu-west-1


def test_strong_consistency_across_regions_reads_the_primary_and_flags_tight_writes() -> None:
    data = _data("task-tracker")
    data["regions"] = ["eu-west-1", "us-east-1"]
    _pattern(data, "create a task")["latency_ms"] = 20
    regions = _plan(from_dict(data)).regions
    assert regions is not None and regions.local_reads == []
    assert "my open tasks" in regions.primary_reads
    assert regions.distributed_when.startswith("Due now: create a task")


def test_one_region_puts_everything_there() -> None:
    regions = _plan(example("task-tracker")).regions
    assert regions is not None and regions.primary == "eu-west-1" and regions.replicas == []
    assert _plan(example("ledger")).regions is None  # no region stated
