"""Inputs of the stages that start from an existing schema: optimize and migrate.

The current schema arrives as a `SchemaDesign` parsed from the user's DDL, its tables'
`estimated_rows` holding the stated volumes; these turn it into the prompts' placeholders.
"""

from __future__ import annotations

import json

from agent.brains.anthropic.render import NOTHING, findings_text, workload_text
from agent.spec import Requirements
from agent.stages import GateFinding, SchemaDesign
from agent.volumes import stated_rows


def current_rows(spec: Requirements, current: SchemaDesign) -> dict[str, int]:
    """Rows per table of the current schema: its stated estimates, else the spec's."""
    rows = {t: n for t, n in stated_rows(spec).items() if current.table(t) is not None}
    rows.update({t.name: t.estimated_rows for t in current.tables if t.estimated_rows})
    return rows


def optimize_values(
    spec: Requirements, current: SchemaDesign, findings: list[GateFinding]
) -> dict[str, str]:
    return {
        "schema_sql": current.ddl,
        "workload": workload_text(spec),
        "rows": json.dumps(current_rows(spec, current), indent=1),
        "findings": findings_text(findings),
    }


def migrate_values(
    spec: Requirements,
    current: SchemaDesign,
    target: SchemaDesign,
    findings: list[GateFinding],
) -> dict[str, str]:
    return {
        "current_schema": current.ddl,
        "target": target.ddl,
        "constraints": constraints_text(spec, current),
        "findings": findings_text(findings),
    }


def constraints_text(spec: Requirements, current: SchemaDesign) -> str:
    """Table sizes (they decide which steps must run online) and the spec's own notes."""
    rows = current_rows(spec, current)
    lines = [f"- {table}: {count:,} rows" for table, count in sorted(rows.items())]
    lines += [f"- {note}" for note in spec.notes]
    return "\n".join(lines) or NOTHING
