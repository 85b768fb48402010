"""Stage inputs as prompt text: the spec as YAML, earlier stage outputs as JSON, findings.

Everything the stage prompt's placeholders receive is produced here, so every stage shows the
model the same shapes (the JSON is the shape its submit tool takes).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import yaml
from pydantic import BaseModel

from agent.spec import Requirements
from agent.stages import GateFinding, SchemaDesign
from agent.volumes import stated_rows

NO_FINDINGS = "None: this is the first attempt."
NOTHING = "(none)"


def spec_yaml(spec: Requirements) -> str:
    """The spec as its author would write it: defaults left out, keys in model order."""
    data = spec.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100).rstrip()


def as_json(model: BaseModel) -> str:
    """A stage output as compact, readable JSON (the DDL split into statements left out)."""
    exclude = {"statements"} if isinstance(model, SchemaDesign) else None
    return model.model_dump_json(indent=1, exclude_none=True, by_alias=True, exclude=exclude)


def schema_summary(design: SchemaDesign) -> str:
    """What the ADRs need of the schema: its parts and decisions, not the DDL itself."""
    return design.model_dump_json(indent=1, exclude_none=True, exclude={"ddl", "statements"})


def findings_text(findings: Sequence[GateFinding]) -> str:
    """One line per finding, naming the gate and where (table, column, line)."""
    if not findings:
        return NO_FINDINGS
    return "\n".join(f"- [{f.gate}] {f.message}{_where(f)}" for f in findings)


def _where(finding: GateFinding) -> str:
    parts = []
    if finding.table:
        parts.append(f"table {finding.table}" + (f".{finding.column}" if finding.column else ""))
    if finding.line:
        parts.append(f"line {finding.line}")
    return f" ({', '.join(parts)})" if parts else ""


def workload_text(spec: Requirements) -> str:
    """The access patterns in the tools' own queries format: `-- name:` then the SQL."""
    if not spec.access_patterns:
        return NOTHING
    return "\n\n".join(
        f"-- name: {p.name}\n{p.sql.strip().rstrip(';')};" for p in spec.access_patterns
    )


def rows_json(spec: Requirements) -> str:
    """Stated rows per table, ready for the SQL tools' `rows` argument."""
    return json.dumps(stated_rows(spec), indent=1)
