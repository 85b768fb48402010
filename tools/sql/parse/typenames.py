"""Type names as PostgreSQL prints them: `int`, `int4` and `integer` are one type to every rule.

Lint and the advisor compare types by name, so the parser normalises the many spellings
(`varchar(255)`, `character varying(255)`, `timestamptz`, `pg_catalog.int8`, `serial`) to
`format_type` text plus a short canonical base name.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from tools.sql.nodes import Json, qualified_name, strings, unwrap

# Canonical (internal) name -> how format_type prints it.
_DISPLAY = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "varchar": "character varying",
    "bpchar": "character",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
    "varbit": "bit varying",
}
# Spellings that reach us without pg_catalog. The grammar already maps SQL's keyword types
# (`int`, `double precision`, `char(n)`, `timestamp with time zone`) to pg_catalog names, so
# these only matter for pseudo-types such as serial; a quoted "char" is its own type.
_ALIASES = {
    "int": "int4",
    "integer": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "real": "float4",
    "float": "float8",
    "boolean": "bool",
    "decimal": "numeric",
    "serial": "int4",
    "serial4": "int4",
    "bigserial": "int8",
    "serial8": "int8",
    "smallserial": "int2",
    "serial2": "int2",
}
_SERIALS = {"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"}
# format_type puts the precision of these inside the name: timestamp(3) with time zone.
_PRECISION_BEFORE_SUFFIX = {"timestamp", "timestamptz", "time", "timetz"}


@dataclass(frozen=True)
class ColumnType:
    type: str  # "character varying(255)", "text[]", "mpaa_rating"
    base_type: str  # "varchar", "text", "mpaa_rating"
    type_mods: tuple[int, ...] = ()
    is_array: bool = False
    serial: bool = False


def column_type(type_name: Json) -> ColumnType:
    """Normalise a TypeName node (as found in ColumnDef, CreateDomainStmt, ALTER TYPE)."""
    names = strings(type_name.get("names"))
    written = names[-1] if names else ""
    catalog = len(names) == 2 and names[0] == "pg_catalog"
    if len(names) == 1 or catalog:
        base = _ALIASES.get(written, written) if not catalog else written
    else:
        base = qualified_name(names[-2], written)
    mods, mod_text = _type_mods(type_name.get("typmods"))
    is_array = bool(type_name.get("arrayBounds"))
    text = _display(base, mods, mod_text)
    if is_array:
        text += "[]"
    serial = len(names) == 1 and written in _SERIALS
    return ColumnType(sys.intern(text), sys.intern(base), tuple(mods), is_array, serial)


def _display(base: str, mods: list[int], mod_text: list[str]) -> str:
    name = _DISPLAY.get(base, base)
    if not mod_text or base == "interval":  # interval's typmod is a field bitmask
        return name
    args = f"({','.join(mod_text)})"
    if base in _PRECISION_BEFORE_SUFFIX:
        head, _, tail = name.partition(" ")
        return f"{head}{args} {tail}"
    return f"{name}{args}"


def _type_mods(typmods: list[Json] | None) -> tuple[list[int], list[str]]:
    """Integer modifiers (for the model) and every modifier's text (for display)."""
    numbers: list[int] = []
    texts: list[str] = []
    for item in typmods or []:
        kind, body = unwrap(item)
        if kind == "A_Const" and "ival" in body:
            value = int(body["ival"].get("ival", 0))
            numbers.append(value)
            texts.append(str(value))
        elif kind == "A_Const" and "sval" in body:
            texts.append(str(body["sval"].get("sval", "")))
        elif kind == "ColumnRef":
            texts.extend(strings(body.get("fields"))[-1:])
    return numbers, texts
