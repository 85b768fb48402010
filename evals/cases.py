"""Eval cases: the case-file model and its loader (folders or files, positioned errors).

A case names a requirements spec (inline `spec:` or `spec_file:` relative to the case file),
a `mode`, the inputs of the modes that start from a schema (`schema_file`,
`target_schema_file`, `workload_file`, `rows`; optimize and scale need no spec) and the
checks it `expect`s. Everything is validated at load time, so a bad case file
stops the eval before any run (exit 2) with the file, line and column of the problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from agent.mode_inputs import schema_from_spec
from agent.package import Mode
from agent.spec import Requirements, SourceMap, load_spec, load_yaml, problem_dict
from agent.state import DesignRequest
from evals.case_spec import CaseFile, build_request, inline_spec, mode_problem
from evals.expect import parse_expectations
from evals.registry import Expectation
from tools.errors import InputError, SourceLocation, SpecError

SUITE = Path(__file__).resolve().parent / "cases"
_SUFFIXES = (".yaml", ".yml")
# The engine names command-line options in its messages; a case file has keys instead.
_CASE_KEYS = "case file keys: spec_file or spec, schema_file, target_schema_file, workload_file"


class EvalCase(BaseModel):
    """A loaded case: the engine request to run and the checks to grade its package with."""

    model_config = ConfigDict(extra="forbid")

    id: str
    file: str
    description: str | None = None
    request: DesignRequest  # never interactive: an eval cannot answer questions
    expect: list[Expectation]

    @property
    def mode(self) -> Mode:
        return self.request.mode


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
    if problems:
        raise case_error(str(path), problems)
    try:
        request = build_request(raw, spec, path.parent)
    except InputError as exc:  # a missing input of the mode, or an unreadable input file
        where = positions.locate(())
        message = f"{exc} ({_CASE_KEYS})"
        raise case_error(str(path), [problem_dict((), where, message)]) from exc
    return EvalCase(
        id=raw.id or path.stem,
        file=str(path),
        description=raw.description,
        request=request,
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
    if raw.spec is not None and raw.spec_file is not None:
        message = "give one of `spec` (inline) or `spec_file` (relative to this file), not both"
        problems.append(problem_dict((), positions.locate(()), message))
        return None
    if raw.spec_file is not None:
        by_contract = schema_from_spec(raw.mode, raw.target_schema_file is not None)
        return load_spec((path.parent / raw.spec_file).resolve(), patterns_by_contract=by_contract)
    if raw.spec is None:
        return None  # optimize and scale may work from the schema alone; the mode decides
    by_contract = schema_from_spec(raw.mode, raw.target_schema_file is not None)
    spec, spec_problems = inline_spec(raw.spec, positions, by_contract)
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
