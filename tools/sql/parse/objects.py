"""CREATE INDEX, types, domains, views, extensions and functions into the model."""

from __future__ import annotations

from tools.sql.model import Domain, EnumType, Index, Table, View
from tools.sql.nodes import Json, deparse, name_from_list, range_var_name, strings, unwrap
from tools.sql.parse.builder import SchemaBuilder
from tools.sql.parse.table import index_element
from tools.sql.parse.typenames import column_type


def create_index(b: SchemaBuilder, body: Json) -> None:
    table = b.table(range_var_name(body["relation"]))
    if table is None:
        return
    name = body.get("idxname")
    if name and body.get("if_not_exists") and any(i.name == name for i in table.indexes):
        return
    where = body.get("whereClause")
    index = Index(
        name=name,
        table=table.name,
        elements=[index_element(unwrap(p)[1]) for p in body.get("indexParams", [])],
        unique=bool(body.get("unique")),
        method=str(body.get("accessMethod") or "btree"),
        where=deparse(where) if where else None,
        include=[
            str(unwrap(p)[1].get("name"))
            for p in body.get("indexIncludingParams", [])
            if unwrap(p)[1].get("name")
        ],
        line=b.statement.line if b.statement else None,
    )
    table.indexes.append(index)
    if body.get("primary"):
        _set_primary_key(table, index)


def _set_primary_key(table: Table, index: Index) -> None:
    table.primary_key = [e.column for e in index.elements if e.column]
    for name in table.primary_key:
        column = table.column(name)
        if column is not None:
            column.nullable = False


def create_enum(b: SchemaBuilder, body: Json) -> None:
    key = name_from_list(body.get("typeName"))
    b.schema.enums[key] = EnumType(name=key, values=strings(body.get("vals")), line=_line(b))


def alter_enum(b: SchemaBuilder, body: Json) -> None:
    """ALTER TYPE ... ADD VALUE [BEFORE|AFTER] / RENAME VALUE, keeping the declared order."""
    enum = b.schema.enums.get(name_from_list(body.get("typeName")))
    if enum is None:
        return
    old, new = body.get("oldVal"), body.get("newVal")
    if not new:
        return
    if old:
        enum.values = [str(new) if v == old else v for v in enum.values]
        return
    if new in enum.values:
        return  # ADD VALUE IF NOT EXISTS
    neighbour = body.get("newValNeighbor")
    if neighbour in enum.values:
        at = enum.values.index(str(neighbour)) + (1 if body.get("newValIsAfter") else 0)
        enum.values.insert(at, str(new))
    else:
        enum.values.append(str(new))


def create_domain(b: SchemaBuilder, body: Json) -> None:
    key = name_from_list(body.get("domainname"))
    not_null = any(
        unwrap(c)[1].get("contype") == "CONSTR_NOTNULL" for c in body.get("constraints", [])
    )
    base = column_type(body["typeName"]).type
    b.schema.domains[key] = Domain(name=key, base_type=base, nullable=not not_null, line=_line(b))


def create_view(b: SchemaBuilder, body: Json) -> None:
    key = range_var_name(body["view"])
    b.schema.views[key] = View(name=key, materialized=False, line=_line(b))


def create_table_as(b: SchemaBuilder, body: Json) -> None:
    """Materialized views become views; CREATE TABLE AS a table whose columns we cannot see."""
    into = body.get("into", {})
    relation = into.get("rel")
    if not relation:
        return
    key = range_var_name(relation)
    if body.get("objtype") == "OBJECT_MATVIEW":
        b.schema.views[key] = View(name=key, materialized=True, line=_line(b))
    elif key not in b.schema.tables:
        b.schema.tables[key] = Table(name=key, file=b.file, line=_line(b))


def create_extension(b: SchemaBuilder, body: Json) -> None:
    name = str(body.get("extname", ""))
    if name and name not in b.schema.extensions:
        b.schema.extensions.append(name)


def create_function(b: SchemaBuilder, body: Json) -> None:
    name = name_from_list(body.get("funcname"))
    if name and name not in b.schema.functions:
        b.schema.functions.append(name)


def _line(b: SchemaBuilder) -> int | None:
    return b.statement.line if b.statement else None
