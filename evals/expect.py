"""Parse a case's `expect:` list into validated expectations, with positioned problems.

An entry is a check name (`- ddl_applies`) or a one-key mapping from name to argument
(`- adrs_min: 4`). An unknown name or a badly typed argument is reported with the file,
line and column of the entry, so a typo in a case file is found before any run starts.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError

from agent.spec import SourceMap, problem_dict
from agent.spec.source import Path as DataPath
from evals.checks import CHECKS
from evals.registry import Expectation

Problem = dict[str, Any]


def parse_expectations(
    raw: Any, positions: SourceMap, at: DataPath = ("expect",)
) -> tuple[list[Expectation], list[Problem]]:
    """The expectations of `raw` (the value under `at`), and every problem found."""
    if not isinstance(raw, list) or not raw:
        message = "expect must be a non-empty list of checks"
        return [], [problem_dict(at, positions.locate(at), message)]
    expectations: list[Expectation] = []
    problems: list[Problem] = []
    for position, item in enumerate(raw):
        found = _entry(item, (*at, position), positions)
        if isinstance(found, Expectation):
            expectations.append(found)
        else:
            problems.append(found)
    return expectations, problems


def _entry(item: Any, path: DataPath, positions: SourceMap) -> Expectation | Problem:
    if isinstance(item, str):
        name, arg, name_path = item.strip(), None, path
    elif isinstance(item, dict) and len(item) == 1:
        name, arg = next(iter(item.items()))
        name_path = (*path, name)
    else:
        message = "an expect entry is a check name or a one-key mapping `check: argument`"
        return problem_dict(path, positions.locate(path), message)
    definition = CHECKS.get(name)
    if definition is None:
        where = positions.locate(name_path, key=name_path != path)
        return problem_dict(path, where, unknown_check_message(str(name)))
    try:
        return Expectation(check=name, arg=definition.validate(arg))
    except ValidationError as exc:
        inner = tuple(p for p in exc.errors()[0]["loc"] if isinstance(p, str | int))
        where = positions.locate((*name_path, *inner))  # the offending item, when we know it
        return problem_dict(name_path, where, _argument_message(name, exc))
    except ValueError as exc:
        return problem_dict(name_path, positions.locate(name_path), _argument_message(name, exc))


def unknown_check_message(name: str) -> str:
    close = difflib.get_close_matches(name, list(CHECKS), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown check '{name}'{hint}; known checks: {', '.join(sorted(CHECKS))}"


def _argument_message(name: str, exc: ValueError | ValidationError) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        detail = f"at '{where}': {first['msg']}" if where else first["msg"]
        return f"bad argument for check '{name}': {detail}"
    return str(exc)
