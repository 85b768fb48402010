"""Build a `DesignRequest` from command-line arguments (shared by design and eval)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.mode_inputs import check_mode_inputs, schema_from_spec
from agent.spec import load_spec
from agent.state import DesignRequest, NamedQuery
from tools.counts import parse_rows
from tools.errors import InputError
from tools.sql.parse import parse_schema, read_sources
from tools.sql.query import read_workload

_SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def build_request(
    spec: str | None,
    mode: str,
    schema: Path | None,
    workload: Path | None,
    rows: list[str],
    interactive: bool,
    target_schema: Path | None = None,
    pg_version: int | None = None,
) -> DesignRequest:
    """The request, checked for what its mode needs before any stage runs.

    A `.sql` file (or a folder) given as SPEC is the current schema, so
    `dbarch design schema.sql --mode optimize --workload q.sql` needs no spec.
    """
    data: dict[str, Any] = {"mode": mode, "interactive": interactive, "rows": parse_rows(rows)}
    data["pg_version"] = pg_version
    if spec is not None and _is_schema(Path(spec)):
        if schema is not None:
            raise InputError(f"give the current schema once: {spec} or --schema {schema}")
        schema, spec = Path(spec), None
    if spec is not None:
        _add_spec(data, spec, schema_from_spec(mode, target_schema is not None))
    if schema is not None:
        data["current_schema"] = read_schema_text(schema)
        data["schema_name"] = str(schema)
    if target_schema is not None:
        data["target_schema"] = read_schema_text(target_schema)
    if workload is not None:
        data["workload"] = [NamedQuery(name=q.name, sql=q.sql) for q in read_workload(workload)]
    request = DesignRequest.model_validate(data)
    check_mode_inputs(request)
    return request


def _add_spec(data: dict[str, Any], spec: str, by_contract: bool) -> None:
    path = Path(spec)
    if _names_a_file(path):
        if not path.is_file():
            raise InputError(f"spec file {spec} does not exist")
        data["spec"] = load_spec(path, patterns_by_contract=by_contract)
    else:
        data["text"] = spec


def _is_schema(path: Path) -> bool:
    """A `.sql` file or a folder (of migrations) is a schema, not a spec."""
    if path.suffix.lower() == ".sql":
        return True
    try:
        return path.is_dir()
    except OSError:
        return False


def _names_a_file(path: Path) -> bool:
    """A spec file by its suffix or because it exists; a paragraph of free text is too long
    to be a file name, and the OS says so (ENAMETOOLONG) rather than "no such file"."""
    if path.suffix.lower() in _SPEC_SUFFIXES:
        return True
    try:
        return path.exists()
    except OSError:
        return False


def read_schema_text(path: Path) -> str:
    """A schema file or a migrations folder, concatenated in the order they apply.

    It is parsed here first, so a syntax error names its own file, line and column (the
    concatenation would shift the lines of a folder's later files).
    """
    parse_schema(path)
    return "\n".join(source.text for source in read_sources(path))


def answers_from(items: list[str]) -> dict[str, str] | None:
    """`--answer path=value` pairs; None when there are none (so a plain resume continues)."""
    answers: dict[str, str] = {}
    for item in items:
        path, sep, value = item.partition("=")
        if not sep or not path.strip():
            raise InputError(f"--answer expects key.path=value, got {item!r}")
        answers[path.strip()] = value
    return answers or None
