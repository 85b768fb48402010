"""report.md for whole design packages built by the real rules stages, and MADR files."""

from __future__ import annotations

import re

import pytest
from rules_design import EXAMPLE_NAMES, TELEMETRY_INDEXES, example

from agent.brains.rules.adr import write_adrs
from agent.brains.rules.migrations import plan_migrations
from agent.brains.rules.scaling import plan_scaling
from agent.package import DesignPackage, GateResult, PatternPlan
from agent.report import mode_summary, package_files, render_adr, render_report
from agent.stages import IndexPlan
from tools.erd import render_erd
from tools.sql.parse import parse_schema

SECTIONS = [
    "Summary",
    "Requirements and assumptions",
    "Technology recommendation",
    "Schema design",
    "Entity relationship diagram",
    "Index strategy",
    "Query patterns",
    "Caching",
    "Scaling plan",
    "Migration plan",
    "Security and compliance",
    "Backup and recovery",
    "Monitoring",
    "Checks",
    "Architecture decision records",
    "Next steps",
]


def package(name: str, indexes: IndexPlan | None = None) -> DesignPackage:
    c = example(name)
    plan = indexes or IndexPlan()
    scaling = plan_scaling(c.spec, c.tech, c.schema, plan)
    first = c.spec.access_patterns[0].name
    return DesignPackage(
        name=c.spec.name,
        created_at="2025-01-15T10:00:00+00:00",
        spec=c.spec,
        technology=c.tech,
        schema_design=c.schema,
        indexes=plan,
        scaling=scaling,
        adrs=write_adrs(c.spec, c.tech, c.schema, plan, scaling, date="2025-01-15"),
        erd=render_erd(parse_schema(c.schema.ddl)),
        migrations=plan_migrations(c.schema, plan),
        plans=[
            PatternPlan(
                pattern=first,
                total_cost=35.0,
                cost_without_indexes=1_200.0,
                scans=["Index Scan using x_idx on t"],
                uses_index=True,
            )
        ],
        checks=[
            GateResult(gate="ddl_applies", stage="schema", attempt=1, passed=True),
            GateResult(
                gate="lint", stage="schema", attempt=1, passed=False, findings=["fk-without-index"]
            ),
        ],
    )


def sections(text: str) -> dict[str, str]:
    """`## ` heading -> its body (up to the next `## `)."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_report_follows_the_personas_order_with_no_empty_section(name: str) -> None:
    pkg = package(name)
    text = render_report(pkg)
    found = sections(text)
    assert list(found) == SECTIONS
    for title, body in found.items():
        assert body.strip(), f"section {title} is empty"
    assert text.startswith(f"# {pkg.name}: database design\n")
    assert "```mermaid\nerDiagram" in text
    assert "replica" in text.lower()
    assert render_report(pkg) == text  # deterministic


def test_telemetry_report_mentions_retention_and_replicas() -> None:
    text = render_report(package("iot-telemetry", TELEMETRY_INDEXES))
    found = sections(text)
    lowered = text.lower()
    assert "retention" in lowered and "replica" in lowered
    scaling = found["Scaling plan"]
    assert (
        "readings is partitioned by RANGE (recorded_at), one partition per 1 day" in scaling
        and "manage_partitions() drops partitions older than 90 days." in scaling
    )
    assert "| readings | 13,000,000,000 |" in scaling
    assert "### Where the numbers come from" in scaling
    index = found["Index strategy"]
    assert (
        "| last hour of a device | 98,000 -> 12 | 3.0 GB (measured on 13,000,000 sample rows, "
        "scaled x1,000 to 13,000,000,000 rows) |" in index
    )
    assert "`CREATE INDEX ON readings (metric)`: no pattern got cheaper" in index
    assert "time-partitioned" in found["Summary"]
    assert "Write-heavy (stated" in found["Summary"]


def test_sections_carry_the_package_facts() -> None:
    pkg = package("clinic-booking")
    found = sections(render_report(pkg))
    first = pkg.spec.access_patterns[0].name if pkg.spec else ""
    assert f"| {first} |" in found["Query patterns"]
    assert "Index Scan using x_idx on t | 1,200 -> 35 |" in found["Query patterns"]
    assert "| ddl_applies | schema | 1 | passed |" in found["Checks"]
    assert "| lint | schema | 1 | failed | fk-without-index |" in found["Checks"]
    assert "HIPAA" in found["Security and compliance"]
    assert "**RPO:** 1 minute" in found["Backup and recovery"]
    assert "`0001_types_and_functions`" in found["Migration plan"]
    assert "| yes |" in found["Migration plan"] and "no (CONCURRENTLY)" in found["Migration plan"]
    for adr in pkg.adrs:
        assert f"(adr/{adr.filename})" in found["Architecture decision records"]


def test_package_files_hold_the_rendered_adrs_and_migrations() -> None:
    pkg = package("task-tracker")
    report = render_report(pkg)
    files = package_files(pkg, report)
    assert files["report.md"] == report
    for adr in pkg.adrs:
        assert files[f"adr/{adr.filename}"] == render_adr(adr)
    assert f"migrations/{pkg.migrations[0].name}.up.sql" in files
    assert "Isolate tenants" in sections(report)["Architecture decision records"]


def test_a_package_without_stages_still_renders_every_section() -> None:
    text = render_report(DesignPackage(name="empty", created_at="2025-01-15T10:00:00+00:00"))
    found = sections(text)
    assert list(found) == SECTIONS
    assert all(body.strip() for body in found.values())
    assert "Not available: the scaling stage did not run" in found["Scaling plan"]
    assert "Not applicable" in found["Migration plan"]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_summary_lines_come_from_the_design(name: str) -> None:
    """'Hybrid ... jsonb' only where an entity table has a jsonb column; the command's
    index count is the number of indexes the migrations build."""
    pkg = package(name, TELEMETRY_INDEXES if name == "iot-telemetry" else None)
    summary = sections(render_report(pkg))["Summary"]
    assert pkg.schema_design is not None
    varying = [
        f"{t.name}.{c.name}"
        for t in pkg.schema_design.tables
        if t.kind == "entity"
        for c in t.columns
        if c.type == "jsonb"
    ]
    assert ("Hybrid" in summary) == bool(varying)
    assert all(v in summary for v in varying)
    built = sum(len(re.findall(r"\bCREATE (?:UNIQUE )?INDEX\b", m.up)) for m in pkg.migrations)
    assert mode_summary(pkg).startswith(f"{len(pkg.schema_design.tables)} tables, {built} indexes")


def test_schema_facts_are_checked_claims_and_model_prose_is_marked_opinion() -> None:
    pkg = package("task-tracker")
    text = render_report(pkg)
    found = sections(text)
    security = found["Security and compliance"]
    facts, measures = security.split("Measures:")
    assert "Row-level security is enabled and forced (the table owner is filtered too)" in facts
    assert "Row-level security is enabled but not forced on users: user_login_by_email()" in facts
    assert "Row-level security" not in measures  # prose advises; it states no schema fact
    assert "| users | entity | id | 8 | RLS (not forced), audited |" in found["Schema design"]
    assert "Written by the model" not in text
    files = package_files(pkg, text)
    tenancy = next(v for k, v in files.items() if "isolate-tenants" in k)
    assert "Facts it rests on (checked against the catalog):" in tenancy
    model_written = pkg.model_copy(update={"brain": "anthropic"})
    labelled = render_report(model_written)
    assert labelled.count("_Written by the model: opinion and advice") >= 2  # notes, measures
    files = package_files(model_written, labelled)
    assert all("_Written by the model" in v for k, v in files.items() if k.startswith("adr/"))


def test_a_table_without_a_shape_claim_is_marked_unchecked() -> None:
    pkg = package("ledger")
    assert pkg.schema_design is not None
    unclaimed = pkg.schema_design.model_copy(
        update={"claims": [c for c in pkg.schema_design.claims if c.kind != "table"]}
    )
    schema = sections(render_report(pkg.model_copy(update={"schema_design": unclaimed})))
    assert (
        "\\* not stated as a claim, so not checked against the catalog." in schema["Schema design"]
    )
