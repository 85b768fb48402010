"""Identifiers for the emitted files: class and field names from SQL names, and types."""

from __future__ import annotations

import keyword
import re

from tools.sql.model import Column, Schema, Table

_WORD = re.compile(r"[A-Za-z0-9]+")


def pascal(name: str) -> str:
    """`task_assignees` -> `TaskAssignees`; `audit.events` -> `AuditEvents`."""
    words = _WORD.findall(name) or ["x"]
    text = "".join(w[:1].upper() + w[1:] for w in words)
    return text if not text[0].isdigit() else f"T{text}"


def camel(name: str) -> str:
    text = pascal(name)
    return text[:1].lower() + text[1:]


def python_name(name: str) -> str:
    """A column name usable as a Python attribute (`from` -> `from_`, `2fa` -> `c_2fa`)."""
    text = re.sub(r"\W", "_", name)
    if not text or text[0].isdigit():
        text = f"c_{text}"
    return f"{text}_" if keyword.iskeyword(text) or text in {"metadata", "registry"} else text


def own_tables(schema: Schema) -> list[Table]:
    """Tables as a model sees them: partitions are rows of their parent, not tables."""
    return [t for t in schema.tables.values() if t.partition_of is None]


def referenced_columns(schema: Schema, table: str, columns: list[str]) -> list[str]:
    """A foreign key's target columns; none written means the target's primary key."""
    if columns:
        return columns
    target = schema.tables.get(table)
    return list(target.primary_key) if target is not None else ["id"]


def literal_default(column: Column, schema: Schema) -> str | None:
    """The default as a plain literal (`'free'`, `0`, `true`), or None for an expression."""
    value = (column.default or "").strip()
    cast = re.fullmatch(r"CAST\((?P<inner>'(?:[^']|'')*') AS (?P<type>[\w.\"]+)\)", value)
    if cast:
        value = cast["inner"]
    cast = re.fullmatch(r"(?P<inner>'(?:[^']|'')*')::[\w.\" ]+", value)
    if cast:
        value = cast["inner"]
    if re.fullmatch(r"'(?:[^']|'')*'|-?\d+(\.\d+)?|true|false", value, re.IGNORECASE):
        return value
    return None
