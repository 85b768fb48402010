"""Volumes that add up: link tables grow with their parents, unsized children are sized from
their parent, and every total the technology and scaling stages print is the sum of its rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from rules_design import EXAMPLE_NAMES, NO_INDEXES, example, from_dict

from agent.brains.rules.scaling import plan_scaling
from agent.brains.rules.signals import HORIZON_MONTHS
from agent.ddl import summarize_schema
from agent.mode_inputs import derive_spec, table_rows
from agent.nodes.common import existing_engine
from agent.stages import ScalingPlan
from agent.volumes import stated_rows
from tools.sql.parse import parse_schema

LEGACY_SHOP = Path(__file__).resolve().parents[1] / "evals" / "cases" / "inputs" / "legacy-shop.sql"


def _plan(name: str) -> ScalingPlan:
    compiled = example(name)
    return plan_scaling(compiled.spec, compiled.tech, compiled.schema, NO_INDEXES)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_link_table_grows_when_its_parents_grow(name: str) -> None:
    compiled = example(name)
    sizes = {s.table: s for s in _plan(name).sizes}
    for table in compiled.schema.tables:
        if table.kind != "join":
            continue
        sides = [c.references.split(".")[0] for c in table.columns if c.name in table.primary_key
                 and c.references]  # fmt: skip
        if any(sizes[p].rows_36m > sizes[p].rows_now for p in sides):
            link = sizes[table.name]
            assert link.rows_36m > link.rows_12m > link.rows_now, table.name


def test_task_assignees_keep_their_links_per_task_as_tasks_grow() -> None:
    """60M assignees over 50M tasks: 1.2 per task, so 122M tasks at 36 months carry 146.4M."""
    plan = _plan("task-tracker")
    sizes = {s.table: s for s in plan.sizes}
    assert sizes["tasks"].rows_36m == 122_000_000
    assert sizes["task_assignees"].rows_now == 60_000_000
    assert sizes["task_assignees"].rows_36m == 60_000_000 + 36 * 2_400_000
    note = next(n for n in plan.notes if n.startswith("task_assignees:"))
    assert "1.2 links per tasks row, growing with tasks: +2,400,000/month" in note
    # The tenant key is no side of the link: companies (5%/month) must not drive it.
    assert "companies" not in note


def test_social_feed_likes_grow_from_their_insert_rate_and_follows_as_stated() -> None:
    sizes = {s.table: s for s in _plan("social-feed").sizes}
    likes = sizes["post_likes"]
    # 400 likes/s at peak, a third of it on average, over a 30-day month
    assert likes.rows_12m == 20_000_000_000 + 12 * round(400 * 30 * 86400 / 3)
    assert sizes["user_followers"].rows_36m == 3_000_000_000 + 36 * 60_000_000


def test_the_sample_loads_a_link_table_at_its_stated_rows() -> None:
    """The sample and the sizes read the same volume: relationship rows, not the larger side."""
    rows = stated_rows(example("task-tracker").spec)
    assert rows["task_assignees"] == 60_000_000 and rows["task_labels"] == 40_000_000


def test_a_link_table_without_rows_is_assumed_one_link_per_row_of_its_larger_side() -> None:
    compiled = from_dict(
        {
            "name": "tags",
            "entities": [
                {"name": "article", "rows": 1_000_000, "growth_per_month": 10_000},
                {"name": "tag", "rows": 5_000},
            ],
            "relationships": [{"from": "article", "to": "tag", "kind": "many-to-many"}],
        }
    )
    plan = plan_scaling(compiled.spec, compiled.tech, compiled.schema, NO_INDEXES)
    link = next(s for s in plan.sizes if s.table == "article_tags")
    assert (link.rows_now, link.rows_12m) == (1_000_000, 1_120_000)


def _scale(rows: dict[str, int]) -> ScalingPlan:
    ddl = LEGACY_SHOP.read_text()
    schema = parse_schema(ddl, file="legacy-shop.sql")
    spec = derive_spec(schema, [], str(LEGACY_SHOP))
    design = summarize_schema(schema, ddl, table_rows(spec, schema, rows), spec)
    return plan_scaling(spec, existing_engine(), design, NO_INDEXES)


def test_a_child_of_a_large_table_is_sized_from_its_parent_not_a_constant() -> None:
    """Scale mode with only orders stated: order_items follow orders (no 1,000-row guess)."""
    plan = _scale({"orders": 500_000_000})
    sizes = {s.table: s for s in plan.sizes}
    assert sizes["order_items"].rows_now == 500_000_000
    note = next(n for n in plan.notes if n.startswith("order_items:"))
    assert "sized from orders (500,000,000 rows)" in note and "fan-out" in note
    # A parent nobody sized stays a stated assumption, never silently large.
    assert sizes["customers"].rows_now == 1_000
    assert "support table" in next(n for n in plan.notes if n.startswith("customers:"))


def test_a_stated_child_keeps_its_stated_rows() -> None:
    sizes = {s.table: s for s in _scale({"orders": 500_000, "order_items": 2_000_000}).sizes}
    assert sizes["order_items"].rows_now == 2_000_000


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_technology_volume_is_the_sum_of_the_sized_rows(name: str) -> None:
    """The matrix's 'rows after 36 months' is what the sizes table adds up to (audit aside)."""
    compiled = example(name)
    sizes = {s.table: s for s in _plan(name).sizes}
    counted = sum(
        s.rows_36m
        for table, s in sizes.items()
        if (t := compiled.schema.table(table)) is not None
        and t.kind in ("entity", "join")
        and not any(table in p.partitions for p in compiled.schema.partitioning)
    )
    retained = {p.table for p in compiled.schema.partitioning if p.retention}
    reason = next(c.reason for c in compiled.tech.criteria if c.id == "scale")
    stated = int(reason.split(" rows")[0].replace(",", ""))
    if not retained:  # retention caps the sizes; the matrix counts what arrives
        assert stated == counted, reason
    assert f"after {HORIZON_MONTHS} months" in reason
