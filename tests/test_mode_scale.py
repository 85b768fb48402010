"""Mode scale: a scaling plan for a schema someone runs, with and without a requirements spec."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import CORPUS
from mode_support import mode_context
from rules_design import example

from agent.engine import run_design
from agent.gates.scale import check_scale
from agent.package import DesignPackage
from agent.report import render_report
from agent.spec import load_spec
from agent.stages import ScalingPlan
from agent.state import DesignRequest, DesignState
from tools.sql.server import PgServer

PAGILA = CORPUS / "pagila-schema.sql"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _scale(request: DesignRequest, home: Path, pg: PgServer) -> tuple[DesignPackage, list[str]]:
    ctx, events = mode_context(home, pg)
    outcome = asyncio.run(run_design(request, ctx))
    assert outcome.status == "done", outcome.message
    assert outcome.package is not None
    return outcome.package, [e.stage or "" for e in events if e.kind == "stage_start"]


def test_pagila_without_a_spec_is_sized_from_rows(tmp_path: Path, pg: PgServer) -> None:
    request = DesignRequest(
        mode="scale",
        current_schema=PAGILA.read_text(),
        schema_name=str(PAGILA),
        rows={"rental": 40_000_000, "payment": 60_000_000},
    )
    pkg, stages = _scale(request, tmp_path, pg)
    assert stages == ["requirements", "current", "scale", "adr"]
    assert pkg.name == "pagila-schema" and pkg.scaling is not None
    sizes = {s.table: s for s in pkg.scaling.sizes}
    assert sizes["rental"].rows_now == sizes["rental"].rows_36m == 40_000_000
    assert sizes["payment"].rows_now == 60_000_000
    assert sizes["payment"].bytes_now is not None and sizes["payment"].bytes_now > 4 * 1024**3
    assert sizes["country"].rows_now == 1_000  # no volume stated: the support-table default
    (partition,) = pkg.scaling.partitioning
    assert (partition.table, partition.column) == ("payment", "payment_date")
    assert pkg.scaling.backup is not None
    assert pkg.scaling.pooling.pool_size is None  # no workload: no concurrency to size from
    assert [c.gate for c in pkg.checks if c.stage == "scale"] == ["scaling_consistent"]
    assert all(c.passed for c in pkg.checks)
    titles = [a.title for a in pkg.adrs]
    assert titles[0].startswith("Scale one primary") and len(titles) == 3
    assert titles[1].startswith("Partition time series") and titles[2].startswith("Back up")
    report = render_report(pkg)
    assert report.startswith("# pagila-schema: scaling plan")
    sections = [line for line in report.splitlines() if line.startswith("## ")]
    assert sections == [
        "## Summary",
        "## Current schema",
        "## Scaling plan",
        "## Caching",
        "## Security and compliance",
        "## Backup and recovery",
        "## Monitoring",
        "## Checks",
        "## Architecture decision records",
        "## Next steps",
    ]
    assert "| payment | 60,000,000 |" in report


def test_spec_volumes_and_growth_size_an_existing_telemetry_schema(
    tmp_path: Path, pg: PgServer
) -> None:
    compiled = example("iot-telemetry")
    request = DesignRequest(
        mode="scale",
        spec=load_spec(EXAMPLES / "iot-telemetry.yaml"),
        current_schema=compiled.schema.ddl,
        schema_name="telemetry.sql",
    )
    pkg, _ = _scale(request, tmp_path, pg)
    assert pkg.name == "iot-telemetry" and pkg.scaling is not None
    sizes = {s.table: s for s in pkg.scaling.sizes}
    assert sizes["devices"].rows_now == 50_000 and sizes["devices"].rows_12m == 62_000
    readings = sizes["readings"]
    assert readings.rows_now == 13_000_000_000 and readings.rows_36m < 13_000_000_000 * 4
    plans = {p.table: p for p in pkg.scaling.partitioning}
    assert plans["readings"].retention == "90 days"
    assert pkg.current is not None
    current = pkg.current.table("readings")
    assert current is not None and current.entity == "reading"


def test_scale_gate_names_unsized_tables_and_unplanned_partitions(
    tmp_path: Path, pg: PgServer
) -> None:
    compiled = example("iot-telemetry")
    current = compiled.schema.model_copy(
        update={
            "tables": [t.model_copy(update={"estimated_rows": 10}) for t in compiled.schema.tables]
        }
    )
    state = DesignState(
        request=DesignRequest(mode="scale", current_schema=compiled.schema.ddl),
        current=current,
        scaling=ScalingPlan(),
    )
    ctx, _ = mode_context(tmp_path, pg)
    (verdict,) = check_scale(state, ctx)
    messages = [f.message for f in verdict.findings]
    assert "partitioned table readings has no partition plan" in messages
    assert "no size estimate for devices (10 rows stated)" in messages
    assert not verdict.passed
