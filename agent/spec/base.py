"""Shared pieces of the spec models: the strict base class and the value normalisers.

The base refuses unknown keys naming the key and the allowed ones; the normalisers accept
the spellings people write (`Shared_Schema`, `n:m`, `PCI-DSS`, `default: false`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import pglast
import pglast.ast
import pglast.parser
from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from agent.naming import snake
from tools.sql import pgparse


def _entity_name(value: str) -> str:
    """Entity names are snake_case nouns; `OrderItem` and `order item` mean `order_item`."""
    name = snake(value)
    if not name or not name[0].isalpha():
        raise ValueError(f"an entity name must start with a letter, not {value!r}")
    return name


EntityName = Annotated[str, AfterValidator(_entity_name)]
OnDelete = Literal["cascade", "restrict", "set null", "no action"]
COMPLIANCE_KNOWN = ("gdpr", "hipaa", "pci", "sox", "soc2", "ccpa", "iso27001", "ferpa", "glba")
_COMPLIANCE_ALIASES = {"pci-dss": "pci", "pcidss": "pci", "soc-2": "soc2", "iso-27001": "iso27001"}


class SpecModel(BaseModel):
    """Base: unknown keys are an error that names the key and lists the allowed ones."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        allowed = cls.allowed_keys()
        python_names = set(cls.model_fields)
        for key in data:
            if key not in allowed and key not in python_names:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise PydanticCustomError(
                    "unknown_key",
                    "unknown key '{key}'{hint}; allowed keys here: {allowed}",
                    {"key": str(key), "hint": hint, "allowed": ", ".join(allowed)},
                )
        return data

    @classmethod
    def allowed_keys(cls) -> list[str]:
        return [f.alias or name for name, f in cls.model_fields.items()]


def normalise_on_delete(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.lower().replace("_", " ").replace("-", " ").split())
    return value


def default_text(value: Any) -> Any:
    """YAML reads `default: false` as a bool and `default: 0` as an int; keep them as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


_KIND_SHORTHANDS = {
    "n:m": "many-to-many", "m:n": "many-to-many", "n-m": "many-to-many", "m2m": "many-to-many",
    "1:n": "one-to-many", "1-n": "one-to-many", "1:m": "one-to-many",
    "n:1": "many-to-one", "n-1": "many-to-one", "m:1": "many-to-one",
    "1:1": "one-to-one", "1-1": "one-to-one",
}  # fmt: skip


def hyphenated(value: Any) -> Any:
    """`Shared_Schema`, `read heavy` -> `shared-schema`, `read-heavy`."""
    if isinstance(value, str):
        return "-".join(value.strip().lower().replace("_", " ").split())
    return value


def relationship_kind(value: Any) -> Any:
    value = hyphenated(value)
    return _KIND_SHORTHANDS.get(value, value) if isinstance(value, str) else value


_WRITE_NODES = ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt")


def sql_writes(sql: str) -> bool:
    """Does the statement change data (also through a data-modifying CTE)?"""
    try:
        tree = pgparse.parse_sql(sql)
    except pglast.parser.ParseError:
        return False
    for raw in tree:
        found = [type(node).__name__ for node in _walk(raw.stmt)]
        if any(name in _WRITE_NODES for name in found):
            return True
    return False


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, tuple | list):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, pglast.ast.Node):
        for attr in node:
            yield from _walk(getattr(node, attr))


_NONE = ("none", "n/a", "na", "-", "")


def normalise_compliance(value: Any) -> Any:
    """Known spellings (`PCI-DSS`, `SOC 2`) to one id; `none` and `[]` both mean no regime."""
    if isinstance(value, list):
        return [v for v in value if not (isinstance(v, str) and v.strip().lower() in _NONE)]
    if not isinstance(value, str):
        return value
    key = "-".join(value.lower().replace("_", " ").split())
    return _COMPLIANCE_ALIASES.get(key, key.replace("-", "") if key.startswith("soc") else key)
