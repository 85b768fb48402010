"""Eval cases: the case-file model and its loader (folders or files, positioned errors).

A case names a requirements spec (inline `spec:` or `spec_file:` relative to the case file),
a `mode`, optional inputs of the non-design modes (`schema_file`, `workload_file`, `rows`)
and the checks it `expect`s. Everything is validated at load time, so a bad case file
stops the eval before any run (exit 2) with the file, line and column of the problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.package import Mode
from agent.spec import load_spec
from agent.spec_model import Requirements
from agent.spec_yaml import SourceMap, load_yaml, problem_dict
from agent.state import DesignRequest, NamedQuery
from evals.case_spec import inline_spec, mode_problem, read_inputs
from evals.expect import parse_expectations
from evals.registry import Expectation
from tools.errors import InputError, SourceLocation, SpecError

SUITE = Path(__file__).resolve().parent / "cases"
_SUFFIXES = (".yaml", ".yml")


class CaseFile(BaseModel):
    """The keys a case file may have (unknown keys are an error that names them)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str | None = None
    mode: Mode = "design"
    spec: dict[str, Any] | None = None
    spec_file: str | None = None
    schema_file: str | None = None
    workload_file: str | None = None
    rows: dict[str, int] = Field(default_factory=dict)
    expect: Any = None


class EvalCase(BaseModel):
    """A loaded case: the request to run and the checks to grade the result with."""

    model_config = ConfigDict(extra="forbid")

    id: str
    file: str
    description: str | None = None
    mode: Mode = "design"
    spec: Requirements
    current_schema: str | None = None
    workload: list[NamedQuery] = Field(default_factory=list)
    rows: dict[str, int] = Field(default_factory=dict)
    expect: list[Expectation]

    def request(self) -> DesignRequest:
        """The engine request; never interactive (an eval cannot answer questions)."""
        return DesignRequest(
            mode=self.mode,
            spec=self.spec,
            current_schema=self.current_schema,
            workload=self.workload,
            rows=self.rows,
            interactive=False,
        )


def case_files(paths: Sequence[Path]) -> list[Path]:
    """The case files named: files as given, folders by their *.yaml files in name order."""
    found: list[Path] = []
    for path in paths or [SUITE]:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in _SUFFIXES and p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(f"no such case file or folder: {path}")
    if not found:
        raise InputError(f"no case files (*.yaml) in {', '.join(map(str, paths or [SUITE]))}")
    return found


def load_cases(paths: Sequence[Path] = ()) -> list[EvalCase]:
    """Every case under `paths` (default: the built-in suite); ids must be unique."""
    cases = [load_case(path) for path in case_files(paths)]
    seen: dict[str, str] = {}
    for case in cases:
        if case.id in seen:
            raise SpecError(f"{case.file}: case id '{case.id}' is also used by {seen[case.id]}")
        seen[case.id] = case.file
    return cases


def load_case(path: Path) -> EvalCase:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read case file {path}: {exc}") from exc
    data, positions = load_yaml(text, str(path))
    raw = _validate_keys(data, positions)
    expectations, problems = parse_expectations(raw.expect, positions)
    problems += mode_problem(raw.mode, positions)
    spec = _spec(raw, path, positions, problems)
    if problems or spec is None:
        raise case_error(str(path), problems)
    schema, workload = read_inputs(path.parent, raw.schema_file, raw.workload_file)
    return EvalCase(
        id=raw.id or path.stem,
        file=str(path),
        description=raw.description,
        mode=raw.mode,
        spec=spec,
        current_schema=schema,
        workload=workload,
        rows=raw.rows,
        expect=expectations,
    )


def _validate_keys(data: Any, positions: SourceMap) -> CaseFile:
    if not isinstance(data, dict):
        where = positions.locate(())
        message = "a case is a mapping with keys id, spec or spec_file, mode, expect"
        raise case_error(positions.file, [problem_dict((), where, message)])
    try:
        return CaseFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            path = tuple(error["loc"])
            is_key = error["type"] == "extra_forbidden"
            message = f"unknown key '{path[-1]}'" if is_key else error["msg"]
            problems.append(problem_dict(path, positions.locate(path, key=is_key), message))
        raise case_error(positions.file, problems) from None


def _spec(
    raw: CaseFile, path: Path, positions: SourceMap, problems: list[dict[str, Any]]
) -> Requirements | None:
    if (raw.spec is None) == (raw.spec_file is None):
        message = "give exactly one of `spec` (inline) or `spec_file` (relative to this file)"
        problems.append(problem_dict((), positions.locate(()), message))
        return None
    if raw.spec_file is not None:
        return load_spec((path.parent / raw.spec_file).resolve())
    assert raw.spec is not None
    spec, spec_problems = inline_spec(raw.spec, positions)
    problems += spec_problems
    return spec


def case_error(file: str | None, problems: list[dict[str, Any]]) -> SpecError:
    """One error listing every problem of a case file with its position."""
    count = len(problems)
    lines = [f"{file or '<case>'}: {count} problem{'s' if count != 1 else ''} in the eval case"]
    for problem in problems:
        where = SourceLocation(problem["file"], problem["line"], problem["column"])
        lines.append(f"  {where}: {problem['path']}: {problem['message']}")
    return SpecError("\n".join(lines), problems)
