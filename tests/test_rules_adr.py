"""ADRs from the rules brain: one MADR record per major decision, for every example spec."""

from __future__ import annotations

import pytest
from rules_design import EXAMPLE_NAMES, NO_INDEXES, TELEMETRY_INDEXES, example, from_dict

from agent.brains.rules.adr import write_adrs
from agent.brains.rules.scaling import plan_scaling
from agent.ddl import count_indexes
from agent.report import render_adr
from agent.stages import Adr, IndexPlan, ScalingPlan

DAY = "2025-01-15"


def adrs_for(name: str, indexes: IndexPlan = NO_INDEXES) -> list[Adr]:
    c = example(name)
    scaling = plan_scaling(c.spec, c.tech, c.schema, indexes)
    return write_adrs(c.spec, c.tech, c.schema, indexes, scaling, date=DAY)


def titled(adrs: list[Adr], word: str) -> Adr:
    return next(a for a in adrs if word.lower() in a.title.lower())


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_gets_at_least_four_complete_records(name: str) -> None:
    adrs = adrs_for(name)
    assert len(adrs) >= 4
    assert [a.number for a in adrs] == list(range(1, len(adrs) + 1))
    assert len({a.filename for a in adrs}) == len(adrs)
    for adr in adrs:
        assert adr.status == "accepted" and adr.date == DAY
        assert adr.context.strip() and adr.decision.strip() and adr.consequences
        assert len(adr.options) >= 2, adr.title
        assert all(o.pros or o.cons for o in adr.options), adr.title
    assert adrs_for(name) == adrs  # deterministic for a fixed date


def test_primary_store_record_lists_the_matrix_in_rank_order() -> None:
    c = example("iot-telemetry")
    store = adrs_for("iot-telemetry")[0]
    assert store.title == f"Use {c.tech.primary.product} as the primary store"
    ranked = sorted(c.tech.matrix, key=lambda r: r.rank)
    assert [o.name.split(" (")[0] for o in store.options] == [r.product for r in ranked]
    assert store.options[0].pros  # the winner is rated 4+ somewhere
    assert c.tech.rationale in store.decision


def test_conditional_records_follow_the_design() -> None:
    telemetry = adrs_for("iot-telemetry")
    partitions = titled(telemetry, "expire them")
    assert "DROP" in partitions.decision
    [claim] = partitions.claims  # the fact is a claim, rendered from it, not prose
    assert claim.kind == "partitioned" and claim.sentence().endswith("older than 90 days.")
    assert "older than 90 days" in render_adr(partitions)
    assert not any("tenant" in a.title.lower() for a in telemetry)
    catalog = titled(adrs_for("product-catalog"), "jsonb")
    assert "EAV" in catalog.title and any(
        "entity-attribute-value" in o.name for o in catalog.options
    )
    clinic = render_adr(titled(adrs_for("clinic-booking"), "HIPAA"))
    assert "to audit_log." in clinic and "Row-level security is enabled and forced" in clinic
    tenancy = titled(adrs_for("task-tracker"), "tenant")
    assert "company_id" in tenancy.decision
    assert {c.kind for c in tenancy.claims} >= {"row_security", "policy", "tenant_references"}
    assert "current_setting('app.tenant_id')" in render_adr(tenancy)


def test_key_record_follows_the_spec_keys() -> None:
    assert "bigint identity" in titled(adrs_for("task-tracker"), "key").title
    data = {
        "name": "uuid-shop",
        "keys": "uuid",
        "entities": [{"name": "customer", "rows": 1000, "attributes": {"email": "text!"}}],
    }
    c = from_dict(data)
    scaling = plan_scaling(c.spec, c.tech, c.schema, NO_INDEXES)
    keys = titled(write_adrs(c.spec, c.tech, c.schema, NO_INDEXES, scaling, date=DAY), "key")
    assert "uuid" in keys.title and "16 bytes" in " ".join(keys.consequences)


def test_indexing_record_cites_the_evidence() -> None:
    indexing = titled(adrs_for("iot-telemetry", TELEMETRY_INDEXES), "indexes")
    assert "last hour of a device" in indexing.decision
    assert "98,000 -> 12" in indexing.decision
    assert "0.001" in indexing.context
    assert any("3.0 GB at the stated volume (measured on 13,000,000 sample rows" in c
               for c in indexing.consequences)  # fmt: skip


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_indexing_record_never_rejects_what_the_schema_does(name: str) -> None:
    """The schema indexes its foreign keys: the record chooses that, and counts what the
    migrations build (as the summary line does)."""
    c = example(name)
    counted = count_indexes(c.schema, NO_INDEXES)
    indexing = titled(adrs_for(name), "indexes")
    chosen, *rejected = indexing.options
    if counted.foreign_keys:
        assert "every foreign key" in chosen.name or "foreign keys" in chosen.name
        assert not any("foreign key" in o.name for o in rejected)
    assert f"The migrations build {counted.secondary} secondary indexes" in indexing.decision
    assert f"{counted.foreign_keys} on foreign-key columns" in indexing.decision or not (
        counted.foreign_keys
    )


def test_an_empty_scaling_plan_still_yields_four_records() -> None:
    c = example("product-catalog")
    adrs = write_adrs(c.spec, c.tech, c.schema, NO_INDEXES, ScalingPlan(), date=DAY)
    assert len(adrs) >= 4
    assert not any("Back up" in a.title for a in adrs)  # no backup plan: no record invented


def test_madr_markdown_has_every_section() -> None:
    adr = adrs_for("ledger")[0]
    text = render_adr(adr)
    assert text.startswith(f"# 1. {adr.title}\n")
    for heading in (
        "- Status: accepted",
        f"- Date: {DAY}",
        "## Context and problem statement",
        "## Considered options",
        "## Decision outcome",
        "### Consequences",
        "## Pros and cons of the options",
    ):
        assert heading in text
    assert text.index("## Context") < text.index("## Considered") < text.index("## Decision")
    assert f"1. {adr.options[0].name}" in text and "Good, because" in text
    assert "Bad, because" in text
