"""The rules brain's scaling plan on the example specs, compiled by the real schema stage."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
import yaml
from rules_design import EXAMPLE_NAMES, EXAMPLES, NO_INDEXES, Compiled, example, from_dict

from agent.brains.rules.scaling import plan_scaling, workload_rates
from agent.brains.rules.scaling.capacity import READS_PER_NODE, node_cores, pool_size
from agent.brains.rules.scaling.sizes import index_bytes
from agent.brains.rules.scaling.widths import btree_bytes, column_bytes, heap_row_bytes
from agent.naming import table_name
from agent.package import PatternPlan
from agent.stages import IndexPlan, IndexRecommendation, ScalingPlan


def plan(compiled: Compiled, indexes: IndexPlan = NO_INDEXES) -> ScalingPlan:
    return plan_scaling(compiled.spec, compiled.tech, compiled.schema, indexes)


def example_data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    return copy.deepcopy(data)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_entity_is_sized_and_every_size_explained(name: str) -> None:
    compiled = example(name)
    result = plan(compiled)
    sizes = {s.table: s for s in result.sizes}
    for entity in compiled.spec.entities:
        size = sizes[table_name(entity.name)]
        assert size.rows_now == (entity.rows if entity.rows is not None else 10_000)
        assert size.bytes_now is not None and size.bytes_36m is not None
        assert size.bytes_36m >= size.bytes_now > 0
        assert any(n.startswith(f"{size.table}: ") for n in result.notes), size.table
    assert result.backup is not None and result.security and result.monitoring
    assert plan(compiled) == result  # deterministic


def test_row_width_follows_the_documented_table() -> None:
    assert [column_bytes(t) for t in ("integer", "bigint", "timestamptz", "uuid", "date")] == [
        4,
        8,
        8,
        16,
        4,
    ]
    assert column_bytes("numeric(19,4)") == (math.ceil(19 / 4) + 2) * 2
    assert column_bytes("varchar(10)") == 11 and column_bytes("text") == 33
    assert column_bytes("char(3)") == 4
    assert column_bytes("device_status", frozenset({"device_status"})) == 4
    sites = example("iot-telemetry").schema.table("sites")
    assert sites is not None
    widths = [column_bytes(c.type) for c in sites.columns]
    size = next(s for s in plan(example("iot-telemetry")).sizes if s.table == "sites")
    assert size.row_bytes == heap_row_bytes(widths) == 24 + 4 + math.ceil(sum(widths) / 8) * 8


def test_telemetry_partitions_with_retention_dropped_never_deleted() -> None:
    compiled = example("iot-telemetry")
    result = plan(compiled)
    [part] = result.partitioning
    assert (part.table, part.column, part.interval) == ("readings", "recorded_at", "1 day")
    assert part.retention == "90 days"
    assert "pg_partman" in part.mechanism and "DROP" in part.mechanism
    assert "Never DELETE" in part.mechanism
    readings = next(s for s in result.sizes if s.table == "readings")
    growth = 4_300_000_000
    cap = math.ceil(growth * (90 / 30 + 1 / 30))  # retention + one daily partition
    assert readings.rows_now == 13_000_000_000
    assert readings.rows_12m == readings.rows_36m == cap
    assert any("Partitions of readings" in m for m in result.monitoring)


def test_read_heavy_rates_get_read_replicas_on_top_of_the_standby() -> None:
    data = example_data("product-catalog")
    data["consistency"] = "eventual"  # reads may lag: replicas can serve them
    for pattern in data["access_patterns"]:
        if not pattern["sql"].lstrip().lower().startswith(("insert", "update", "delete")):
            pattern["per_second"] = 4_000
    compiled = from_dict(data)
    rates = workload_rates(compiled.spec)
    result = plan(compiled)
    for_reads = math.ceil(rates.reads / READS_PER_NODE) - 1
    assert for_reads >= 2
    assert result.replicas.read_replicas == 1 + for_reads  # one standby for 99.95%
    assert f"{rates.reads:,.0f} reads/s" in result.replicas.reason
    data["consistency"] = "strong"  # reads stay on the primary: replicas are standbys only
    strong = plan(from_dict(data)).replicas
    assert strong.read_replicas == 1 and "strong consistency keeps reads" in strong.reason


def test_four_nines_and_zero_rpo_make_replication_synchronous() -> None:
    ledger = plan(example("ledger"))  # availability 99.99%, rpo 0 seconds
    assert ledger.replicas.synchronous and ledger.replicas.read_replicas >= 2
    telemetry = plan(example("iot-telemetry"))
    assert not telemetry.replicas.synchronous
    assert telemetry.replicas.read_replicas == 1  # 99.9% -> one standby, reads fit one node


def test_pool_size_follows_the_formula() -> None:
    data = example_data("task-tracker")
    data["access_patterns"][0].update(per_second=1_000, latency_ms=50)
    compiled = from_dict(data)
    rates = workload_rates(compiled.spec)
    cores = node_cores(rates)
    assert rates.concurrency > 50  # 1,000/s x 50 ms alone keeps 50 connections busy
    assert cores == 32  # 8 -> 16 -> 32: doubled while concurrency > 2 x cores
    result = plan(compiled)
    assert result.pooling.pool_size == pool_size(cores) == cores * 2 + 1
    assert result.pooling.max_client_connections == 700  # 10 per slot, rounded up to 100
    assert result.pooling.mode == "transaction" and result.pooling.pooler == "PgBouncer"
    assert "cores x 2 + 1" in result.pooling.reason


@pytest.mark.parametrize("name", [n for n in EXAMPLE_NAMES if n != "social-feed"])
def test_examples_do_not_need_sharding(name: str) -> None:
    sharding = plan(example(name)).sharding
    assert not sharding.needed
    assert "TB" in sharding.trigger and "writes" in sharding.trigger


def test_social_feed_outgrows_one_node_and_distributes_only_tables_with_the_key() -> None:
    """20B likes growing 400/s and 3B follows growing 60M/month pass 4 TB within 36 months."""
    result = plan(example("social-feed"))
    total = sum(s.bytes_36m or 0 for s in result.sizes)
    assert result.sharding.needed and total > 4 * 1024**4
    assert f"{total / 1024**4:.2f} TB" in result.sharding.trigger
    approach = result.sharding.approach or ""
    assert result.sharding.key == "post_id"
    assert "post_likes (post_id)" in approach and "posts (id)" in approach
    assert "user_followers by " in approach  # no post_id there: its own group
    assert "user_followers (post_id)" not in approach


def test_huge_multi_tenant_spec_shards_with_citus_by_tenant() -> None:
    data = example_data("task-tracker")
    for entity in data["entities"]:
        if entity["name"] in ("task", "comment"):
            entity["rows"] = 20_000_000_000
            entity["growth_per_month"] = 500_000_000
    compiled = from_dict(data)
    result = plan(compiled)
    total = sum(s.bytes_36m or 0 for s in result.sizes)
    assert total > 4 * 1024**4
    assert result.sharding.needed
    assert result.sharding.key == compiled.schema.tenancy.tenant_column == "company_id"
    assert result.sharding.approach and "Citus" in result.sharding.approach
    assert "company_id" in result.sharding.approach


def test_write_rate_past_one_primary_shards_by_the_series_key() -> None:
    data = example_data("iot-telemetry")
    data["access_patterns"][0]["per_second"] = 25_000
    result = plan(from_dict(data))
    assert result.sharding.needed
    assert result.sharding.key == "device_id"
    assert "write rate" in result.sharding.reason


def test_caching_names_its_invalidation_and_rolls_up_series() -> None:
    """Reads the database cannot serve at the stated volume: a rollup for the series
    aggregate, a cache invalidated by the stated ingest for the hot lookup."""
    costly = [
        PatternPlan(pattern="hourly averages of a device metric", total_cost=1, stated_cost=5e6),
        PatternPlan(pattern="last hour of a device", total_cost=1, stated_cost=2e5),
    ]
    compiled = example("iot-telemetry")
    result = plan_scaling(compiled.spec, compiled.tech, compiled.schema, NO_INDEXES, costly)
    telemetry = {c.target: c for c in result.caching}
    rollup = telemetry["hourly averages of a device metric"]
    assert "rollup" in rollup.layer and "partition" in rollup.invalidation
    hot = telemetry["last hour of a device"]  # 300 reads/s of a table the ingest writes
    assert "Redis" in hot.layer and hot.ttl_seconds == 60
    assert "ingest a reading" in hot.invalidation
    assert set(telemetry) == {"hourly averages of a device metric", "last hour of a device"}


def test_backup_uses_stated_objectives_or_the_documented_defaults() -> None:
    clinic = plan(example("clinic-booking")).backup
    assert clinic is not None and (clinic.rpo, clinic.rto) == ("1 minute", "1 hour")
    assert "6 years" in (clinic.retention or "")  # HIPAA
    catalog = plan(example("product-catalog")).backup
    assert catalog is not None and (catalog.rpo, catalog.rto) == ("5 minutes", "1 hour")
    assert "assumed" in catalog.reason and "WAL" in catalog.method


def test_security_follows_compliance_and_tenancy() -> None:
    clinic = " ".join(plan(example("clinic-booking")).security)
    assert "HIPAA" in clinic and "Audit" in clinic and "RLS" in clinic
    assert "Row-level security" not in clinic  # a schema fact: stated by a claim, not prose
    assert "pseudonymisation" in clinic
    tasks = " ".join(plan(example("task-tracker")).security)
    assert "app.tenant_id per transaction" in tasks
    assert "GRANT EXECUTE to task_tracker_app" in tasks  # the login lookup function
    telemetry = " ".join(plan(example("iot-telemetry")).security)
    assert "Audit" not in telemetry and "TLS" in telemetry


def test_advised_index_sizes_at_the_stated_volume_scale_with_the_rows() -> None:
    """The advisor's size is at the stated rows of its table: a horizon scales it from there."""
    rec = IndexRecommendation(
        ddl="CREATE INDEX ON devices (site_id)",
        table="devices",
        columns=["site_id"],
        size_bytes=2_500_000,
        sample_size_bytes=1_000_000,
        sample_rows=20_000,
        stated_rows=50_000,
        size_method="scaled",
    )
    assert index_bytes(rec, {"site_id": 8}, rows=1_000_000, heap=0) == 50_000_000
    unmeasured = rec.model_copy(update={"size_bytes": None, "stated_rows": None})
    assert index_bytes(unmeasured, {"site_id": 8}, rows=1_000_000, heap=0) == btree_bytes(
        1_000_000, [8]
    )
    compiled = example("iot-telemetry")
    measured = IndexPlan(indexes=[rec])  # devices: 50,000 stated
    devices = next(s for s in plan(compiled, measured).sizes if s.table == "devices")
    baseline = next(s for s in plan(compiled).sizes if s.table == "devices")
    assert devices.bytes_now == (baseline.bytes_now or 0) + 2_500_000
    assert any("measured on 20,000 sample rows" in n for n in plan(compiled, measured).notes)


def test_regulated_spec_without_marked_personal_data_is_told_to_mark_it() -> None:
    data = {
        "name": "crm",
        "compliance": ["gdpr"],
        "entities": [{"name": "contact", "rows": 5000, "attributes": {"email": "text!"}}],
    }
    security = " ".join(plan(from_dict(data)).security)
    assert "no attribute is marked pii/phi" in security and "GDPR" in security


def test_no_stated_load_sizes_no_pool() -> None:
    """Zero busy connections is no basis for a pool_size: the plan says what to measure."""
    compiled = from_dict({"name": "quiet", "entities": [{"name": "note", "rows": 1000}]})
    result = plan(compiled)
    assert result.pooling.pool_size is None and result.pooling.max_client_connections is None
    assert "Peak concurrency" not in result.pooling.reason
    assert "pg_stat_activity" in result.pooling.reason
    assert not any("pool_size (" in m for m in result.monitoring)


def test_set_local_is_advised_only_for_the_settings_the_schema_reads() -> None:
    tasks = plan(example("task-tracker")).pooling.reason
    assert "app.tenant_id" in tasks and "app.user_id" in tasks and "SET LOCAL" in tasks
    telemetry = plan(example("iot-telemetry")).pooling.reason
    assert "SET LOCAL" not in telemetry and "tenant" not in telemetry
