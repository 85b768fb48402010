"""Tools as plain functions with pydantic inputs; their model-facing JSON schemas are generated.

One `Tool` serves every door: the model's tool-use loop, MCP, HTTP and the CLI call the
same function with the same validated input model. Nothing here is hand-written schema.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from tools.errors import ArchitectError
from tools.sql.server import PgServer


@dataclass
class ToolContext:
    """What a tool may touch: its workspace folder, a PostgreSQL server, and switches."""

    workspace: Path
    pg: PgServer | None = None
    bash_enabled: bool = False
    bash_timeout_s: float = 30.0
    # Run Bash even where no network namespace can be made (it refuses otherwise).
    bash_allow_unsandboxed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


ToolFunc = Callable[[Any, ToolContext], BaseModel | str]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_model: type[BaseModel]
    func: ToolFunc

    def schema(self) -> dict[str, Any]:
        """The Messages API tool definition, generated from the input model (once: pydantic
        builds the JSON schema anew on every call, milliseconds per tool and per model turn).
        Callers copy before they change it."""
        return _schema(self.name, self.description, self.input_model)


@functools.cache
def _schema(name: str, description: str, input_model: type[BaseModel]) -> dict[str, Any]:
    input_schema = input_model.model_json_schema()
    input_schema.pop("title", None)
    return {"name": name, "description": description, "input_schema": input_schema}


@dataclass(frozen=True)
class ToolOutcome:
    """A tool call's result as the model will see it: text, and whether it is an error."""

    content: str
    is_error: bool = False


class Toolset:
    """The tools one persona may call, by name, and the one place inputs are validated."""

    def __init__(self, tools: Iterable[Tool], context: ToolContext) -> None:
        self._tools: dict[str, Tool] = {t.name: t for t in tools}
        self.context = context

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def schemas(self) -> list[dict[str, Any]]:
        return [t.schema() for t in self._tools.values()]

    def call(self, name: str, raw_input: Mapping[str, Any] | str) -> ToolOutcome:
        """Validate and run; every failure becomes an is_error outcome the model can read."""
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(sorted(self._tools)) or "none"
            return ToolOutcome(f"unknown tool '{name}'; available tools: {known}", True)
        try:
            data = json.loads(raw_input) if isinstance(raw_input, str) else dict(raw_input)
            args = tool.input_model.model_validate(data)
        except json.JSONDecodeError as exc:
            return ToolOutcome(f"tool input is not valid JSON: {exc}", True)
        except ValidationError as exc:
            return ToolOutcome(input_problem(name, exc, tool.input_model), True)
        except (TypeError, ValueError) as exc:
            return ToolOutcome(f"invalid input for tool '{name}': {exc}", True)
        try:
            result = tool.func(args, self.context)
        except ArchitectError as exc:
            return ToolOutcome(f"{type(exc).__name__}: {exc}", True)
        if isinstance(result, BaseModel):
            return ToolOutcome(result.model_dump_json(exclude_none=True))
        return ToolOutcome(result)


def input_problem(tool: str, exc: ValidationError, model: type[BaseModel]) -> str:
    """A validation failure as one sentence a person (or a model) can act on, naming each
    input by the name it is sent under, instead of pydantic's multi-line dump."""
    parts = [_problem(error, model) for error in exc.errors(include_url=False)]
    return f"invalid input for tool '{tool}': " + "; ".join(parts) + "."


def _problem(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    name = ".".join(str(part) for part in error["loc"]) or "input"
    kind, message = error["type"], str(error["msg"])
    if kind == "missing":
        return f"'{name}' is required"
    if kind == "extra_forbidden":
        accepted = ", ".join(field.alias or key for key, field in model.model_fields.items())
        return f"'{name}' is not an input of this tool (inputs: {accepted})"
    message = message.removeprefix("Value error, ")
    subject, _, rest = message.partition(" ")
    if subject in _SUBJECTS and rest.startswith("should"):  # "Input should be ..."
        got = repr(error.get("input"))
        return f"'{name}' {rest}" + (f" (got {got})" if len(got) <= 40 else "")
    return f"'{name}': {message}"


_SUBJECTS = frozenset({"Input", "String", "List", "Dictionary", "Value"})
