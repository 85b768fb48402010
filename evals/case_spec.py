"""A case file's keys (`CaseFile`), and the parts that are inputs to the engine: its spec,
mode and input files.

An inline spec is validated by the same loader as spec files (`agent.spec.parse_spec`);
its problems, which name key paths inside the spec, are placed back at their line and
column in the case file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.cli.requests import read_schema_text
from agent.mode_inputs import check_mode_inputs
from agent.package import Mode
from agent.spec import Requirements, SourceMap, dotted, parse_spec, problem_dict
from agent.spec.source import Path as DataPath
from agent.state import DesignRequest, NamedQuery
from tools.counts import Count
from tools.errors import SpecError
from tools.sql.query import read_workload


class CaseFile(BaseModel):
    """The keys a case file may have (unknown keys are an error that names them)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str | None = None
    mode: Mode = "design"
    spec: dict[str, Any] | None = None
    spec_file: str | None = None
    schema_file: str | None = None  # optimize, scale, migrate: the current schema
    target_schema_file: str | None = None  # migrate: the target instead of a spec
    workload_file: str | None = None  # optimize: the queries to review
    rows: dict[str, Count] = Field(default_factory=dict)
    expect: Any = None


_SPEC_AT: DataPath = ("spec",)


def inline_spec(
    data: dict[str, Any], positions: SourceMap, by_contract: bool
) -> tuple[Requirements | None, list[dict[str, Any]]]:
    """Validate the `spec:` mapping of a case; problems are located in the case file."""
    try:
        return parse_spec(data, patterns_by_contract=by_contract), []
    except SpecError as exc:
        return None, [_relocate(problem, positions) for problem in exc.problems]


def _relocate(problem: dict[str, Any], positions: SourceMap) -> dict[str, Any]:
    """A spec problem (path relative to the spec) at its place in the case file."""
    inside = problem.get("path") or ""
    by_name = {dotted(p[1:]): p for p in (*positions.values, *positions.keys) if p[:1] == _SPEC_AT}
    path = by_name.get(inside, _SPEC_AT)
    where = positions.locate(path, key=path in positions.keys)
    return problem_dict(path, where, str(problem.get("message", "invalid spec")))


def mode_problem(mode: Mode, positions: SourceMap) -> list[dict[str, Any]]:
    """A mode whose stages the design graph does not (yet) have cannot be evaluated."""
    from agent.graph import STAGE_BODIES, STAGES_BY_MODE

    missing = [stage for stage in STAGES_BY_MODE[mode] if stage not in STAGE_BODIES]
    if not missing:
        return []
    message = f"mode '{mode}' is not available: the graph has no {', '.join(missing)} stage"
    return [problem_dict(("mode",), positions.locate(("mode",)), message)]


def build_request(raw: CaseFile, spec: Requirements | None, folder: Path) -> DesignRequest:
    """The engine request of a case, its files read relative to the case file's folder, and
    checked for what its mode needs (`InputError` naming what is missing)."""
    schema = folder / raw.schema_file if raw.schema_file else None
    workload: list[NamedQuery] = []
    if raw.workload_file:
        queries = read_workload(folder / raw.workload_file)
        workload = [NamedQuery(name=q.name, sql=q.sql) for q in queries]
    target = folder / raw.target_schema_file if raw.target_schema_file else None
    request = DesignRequest(
        mode=raw.mode,
        spec=spec,
        current_schema=read_schema_text(schema) if schema else None,
        schema_name=str(schema) if schema else None,
        target_schema=read_schema_text(target) if target else None,
        workload=workload,
        rows=raw.rows,
        interactive=False,
    )
    check_mode_inputs(request)
    return request
