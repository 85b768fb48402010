"""CREATE TABLE into the model: columns, inline and table constraints, LIKE, partitions."""

from __future__ import annotations

import sys
from copy import deepcopy
from dataclasses import replace

from pglast.enums import TableLikeOption

from tools.sql.model import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    IndexElement,
    Table,
    UniqueConstraint,
)
from tools.sql.nodes import Json, column_refs, deparse, range_var_name, strings, unwrap
from tools.sql.parse.builder import SchemaBuilder
from tools.sql.parse.typenames import column_type

_FK_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}
_PARTITION_STRATEGIES = {
    "PARTITION_STRATEGY_RANGE": "RANGE",
    "PARTITION_STRATEGY_LIST": "LIST",
    "PARTITION_STRATEGY_HASH": "HASH",
}
_LIKE_DEFAULTS = TableLikeOption.CREATE_TABLE_LIKE_DEFAULTS
_LIKE_CONSTRAINTS = TableLikeOption.CREATE_TABLE_LIKE_CONSTRAINTS
_LIKE_INDEXES = TableLikeOption.CREATE_TABLE_LIKE_INDEXES
_LIKE_GENERATED = TableLikeOption.CREATE_TABLE_LIKE_GENERATED
_LIKE_IDENTITY = TableLikeOption.CREATE_TABLE_LIKE_IDENTITY


def create_table(b: SchemaBuilder, body: Json) -> None:
    relation = body["relation"]
    key = range_var_name(relation)
    if key in b.schema.tables:
        return  # IF NOT EXISTS, or an error PostgreSQL reports at validation
    statement = b.statement
    table = Table(
        name=key,
        unlogged=relation.get("relpersistence") == "u",
        file=b.file,
        line=statement.line if statement else b.line(relation.get("location")),
    )
    b.schema.tables[key] = table
    parents = [range_var_name(unwrap(p)[1]) for p in body.get("inhRelations", [])]
    if body.get("partbound") and parents:
        table.partition_of = parents[0]
    for parent in parents:
        _inherit(b, table, parent, partition=table.partition_of is not None)
    for element in body.get("tableElts", []):
        kind, fields = unwrap(element)
        if kind == "ColumnDef":
            add_column(b, table, fields)
        elif kind == "Constraint":
            add_constraint(b, table, fields)
        elif kind == "TableLikeClause":
            _copy_like(b, table, fields)
    if body.get("partspec"):
        table.partition_by = _partition_by(body["partspec"])


def add_column(b: SchemaBuilder, table: Table, column_def: Json) -> Column:
    """A ColumnDef with its inline constraints (which may touch the table: PK, FK, UNIQUE)."""
    name = sys.intern(str(column_def.get("colname", "")))
    ctype = column_type(column_def["typeName"])
    column = Column(
        name=name,
        type=ctype.type,
        base_type=ctype.base_type,
        type_mods=ctype.type_mods,
        is_array=ctype.is_array,
        identity=ctype.serial,
        nullable=not ctype.serial,
        line=b.line(column_def.get("location")),
    )
    existing = table.column(name)
    if existing is not None:  # inherited column merged with a local definition
        table.columns.remove(existing)
    table.columns.append(column)
    if column_def.get("raw_default"):
        set_default(column, column_def["raw_default"])
    for item in column_def.get("constraints", []):
        apply_column_constraint(b, table, column, unwrap(item)[1])
    return column


def set_default(column: Column, expr: Json | None) -> None:
    """Set or drop a default; a sequence default is how pg_dump writes a serial column."""
    column.default = deparse(expr) if expr else None
    if column.default is not None and column.default.startswith("nextval("):
        column.identity = True


def apply_column_constraint(b: SchemaBuilder, table: Table, column: Column, con: Json) -> None:
    contype = con.get("contype")
    if contype == "CONSTR_NOTNULL":
        column.nullable = False
    elif contype == "CONSTR_NULL":
        column.nullable = True
    elif contype == "CONSTR_DEFAULT" and con.get("raw_expr"):
        set_default(column, con["raw_expr"])
    elif contype == "CONSTR_IDENTITY":
        column.identity, column.nullable = True, False
        column.identity_always = con.get("generated_when") == "a"
    elif contype == "CONSTR_GENERATED" and con.get("raw_expr"):
        column.generated = deparse(con["raw_expr"])
        column.generated_virtual = con.get("generated_kind") == "v"
    else:
        add_constraint(b, table, con, column=column.name)


def add_constraint(b: SchemaBuilder, table: Table, con: Json, column: str | None = None) -> None:
    """A table-level constraint, or an inline one when `column` names its column."""
    contype = con.get("contype")
    name = con.get("conname")
    line = b.line(con.get("location"))
    keys = [column] if column else strings(con.get("keys"))
    if contype == "CONSTR_PRIMARY":
        if con.get("indexname"):
            keys = _index_columns(table, str(con["indexname"]))
        table.primary_key = keys
        if name:
            b.pk_names[table.name] = str(name)
        for key in keys:
            target = table.column(key)
            if target is not None:
                target.nullable = False
    elif contype == "CONSTR_UNIQUE":
        if con.get("indexname"):
            keys = _index_columns(table, str(con["indexname"]))
        if keys:  # USING INDEX of an index we never saw: PostgreSQL will say so
            table.uniques.append(UniqueConstraint(name=name, columns=keys, line=line))
    elif contype == "CONSTR_CHECK" and con.get("raw_expr"):
        expr = con["raw_expr"]
        checks = CheckConstraint(name=name, expression=deparse(expr), columns=column_refs(expr))
        checks.line = line
        table.checks.append(checks)
    elif contype == "CONSTR_FOREIGN":
        table.foreign_keys.append(_foreign_key(con, column, line))
    elif contype == "CONSTR_EXCLUSION":
        table.indexes.append(_exclusion_index(table, con, line))


def _foreign_key(con: Json, column: str | None, line: int | None) -> ForeignKey:
    return ForeignKey(
        name=con.get("conname"),
        columns=[column] if column else strings(con.get("fk_attrs")),
        ref_table=range_var_name(con["pktable"]),
        ref_columns=strings(con.get("pk_attrs")),
        on_delete=_FK_ACTIONS.get(str(con.get("fk_del_action", "a")), "NO ACTION"),
        on_update=_FK_ACTIONS.get(str(con.get("fk_upd_action", "a")), "NO ACTION"),
        line=line,
    )


def _exclusion_index(table: Table, con: Json, line: int | None) -> Index:
    """An EXCLUDE constraint is enforced by an index; the advisor should see it as one."""
    elements: list[IndexElement] = []
    for pair in con.get("exclusions", []):
        items = unwrap(pair)[1].get("items", [])
        if items:
            element = index_element(unwrap(items[0])[1])
            operator = strings(unwrap(items[1])[1].get("items")) if len(items) > 1 else []
            element.operator = operator[-1] if operator else None
            elements.append(element)
    where = con.get("where_clause")
    return Index(
        name=con.get("conname"),
        table=table.name,
        elements=elements,
        method=str(con.get("access_method", "gist")),
        where=deparse(where) if where else None,
        line=line,
    )


def index_element(elem: Json) -> IndexElement:
    opclass = strings(elem.get("opclass"))
    nulls = elem.get("nulls_ordering", "SORTBY_NULLS_DEFAULT")
    return IndexElement(
        column=elem.get("name"),
        expression=deparse(elem["expr"]) if elem.get("expr") else None,
        reads=column_refs(elem["expr"]) if elem.get("expr") else [],
        opclass=opclass[-1] if opclass else None,
        descending=elem.get("ordering") == "SORTBY_DESC",
        nulls_first=None if nulls == "SORTBY_NULLS_DEFAULT" else nulls == "SORTBY_NULLS_FIRST",
    )


def _index_columns(table: Table, index_name: str) -> list[str]:
    index = next((i for i in table.indexes if i.name == index_name), None)
    return [e.column for e in index.elements if e.column] if index else []


def _partition_by(spec: Json) -> str:
    strategy = _PARTITION_STRATEGIES.get(str(spec.get("strategy")), str(spec.get("strategy")))
    params: list[str] = []
    for item in spec.get("partParams", []):
        elem = unwrap(item)[1]
        params.append(str(elem["name"]) if elem.get("name") else f"({deparse(elem['expr'])})")
    return f"{strategy} ({', '.join(params)})"


def _inherit(b: SchemaBuilder, table: Table, parent_key: str, partition: bool) -> None:
    """Columns (and for a partition, keys) come from the parent as PostgreSQL copies them."""
    parent = b.table(parent_key)
    if parent is None:
        return
    for column in parent.columns:
        if table.column(column.name) is None:
            table.columns.append(deepcopy(column))
    table.checks.extend(deepcopy(c) for c in parent.checks)
    if partition:
        table.primary_key = list(parent.primary_key)
        table.foreign_keys.extend(deepcopy(fk) for fk in parent.foreign_keys)


def _copy_like(b: SchemaBuilder, table: Table, like: Json) -> None:
    source = b.table(range_var_name(like["relation"]))
    if source is None:
        return
    options = int(like.get("options", 0))
    for column in source.columns:
        copy = deepcopy(column)
        if not options & _LIKE_DEFAULTS:
            copy.default = None
        if not options & _LIKE_GENERATED:
            copy.generated = None
        if not options & _LIKE_IDENTITY:
            copy.identity = False
        table.columns.append(copy)
    if options & _LIKE_CONSTRAINTS:
        table.checks.extend(deepcopy(c) for c in source.checks)
    if options & _LIKE_INDEXES:
        table.primary_key = list(source.primary_key)
        table.uniques.extend(deepcopy(u) for u in source.uniques)
        for index in source.indexes:
            table.indexes.append(replace(index, table=table.name, name=None))
