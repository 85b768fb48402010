"""Telling root failures from their consequences while a schema is applied.

When `CREATE EXTENSION postgis` fails, every table with a geometry column fails after it,
and so does every index, constraint and comment on those tables. Reporting forty errors as
equals hides the one that matters, so each failure records what it would have created, and
a later failure that names one of those objects (in PostgreSQL's message or in its own
parse tree) is marked as caused by the root failure's line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tools.sql.nodes import (
    Json,
    json_dicts,
    name_from_list,
    qualified_name,
    range_var_name,
    strings,
    unwrap,
)

# What common extensions provide: type/operator-class/access-method names, and prefixes of
# function names. Used to name the extension a failure needed.
_PROVIDES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "postgis": (
        frozenset({"geometry", "geography", "box2d", "box3d", "spheroid", "geometry_dump"}),
        ("st_", "postgis_", "addgeometrycolumn", "dropgeometrycolumn"),
    ),
    "postgis_raster": (frozenset({"raster"}), ("st_", "rt_")),
    "postgis_topology": (frozenset({"topology", "topogeometry"}), ("topology.",)),
    "vector": (frozenset({"vector", "halfvec", "sparsevec", "hnsw", "ivfflat"}), ()),
    "citext": (frozenset({"citext"}), ()),
    "hstore": (frozenset({"hstore"}), ("hstore",)),
    "ltree": (frozenset({"ltree", "lquery", "ltxtquery"}), ("subltree", "nlevel")),
    "cube": (frozenset({"cube"}), ("cube_",)),
    "pg_trgm": (
        frozenset({"gin_trgm_ops", "gist_trgm_ops"}),
        ("similarity", "word_similarity", "show_trgm"),
    ),
    "btree_gist": (frozenset({"gist_int4_ops", "gist_int8_ops", "gist_text_ops"}), ()),
    "uuid-ossp": (frozenset(), ("uuid_generate_", "uuid_nil", "uuid_ns_")),
    "pgcrypto": (frozenset(), ("gen_random_bytes", "crypt", "gen_salt", "digest", "hmac", "pgp_")),
    "unaccent": (frozenset(), ("unaccent",)),
    "fuzzystrmatch": (frozenset(), ("levenshtein", "soundex", "metaphone", "dmetaphone")),
    "earthdistance": (frozenset({"earth"}), ("ll_to_earth", "earth_distance", "earth_box")),
    "intarray": (frozenset({"gin__int_ops", "gist__int_ops", "gist__intbig_ops"}), ("intset",)),
    "tablefunc": (frozenset(), ("crosstab", "normal_rand", "connectby")),
    "pg_stat_statements": (frozenset({"pg_stat_statements"}), ("pg_stat_statements",)),
    "hypopg": (frozenset(), ("hypopg",)),
    "timescaledb": (frozenset(), ("create_hypertable", "time_bucket", "add_retention_policy")),
    "pgrouting": (frozenset(), ("pgr_",)),
}
_QUOTED = re.compile(r'"([^"]+)"')
_COLUMN = re.compile(r'column "([^"]+)"')
_QUALIFIED = re.compile(r"\b([A-Za-z_][\w$]*\.[A-Za-z_][\w$]*)\b")
_FUNCTION = re.compile(r"\bfunction ([\w$.]+)\(([^)]*)\)")
_NO_OPERATOR_CLASS = re.compile(
    r"data type \w+(?: \w+)* has no default operator class for access method \"(gist|gin)\""
)
_NOT_AVAILABLE = ("is not available", "could not open extension control file")


def extension_providing(name: str) -> str | None:
    """The extension that would provide a type or function of this name, if we know one."""
    bare = name.rpartition(".")[2].lower()
    for extension, (names, prefixes) in _PROVIDES.items():
        if bare in names or any(bare.startswith(p) for p in prefixes):
            return extension
    return None


def is_missing_extension(message: str) -> bool:
    return any(marker in message for marker in _NOT_AVAILABLE)


@dataclass(frozen=True)
class Cause:
    line: int  # line of the root failure
    extension: str | None  # the missing extension at the root, when there is one
    file: str | None = None


class FailureTracker:
    """Objects whose creation failed, each pointing at the root failure that doomed it."""

    def __init__(self) -> None:
        self._objects: dict[str, Cause] = {}
        self._columns: dict[str, Cause] = {}
        self._extensions: dict[str, Cause] = {}

    def cause_of(self, node: Json, message: str) -> Cause | None:
        """The earlier failure this one follows from: named in the message, else referenced."""
        for column in _COLUMN.findall(message):
            if column in self._columns:
                return self._columns[column]
        for name in _message_names(message):
            cause = self._lookup(name)
            if cause is not None:
                return cause
        for name in _referenced_names(node):
            cause = self._lookup(name)
            if cause is not None:
                return cause
        return None

    def guess_extension(self, node: Json, message: str) -> str | None:
        """A known extension whose type or function the failing statement needed."""
        operator_class = _NO_OPERATOR_CLASS.search(message)
        if operator_class is not None:  # e.g. an int column in a GiST exclusion constraint
            return f"btree_{operator_class.group(1)}"
        for name in [*_message_names(message), *_referenced_names(node)]:
            extension = extension_providing(name)
            if extension is not None:
                return extension
        return None

    def record(self, kind: str, node: Json, cause: Cause) -> None:
        """Remember what the failed statement would have created, all blamed on `cause`."""
        if kind == "CreateExtensionStmt":
            self._extensions[str(node.get("extname", ""))] = cause
        for name in created_names(kind, node):
            self._objects.setdefault(name, cause)
        if kind == "AlterTableStmt":
            for command in node.get("cmds", []):
                definition = unwrap(command)[1].get("def")
                if definition and "ColumnDef" in definition:
                    self._columns.setdefault(str(definition["ColumnDef"].get("colname")), cause)

    def _lookup(self, name: str) -> Cause | None:
        key = _normalise(name)
        if key in self._objects:
            return self._objects[key]
        schema = key.rpartition(".")[0]
        if schema and schema in self._objects:
            return self._objects[schema]
        if key in self._extensions:
            return self._extensions[key]
        extension = extension_providing(key)
        return self._extensions.get(extension) if extension else None


def created_names(kind: str, node: Json) -> list[str]:
    """Keys of the objects a statement creates (tables, types, schemas, functions...)."""
    if kind in ("CreateStmt", "CreateForeignTableStmt"):
        return [range_var_name(node.get("relation") or node.get("base", {}).get("relation", {}))]
    if kind == "CreateSeqStmt":
        return [range_var_name(node["sequence"])]
    if kind == "ViewStmt":
        return [range_var_name(node["view"])]
    if kind == "CreateTableAsStmt":
        return [range_var_name(node.get("into", {}).get("rel", {}))]
    if kind == "CompositeTypeStmt":
        return [range_var_name(node["typevar"])]
    if kind in ("CreateEnumStmt", "CreateRangeStmt"):
        return [name_from_list(node.get("typeName"))]
    if kind == "CreateDomainStmt":
        return [name_from_list(node.get("domainname"))]
    if kind == "CreateFunctionStmt":
        return [name_from_list(node.get("funcname"))]
    if kind == "CreateSchemaStmt":
        return [str(node.get("schemaname", ""))]
    if kind == "IndexStmt" and node.get("idxname"):
        return [qualified_name(node["relation"].get("schemaname"), str(node["idxname"]))]
    if kind == "RenameStmt" and node.get("renameType") == "OBJECT_TABLE" and node.get("relation"):
        return [qualified_name(node["relation"].get("schemaname"), str(node.get("newname")))]
    if kind == "AlterObjectSchemaStmt" and node.get("relation"):
        return [qualified_name(str(node.get("newschema")), str(node["relation"].get("relname")))]
    relation = node.get("relation") or {}
    if kind == "RenameStmt" and node.get("renameType") == "OBJECT_TABLE" and relation:
        return [qualified_name(relation.get("schemaname"), str(node.get("newname")))]
    if kind == "AlterObjectSchemaStmt" and relation:
        return [qualified_name(str(node.get("newschema")), str(relation.get("relname")))]
    if kind == "CreateExtensionStmt":
        names, _ = _PROVIDES.get(str(node.get("extname")), (frozenset(), ()))
        return [str(node.get("extname", "")), *sorted(names)]
    return []


def _normalise(name: str) -> str:
    schema, _, bare = name.rpartition(".")
    return qualified_name(schema or None, bare)


def _message_names(message: str) -> list[str]:
    names = _QUOTED.findall(message) + _QUALIFIED.findall(message)
    for function, args in _FUNCTION.findall(message):
        names.append(function)
        names.extend(a.strip() for a in args.split(",") if a.strip())
    return names


def _referenced_names(node: Any) -> list[str]:
    """Relations, types and functions a statement's parse tree mentions."""
    found: list[str] = []
    for value in json_dicts(node):
        if "relname" in value:
            found.append(range_var_name(value))
        if "typemod" in value and "names" in value:
            found.append(name_from_list(value["names"]))
        if "funcname" in value:
            found.append(name_from_list(value["funcname"]))
        if "accessMethod" in value:
            found.append(str(value["accessMethod"]))
        if "opclass" in value:
            found.extend(strings(value["opclass"])[-1:])
    return found
