"""Example specs compiled by the real rules brain stages, shared by the scaling/ADR/report tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from agent.brains.rules.schema import compile_schema
from agent.brains.rules.technology import decide_technology
from agent.spec import Requirements, load_spec, parse_spec
from agent.stages import (
    IndexPlan,
    IndexRecommendation,
    RejectedIndex,
    SchemaDesign,
    TechnologyDecision,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
TODAY = date(2025, 1, 15)


@dataclass(frozen=True)
class Compiled:
    spec: Requirements
    tech: TechnologyDecision
    schema: SchemaDesign


def compile_spec(spec: Requirements) -> Compiled:
    tech = decide_technology(spec)
    return Compiled(spec, tech, compile_schema(spec, tech, TODAY))


@cache
def example(name: str) -> Compiled:
    """An example spec from `examples/`, through the technology and schema stages."""
    return compile_spec(load_spec(EXAMPLES / f"{name}.yaml"))


def from_dict(data: dict[str, Any]) -> Compiled:
    return compile_spec(parse_spec(data))


NO_INDEXES = IndexPlan()

# What the index advisor reports for the telemetry example's hottest read.
TELEMETRY_INDEXES = IndexPlan(
    indexes=[
        IndexRecommendation(
            ddl="CREATE INDEX readings_device_id_recorded_at_idx ON readings "
            "(device_id, recorded_at DESC)",
            table="readings",
            columns=["device_id", "recorded_at"],
            serves=["last hour of a device"],
            cost_before=98_000.0,
            cost_after=12.5,
            size_bytes=3 * 1024**3,
            sample_size_bytes=3 * 1024**2,
            sample_rows=13_000_000,
            stated_rows=13_000_000_000,
            size_method="scaled",
            reason="equality on device_id, then the range on recorded_at",
        )
    ],
    rejected=[
        RejectedIndex(ddl="CREATE INDEX ON readings (metric)", reason="no pattern got cheaper")
    ],
    sampling_note="loaded at 0.001 of its stated rows",
)
