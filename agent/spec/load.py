"""Load and validate a requirements spec (YAML or JSON) into `Requirements`, with positioned errors.

The one entry point every door uses: the CLI (`dbarch spec`, `dbarch design`), the HTTP and
MCP servers and the eval runner. A spec that does not validate raises `SpecError` whose
`problems` each carry the key path, file, line, column and what was expected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent.spec.checks import check_spec
from agent.spec.contract import Contract, Problem, resolve_contract
from agent.spec.model import AccessPattern, Attribute, Entity, Reference, Relationship, Requirements
from agent.spec.patterns import pattern_column_problems
from agent.spec.questions import Question, missing_information
from agent.spec.source import SourceMap, load_yaml, problem_dict
from tools.errors import InputError, SourceLocation, SpecError

__all__ = [
    "AccessPattern",
    "Attribute",
    "Contract",
    "Entity",
    "Question",
    "Reference",
    "Relationship",
    "Requirements",
    "load_spec",
    "missing_information",
    "parse_spec",
    "resolve_contract",
    "spec_json_schema",
]

_SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def load_spec(source: str | Path, *, patterns_by_contract: bool = False) -> Requirements:
    """A spec from a file path or from YAML/JSON text; `SpecError` names every problem.

    `patterns_by_contract`: the run will build its schema from this spec, so its access
    patterns may only name columns the spec's names give (not so when a spec rides along
    an existing schema, or is derived from one).
    """
    text, file = _read(source)
    data, positions = load_yaml(text, file)
    return _validate(data, positions, patterns_by_contract)


def parse_spec(data: Mapping[str, Any], *, patterns_by_contract: bool = False) -> Requirements:
    """A spec from already-parsed data (HTTP bodies, eval cases): same checks, no positions."""
    return _validate(dict(data), SourceMap(), patterns_by_contract)


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of the spec, with the descriptions spec authors read."""
    schema = Requirements.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "db-architect requirements spec"
    return schema


def _read(source: str | Path) -> tuple[str, str | None]:
    if isinstance(source, Path) or _looks_like_path(source):
        path = Path(source)
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read spec {path}: {exc}") from exc
    return source, None


def _looks_like_path(text: str) -> bool:
    single_line = "\n" not in text and ":" not in text.strip()
    return single_line and (text.strip().endswith(_SPEC_SUFFIXES) or Path(text).is_file())


def _validate(data: Any, positions: SourceMap, patterns_by_contract: bool) -> Requirements:
    if not isinstance(data, dict):
        where = positions.locate(())
        message = "a spec is a mapping with keys such as name, entities, access_patterns"
        raise _error(positions, [problem_dict((), where, message)])
    _entities_as_list(data, positions)
    try:
        spec = Requirements.model_validate(data)
    except ValidationError as exc:
        found = [_pydantic_problem(e, data, positions) for e in exc.errors()]
        raise _error(positions, found) from None
    problems = check_spec(spec)
    if patterns_by_contract and not problems:
        problems = pattern_column_problems(spec, resolve_contract(spec))
    if problems:
        raise _error(positions, [_located(p, positions) for p in problems])
    return spec


def _entities_as_list(data: dict[str, Any], positions: SourceMap) -> None:
    """`entities: {task: {...}}` is read as `entities: [{name: task, ...}]`, positions kept."""
    entities = data.get("entities")
    if not isinstance(entities, dict):
        return
    listed = []
    for index, (name, body) in enumerate(entities.items()):
        entry = {} if body is None else body
        if isinstance(entry, dict):
            entry = {"name": name, **entry}
            key_node = positions.keys.get(("entities", name))
            if key_node is not None:
                positions.values[("entities", index, "name")] = key_node
        positions.alias(("entities", name), ("entities", index))
        listed.append(entry)
    data["entities"] = listed


def _pydantic_problem(error: Any, data: Any, positions: SourceMap) -> dict[str, Any]:
    """Map a pydantic error (`loc` may name union branches) to the data path it concerns."""
    path = _data_path(data, error["loc"])
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "unknown_key":
        path = (*path, ctx["key"])
        return problem_dict(path, positions.locate(path, key=True), error["msg"])
    if kind == "missing":
        name = error["loc"][-1]
        return problem_dict(path, positions.locate(path), f"missing required key '{name}'")
    if kind == "type_string":
        where = positions.locate_in_scalar(path, int(ctx.get("offset", 0)))
        return problem_dict(path, where, error["msg"])
    return problem_dict(path, positions.locate(path), _explain(error))


def _explain(error: Any) -> str:
    """Pydantic's message (without its "Value error, " prefix) plus the value given."""
    message = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    short = isinstance(given, str | int | float | bool) and len(str(given)) <= 60
    if short and repr(given) not in message:
        return f"{message} (got {json.dumps(given)})"
    return message


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Keep only the parts of `loc` that walk into `data` (drops union branch labels)."""
    path: list[str | int] = []
    current = data
    for part in loc:
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            path.append(part)
            current = current[part]
    return tuple(path)


def _located(problem: Problem, positions: SourceMap) -> dict[str, Any]:
    if problem.offset is not None:
        where = positions.locate_in_scalar(problem.path, problem.offset)
    else:
        where = positions.locate(problem.path, key=problem.at_key)
    return problem_dict(problem.path, where, problem.message)


def _error(positions: SourceMap, problems: list[dict[str, Any]]) -> SpecError:
    name = positions.file or "<spec>"
    count = len(problems)
    lines = [f"{name}: {count} problem{'s' if count != 1 else ''} in the requirements spec"]
    for problem in problems:
        where = SourceLocation(problem["file"], problem["line"], problem["column"])
        lines.append(f"  {where}: {problem['path']}: {problem['message']}")
    return SpecError("\n".join(lines), problems)
