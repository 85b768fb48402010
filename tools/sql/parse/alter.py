"""ALTER TABLE, RENAME, SET SCHEMA and DROP into the model, applied in statement order."""

from __future__ import annotations

from tools.sql.model import CheckConstraint, ForeignKey, Index, Table, UniqueConstraint
from tools.sql.nodes import Json, deparse, name_from_list, qualified_name, range_var_name, unwrap
from tools.sql.parse.builder import SchemaBuilder
from tools.sql.parse.table import add_column, add_constraint, set_default
from tools.sql.parse.typenames import column_type


def alter_table(b: SchemaBuilder, body: Json) -> None:
    if body.get("objtype", "OBJECT_TABLE") not in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE"):
        return
    table = b.table(range_var_name(body["relation"]))
    if table is None:
        return  # PostgreSQL reports the missing table at validation
    for item in body.get("cmds", []):
        _alter_command(b, table, unwrap(item)[1])


def _alter_command(b: SchemaBuilder, table: Table, cmd: Json) -> None:
    subtype = cmd.get("subtype")
    name = cmd.get("name")
    column = table.column(str(name)) if name else None
    definition = cmd.get("def")
    if subtype == "AT_AddColumn" and definition:
        if not (cmd.get("missing_ok") and table.column(unwrap(definition)[1].get("colname", ""))):
            add_column(b, table, unwrap(definition)[1])
    elif subtype == "AT_DropColumn" and name:
        drop_column(table, str(name))
    elif subtype == "AT_AddConstraint" and definition:
        add_constraint(b, table, unwrap(definition)[1])
    elif subtype == "AT_DropConstraint" and name:
        _drop_constraint(b, table, str(name))
    elif subtype == "AT_AttachPartition" and definition:
        partition = b.table(range_var_name(unwrap(definition)[1]["name"]))
        if partition is not None:
            partition.partition_of = table.name
    elif subtype == "AT_DetachPartition" and definition:
        partition = b.table(range_var_name(unwrap(definition)[1]["name"]))
        if partition is not None:
            partition.partition_of = None
    elif subtype in _ROW_SECURITY:
        table.row_level_security = _ROW_SECURITY[subtype]
    elif subtype in _FORCE_ROW_SECURITY:
        table.force_row_level_security = _FORCE_ROW_SECURITY[subtype]
    elif subtype == "AT_SetUnLogged":
        table.unlogged = True
    elif subtype == "AT_SetLogged":
        table.unlogged = False
    elif column is not None:
        _alter_column(subtype, column_cmd=cmd, table=table, column_name=column.name)


_ROW_SECURITY = {
    "AT_EnableRowSecurity": True,
    "AT_DisableRowSecurity": False,
}
_FORCE_ROW_SECURITY = {
    "AT_ForceRowSecurity": True,
    "AT_NoForceRowSecurity": False,
}


def _alter_column(subtype: object, column_cmd: Json, table: Table, column_name: str) -> None:
    column = table.column(column_name)
    if column is None:
        return
    definition = column_cmd.get("def")
    if subtype == "AT_SetNotNull":
        column.nullable = False
    elif subtype == "AT_DropNotNull":
        column.nullable = True
    elif subtype == "AT_ColumnDefault":
        set_default(column, definition)
    elif subtype == "AT_AlterColumnType" and definition:
        ctype = column_type(unwrap(definition)[1]["typeName"])
        column.type, column.base_type = ctype.type, ctype.base_type
        column.type_mods, column.is_array = ctype.type_mods, ctype.is_array
    elif subtype == "AT_AddIdentity":
        column.identity, column.nullable = True, False
    elif subtype == "AT_DropIdentity":
        column.identity = False
    elif subtype == "AT_DropExpression":
        column.generated = None
    elif subtype == "AT_SetExpression" and definition:
        column.generated = deparse(definition)


def drop_column(table: Table, name: str) -> None:
    """Drop a column and, as PostgreSQL does, every constraint and index that uses it."""
    table.columns = [c for c in table.columns if c.name != name]
    if name in table.primary_key:
        table.primary_key = []
    table.foreign_keys = [fk for fk in table.foreign_keys if name not in fk.columns]
    table.uniques = [u for u in table.uniques if name not in u.columns]
    table.checks = [c for c in table.checks if name not in c.columns]
    table.indexes = [i for i in table.indexes if name not in i.keys and name not in i.include]


def _drop_constraint(b: SchemaBuilder, table: Table, name: str) -> None:
    table.foreign_keys = [fk for fk in table.foreign_keys if fk.name != name]
    table.uniques = [u for u in table.uniques if u.name != name]
    table.checks = [c for c in table.checks if c.name != name]
    table.indexes = [i for i in table.indexes if i.name != name]  # EXCLUDE constraints
    if name == b.primary_key_name(table):
        table.primary_key = []


def rename(b: SchemaBuilder, body: Json) -> None:
    kind = body.get("renameType")
    new = str(body.get("newname", ""))
    relation = body.get("relation")
    old_key = range_var_name(relation) if relation else ""
    if kind == "OBJECT_TABLE":
        schema = relation.get("schemaname") if relation else None
        b.rename_table(old_key, qualified_name(schema, new))
    elif kind == "OBJECT_COLUMN" and (table := b.table(old_key)) is not None:
        rename_column(b, table, str(body.get("subname", "")), new)
    elif kind == "OBJECT_TABCONSTRAINT" and (table := b.table(old_key)) is not None:
        _rename_constraint(b, table, str(body.get("subname", "")), new)
    elif kind == "OBJECT_INDEX" and (found := b.find_index(old_key)) is not None:
        found[1].name = new
    elif kind in ("OBJECT_VIEW", "OBJECT_MATVIEW") and old_key in b.schema.views:
        view = b.schema.views.pop(old_key)
        view.name = qualified_name(relation.get("schemaname") if relation else None, new)
        b.schema.views[view.name] = view
    elif kind in ("OBJECT_TYPE", "OBJECT_DOMAIN"):
        _rename_type(b, body, new)


def rename_column(b: SchemaBuilder, table: Table, old: str, new: str) -> None:
    """Rename a column everywhere the model names it, references from other tables included."""
    column = table.column(old)
    if column is None:
        return
    column.name = new

    def swap(names: list[str]) -> list[str]:
        return [new if n == old else n for n in names]

    table.primary_key = swap(table.primary_key)
    for fk in table.foreign_keys:
        fk.columns = swap(fk.columns)
    for unique in table.uniques:
        unique.columns = swap(unique.columns)
    for check in table.checks:
        check.columns = swap(check.columns)
    for index in table.indexes:
        index.include = swap(index.include)
        for element in index.elements:
            if element.column == old:
                element.column = new
    for other in b.schema.tables.values():
        for fk in other.foreign_keys:
            if fk.ref_table == table.name:
                fk.ref_columns = swap(fk.ref_columns)


def _rename_constraint(b: SchemaBuilder, table: Table, old: str, new: str) -> None:
    named: list[ForeignKey | UniqueConstraint | CheckConstraint | Index] = [
        *table.foreign_keys,
        *table.uniques,
        *table.checks,
        *table.indexes,
    ]
    for item in named:
        if item.name == old:
            item.name = new
    if old == b.primary_key_name(table):
        b.pk_names[table.name] = new


def _rename_type(b: SchemaBuilder, body: Json, new: str) -> None:
    names = body.get("object", {})
    kind, fields = unwrap(names) if names else ("", {})
    items = fields.get("items", []) if kind == "List" else fields.get("names", [])
    old = name_from_list(items)
    schema = old.rpartition(".")[0] or None
    new_key = qualified_name(schema, new)
    if old in b.schema.enums:
        enum = b.schema.enums.pop(old)
        enum.name = new_key
        b.schema.enums[new_key] = enum
    if old in b.schema.domains:
        domain = b.schema.domains.pop(old)
        domain.name = new_key
        b.schema.domains[new_key] = domain
    for table in b.schema.tables.values():
        for column in table.columns:
            if column.base_type == old:
                column.base_type = new_key
                column.type = column.type.replace(old, new_key, 1)


def set_schema(b: SchemaBuilder, body: Json) -> None:
    if body.get("objectType") != "OBJECT_TABLE" or not body.get("relation"):
        return
    relation = body["relation"]
    new = qualified_name(str(body.get("newschema", "")), str(relation.get("relname", "")))
    b.rename_table(range_var_name(relation), new)


def drop(b: SchemaBuilder, body: Json) -> None:
    kind = body.get("removeType")
    cascade = body.get("behavior") == "DROP_CASCADE"
    for obj in body.get("objects", []):
        node_kind, fields = unwrap(obj)
        if node_kind == "List":
            key = name_from_list(fields.get("items"))
        elif node_kind == "TypeName":
            key = name_from_list(fields.get("names"))
        elif node_kind == "String":
            key = str(fields.get("sval", ""))
        elif node_kind == "ObjectWithArgs":
            key = name_from_list(fields.get("objname"))
        else:
            continue
        _drop_one(b, str(kind), key, cascade)


def _drop_one(b: SchemaBuilder, kind: str, key: str, cascade: bool) -> None:
    schema = b.schema
    if kind == "OBJECT_TABLE" and schema.tables.pop(key, None) is not None:
        if cascade:
            for table in schema.tables.values():
                table.foreign_keys = [fk for fk in table.foreign_keys if fk.ref_table != key]
    elif kind == "OBJECT_INDEX" and (found := b.find_index(key)) is not None:
        found[0].indexes.remove(found[1])
    elif kind in ("OBJECT_VIEW", "OBJECT_MATVIEW"):
        schema.views.pop(key, None)
    elif kind == "OBJECT_TYPE":
        schema.enums.pop(key, None)
    elif kind == "OBJECT_DOMAIN":
        schema.domains.pop(key, None)
    elif kind == "OBJECT_EXTENSION" and key in schema.extensions:
        schema.extensions.remove(key)
    elif kind in ("OBJECT_FUNCTION", "OBJECT_PROCEDURE") and key in schema.functions:
        schema.functions.remove(key)
