"""Build a `DesignRequest` from command-line arguments (shared by design and eval)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.spec import load_spec
from agent.state import DesignRequest, NamedQuery
from tools.errors import InputError
from tools.sql.source import read_sources
from tools.sql.workload import read_workload

_SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def build_request(
    spec: str,
    mode: str,
    schema: Path | None,
    workload: Path | None,
    rows: list[str],
    interactive: bool,
) -> DesignRequest:
    data: dict[str, Any] = {"mode": mode, "interactive": interactive, "rows": parse_rows(rows)}
    path = Path(spec)
    if _names_a_file(path):
        if not path.is_file():
            raise InputError(f"spec file {spec} does not exist")
        data["spec"] = load_spec(path)
    else:
        data["text"] = spec
    if schema is not None:
        data["current_schema"] = read_schema_text(schema)
    if workload is not None:
        data["workload"] = [NamedQuery(name=q.name, sql=q.sql) for q in read_workload(workload)]
    return DesignRequest.model_validate(data)


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
    """A schema file or a migrations folder, concatenated in the order they apply."""
    return "\n".join(source.text for source in read_sources(path))


def parse_rows(items: list[str]) -> dict[str, int]:
    rows: dict[str, int] = {}
    for item in items:
        table, sep, count = item.partition("=")
        number = count.replace("_", "").replace(",", "")
        if not sep or not table.strip() or not number.isdigit():
            raise InputError(f"--rows expects table=N (e.g. orders=1000000), got {item!r}")
        rows[table.strip()] = int(number)
    return rows


def answers_from(items: list[str]) -> dict[str, str] | None:
    """`--answer path=value` pairs; None when there are none (so a plain resume continues)."""
    answers: dict[str, str] = {}
    for item in items:
        path, sep, value = item.partition("=")
        if not sep or not path.strip():
            raise InputError(f"--answer expects key.path=value, got {item!r}")
        answers[path.strip()] = value
    return answers or None
