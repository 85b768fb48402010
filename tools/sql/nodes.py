"""Small typed accessors over libpg_query's JSON parse trees, and deparsing of expressions.

The parser works on the JSON form (fast to produce); only the few expressions we print
(defaults, CHECKs, index predicates) are turned into pglast nodes for its deparser.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Iterator
from typing import Any, cast

from pglast import ast
from pglast.keywords import RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS
from pglast.stream import RawStream

Json = dict[str, Any]

# A_Const keeps its value unwrapped under one of these keys, each naming a value node.
_CONST_VALUES = {
    "ival": "Integer",
    "fval": "Float",
    "sval": "String",
    "boolval": "Boolean",
    "bsval": "BitString",
}
# The JSON omits zero values; pglast would print a missing one as "None".
_ZERO = {"Integer": 0, "Float": "0", "String": "", "Boolean": False, "BitString": ""}
_WRAPPED_TYPES = ("Node*", "Expr*")


def unwrap(node: Json) -> tuple[str, Json]:
    """(node name, fields) of a wrapped node such as {"ColumnRef": {...}}."""
    ((name, body),) = node.items()
    return name, cast(Json, body)


def kind_of(node: Json) -> str:
    return next(iter(node))


def strings(items: list[Json] | None) -> list[str]:
    """The svals of a list of String nodes (qualified names, column lists).

    Interned: a schema repeats the same few names (`id`, `created_at`, its type names)
    in every table, and a review of a large dump holds all of them at once.
    """
    return [
        sys.intern(str(item["String"].get("sval", ""))) for item in items or [] if "String" in item
    ]


def qualified_name(schema: str | None, name: str) -> str:
    """The project's key for an object: bare in schema public, `schema.name` elsewhere."""
    if not schema or schema in ("public", "pg_catalog"):
        return sys.intern(name)
    return sys.intern(f"{schema}.{name}")


def name_from_list(items: list[Json] | None) -> str:
    """Key for a name given as a list of Strings (`public.mpaa_rating`, `audit.events`)."""
    parts = strings(items)
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return qualified_name(parts[-2], parts[-1])


def range_var_name(rv: Json) -> str:
    return qualified_name(rv.get("schemaname"), str(rv.get("relname", "")))


def json_dicts(node: Any) -> Iterator[Json]:
    """Every mapping in a libpg_query JSON tree, parents before children."""
    if isinstance(node, dict):
        yield node
        for child in node.values():
            yield from json_dicts(child)
    elif isinstance(node, list):
        for child in node:
            yield from json_dicts(child)


def column_refs(node: Any) -> list[str]:
    """Column names an expression reads, in first-seen order (for CHECK constraints)."""
    found: list[str] = []
    for value in json_dicts(node):
        ref = value.get("ColumnRef")
        if isinstance(ref, dict):
            names = strings(ref.get("fields"))
            if names and names[-1] not in found:
                found.append(names[-1])
    return found


def deparse(node: Json) -> str:
    """SQL text of an expression node, as pglast's deparser prints it.

    Deparsing costs ~0.5 ms; schemas repeat the same defaults and predicates (`now()`,
    `false`, `deleted_at IS NULL`) on every table, so results are memoised by the node's
    shape with its source locations left out.
    """
    return _deparse_shape(_LOCATION.sub(_drop_location, json.dumps(node)))


# A `"location": n` member (or a list's start/end offset); quotes inside JSON strings are
# escaped, so this never matches string content.
_POSITION_KEY = r'"(?:location|\w*list_start|\w*list_end)": -?\d+'
_LOCATION = re.compile(rf"(\{{){_POSITION_KEY}(, )?|, {_POSITION_KEY}")


def _drop_location(match: re.Match[str]) -> str:
    return match.group(1) or ""


@functools.lru_cache(maxsize=4096)
def _deparse_shape(shape: str) -> str:
    return str(RawStream()(to_ast(json.loads(shape))))


def to_ast(node: Json) -> ast.Node:
    """Convert a wrapped JSON node to pglast's AST (field types guide the unwrapped parts)."""
    name, body = unwrap(node)
    return _build(name, body)


def _build(name: str, body: Json) -> ast.Node:
    cls = getattr(ast, name)
    data: dict[str, Any] = {"@": name}
    if name == "A_Const":
        data.update(_const_fields(body))
    elif name in _ZERO:
        data[next(iter(cls.__slots__))] = next(iter(body.values()), _ZERO[name])
    else:
        slots = cls.__slots__
        for field, value in body.items():
            if field in slots:
                data[field] = _value(slots[field].c_type, value)
    return cast(ast.Node, cls(data))


def _const_fields(body: Json) -> Json:
    fields: Json = {"isnull": bool(body.get("isnull", False)), "location": body.get("location")}
    for key, value_node in _CONST_VALUES.items():
        if key in body:
            fields["val"] = _build(value_node, body[key])
    return fields


def _value(c_type: str, value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_item(item) for item in value)
    if isinstance(value, dict):
        if c_type.endswith("*") and c_type not in _WRAPPED_TYPES and hasattr(ast, c_type[:-1]):
            return _build(c_type[:-1], value)  # a typed field: the node comes unwrapped
        return _item(value)
    return value


def _item(value: Any) -> Any:
    if isinstance(value, dict):
        if "List" in value:  # pglast has no List node: a plain tuple stands for it
            return tuple(_item(v) for v in value["List"].get("items", []))
        return to_ast(value)
    if isinstance(value, list):
        return tuple(_item(v) for v in value)
    return value


_PLAIN_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_$]*$")


def quote_literal(text: str) -> str:
    """`text` as a standard SQL string literal, quotes doubled: what PostgreSQL prints back
    (standard_conforming_strings, on since 9.1), so a generated predicate reads the same in
    the DDL and in pg_get_constraintdef()."""
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """`name` as it must be written in SQL: bare when it can be, double-quoted otherwise."""
    reserved = name in RESERVED_KEYWORDS or name in TYPE_FUNC_NAME_KEYWORDS
    if _PLAIN_IDENTIFIER.match(name) and not reserved:
        return name
    return '"' + name.replace('"', '""') + '"'
