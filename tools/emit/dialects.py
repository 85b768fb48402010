"""The design's tables in other dialects (schema.mysql.sql, schema.sqlite.sql), via sqlglot.

From the typed model, each table, key, foreign key, portable CHECK and plain index is
written as PostgreSQL DDL with the target's column types chosen here (enums become CHECKed
text, jsonb JSON or text, keyed text a bounded varchar for MySQL), then sqlglot transpiles
it. What the target cannot hold (functions, triggers, row-level security, partitioning,
partial, expression and covering indexes) is listed in the file's header, not silently
lost. The SQLite file is applied to SQLite in the tests; the MySQL one is not validated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import metadata

import sqlglot
from sqlglot import exp

from tools.emit.names import literal_default, own_tables, referenced_columns
from tools.sql.model import Column, Index, Schema, Table
from tools.sql.nodes import quote_ident

# PostgreSQL base type -> the target's type; {0} {1} are the type modifiers.
MYSQL = {"int8": "BIGINT", "int4": "INT", "int2": "SMALLINT", "text": "TEXT",
         "varchar": "VARCHAR({0})", "bpchar": "CHAR({0})", "bool": "BOOLEAN", "date": "DATE",
         "timestamptz": "DATETIME(6)", "timestamp": "DATETIME(6)", "time": "TIME(6)",
         "numeric": "DECIMAL({0}, {1})", "float8": "DOUBLE", "float4": "FLOAT",
         "jsonb": "JSON", "json": "JSON", "uuid": "CHAR(36)", "bytea": "LONGBLOB"}  # fmt: skip
SQLITE = {"int8": "INTEGER", "int4": "INTEGER", "int2": "INTEGER", "text": "TEXT",
          "varchar": "TEXT", "bpchar": "TEXT", "bool": "INTEGER", "date": "TEXT",
          "timestamptz": "TEXT", "timestamp": "TEXT", "time": "TEXT",
          "numeric": "NUMERIC({0}, {1})", "float8": "REAL", "float4": "REAL", "jsonb": "TEXT",
          "json": "TEXT", "uuid": "TEXT", "bytea": "BLOB"}  # fmt: skip
SQLGLOT = metadata.version("sqlglot")
NOW = {"mysql": "CURRENT_TIMESTAMP(6)", "sqlite": "CURRENT_TIMESTAMP"}


@dataclass
class _Target:
    dialect: str
    types: dict[str, str]
    dropped: list[str] = field(default_factory=list)


def emit_mysql(schema: Schema, name: str) -> str:
    target = _Target("mysql", MYSQL)
    body = _statements(schema, target)
    header = [
        f"-- {name} for MySQL 8, transpiled by sqlglot {SQLGLOT} from the PostgreSQL design.",
        "-- NOT VALIDATED: no MySQL server has run this file. Review it before use.",
    ]
    return _file(
        header, target, ["SET FOREIGN_KEY_CHECKS = 0;", *body, "SET FOREIGN_KEY_CHECKS = 1;"]
    )


def emit_sqlite(schema: Schema, name: str) -> str:
    target = _Target("sqlite", SQLITE)
    body = _statements(schema, target)
    header = [
        f"-- {name} for SQLite, transpiled by sqlglot {SQLGLOT} from the PostgreSQL design.",
        "-- Foreign keys are enforced only with PRAGMA foreign_keys = ON.",
    ]
    return _file(header, target, body)


def _file(header: list[str], target: _Target, body: list[str]) -> str:
    notes = [f"--   {d}" for d in dict.fromkeys(target.dropped)]
    if notes:
        header += ["-- Left out (the target has no equivalent, or it is not portable):", *notes]
    return "\n".join(header) + "\n\n" + "\n\n".join(body) + "\n"


def _statements(schema: Schema, target: _Target) -> list[str]:
    keyed = _keyed_columns(schema)
    out = []
    for table in own_tables(schema):
        types = _types(table, schema, target, keyed)
        out.append(_transpile(_create_table(table, schema, target, types), target, types))
        for index in table.indexes:
            ddl_index = _create_index(index, target)
            if ddl_index:
                out.append(_transpile(ddl_index, target, {}))
    skipped = sorted({s.kind for s in schema.statements} - {"CreateStmt", "IndexStmt",
                                                             "CreateEnumStmt"})  # fmt: skip
    target.dropped += [f"{kind} statements" for kind in skipped]
    partitions = [t.name for t in schema.tables.values() if t.partition_of]
    if partitions:
        target.dropped.append(f"partitions ({len(partitions)}): their parents are plain tables")
    return out


def _keyed_columns(schema: Schema) -> set[tuple[str, str]]:
    """(table, column) pairs in a key or index: MySQL cannot index unbounded TEXT."""
    keyed: set[tuple[str, str]] = set()
    for table in schema.tables.values():
        keyed |= {(table.name, c) for c in table.primary_key}
        keyed |= {(table.name, c) for u in table.uniques for c in u.columns}
        keyed |= {(table.name, e.column) for i in table.indexes for e in i.elements if e.column}
        for fk in table.foreign_keys:
            keyed |= {(table.name, c) for c in fk.columns}
            targets = referenced_columns(schema, fk.ref_table, fk.ref_columns)
            keyed |= {(fk.ref_table, c) for c in targets}
    return keyed


def _types(
    table: Table, schema: Schema, target: _Target, keyed: set[tuple[str, str]]
) -> dict[str, str]:
    found = {}
    for column in table.columns:
        base = column.base_type
        if column.is_array:
            found[column.name] = "JSON" if target.dialect == "mysql" else "TEXT"
        elif base in schema.enums:
            longest = max((len(v) for v in schema.enums[base].values), default=1)
            found[column.name] = f"VARCHAR({longest})" if target.dialect == "mysql" else "TEXT"
        elif base in target.types:
            mods = [*column.type_mods, 0, 0]
            found[column.name] = _typed(target.types[base], column, mods)
        else:
            found[column.name] = "TEXT"
            target.dropped.append(f"type {column.type} of {table.name}.{column.name}: TEXT")
        literal = literal_default(column, schema) if column.default else None
        bounded = (table.name, column.name) in keyed or literal is not None
        if target.dialect == "mysql" and found[column.name] == "TEXT" and bounded:
            found[column.name] = "VARCHAR(255)"  # MySQL keys and defaults need a length
    return found


def _typed(template: str, column: Column, mods: list[int]) -> str:
    if "{1}" in template and len(column.type_mods) != 2:
        return template.split("(")[0]
    if "{0}" in template and not column.type_mods:
        return "VARCHAR(255)" if template.startswith("VARCHAR") else template.split("(")[0]
    return template.format(*mods)


def _create_table(table: Table, schema: Schema, target: _Target, types: dict[str, str]) -> str:
    parts = [_column(c, table, schema, target, types[c.name]) for c in table.columns]
    if table.primary_key:
        pkey = quote_ident(table.name + "_pkey")
        parts.append(f"CONSTRAINT {pkey} PRIMARY KEY ({_list(table.primary_key)})")
    for unique in table.uniques:
        name = f"CONSTRAINT {quote_ident(unique.name)} " if unique.name else ""
        parts.append(f"{name}UNIQUE ({_list(unique.columns)})")
    for fk in table.foreign_keys:
        targets = referenced_columns(schema, fk.ref_table, fk.ref_columns)
        name = f"CONSTRAINT {quote_ident(fk.name)} " if fk.name else ""
        text = f"{name}FOREIGN KEY ({_list(fk.columns)}) REFERENCES {quote_ident(fk.ref_table)} "
        text += f"({_list(targets)}) ON DELETE {fk.on_delete} ON UPDATE {fk.on_update}"
        parts.append(text)
    parts += _checks(table, schema, target)
    if table.partition_by:
        target.dropped.append(f"PARTITION BY {table.partition_by} of {table.name}")
    return f"CREATE TABLE {quote_ident(table.name)} ({', '.join(parts)})"


def _column(column: Column, table: Table, schema: Schema, target: _Target, typed: str) -> str:
    text = f"{quote_ident(column.name)} text"  # the type is set on the parsed tree
    if column.identity:
        text += " GENERATED BY DEFAULT AS IDENTITY"
    if not column.nullable:
        text += " NOT NULL"
    default = _default(column, table, schema, target, typed)
    return text + (f" DEFAULT {default}" if default else "")


def _default(
    column: Column, table: Table, schema: Schema, target: _Target, typed: str
) -> str | None:
    if column.default is None or column.identity:
        return None
    if column.default.lower() in ("now()", "current_timestamp"):
        return NOW[target.dialect]
    literal = literal_default(column, schema)
    unbounded = typed in ("TEXT", "JSON")  # MySQL: no literal default on these
    if literal is None or (target.dialect == "mysql" and unbounded):
        target.dropped.append(f"default {column.default} of {table.name}.{column.name}")
        return None
    return literal


def _checks(table: Table, schema: Schema, target: _Target) -> list[str]:
    checks = []
    for column in table.columns:
        enum = schema.enums.get(column.base_type)
        if enum is not None and not column.is_array:
            values = ", ".join("'" + v.replace("'", "''") + "'" for v in enum.values)
            checks.append(f"CHECK ({quote_ident(column.name)} IN ({values}))")
    for check in table.checks:
        if _portable(check.expression):
            name = f"CONSTRAINT {quote_ident(check.name)} " if check.name else ""
            checks.append(f"{name}CHECK ({check.expression})")
        else:
            target.dropped.append(f"CHECK {check.name or check.expression} of {table.name}")
    return checks


def _portable(expression: str) -> bool:
    """Comparisons, IN lists and boolean logic only: no functions, casts or operators
    that only PostgreSQL has."""
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
    except sqlglot.errors.ParseError:
        return False
    pg_only = (exp.Func, exp.Cast, exp.RegexpLike, exp.ArrayContains, exp.JSONExtract)
    return tree.find(*pg_only) is None


def _create_index(index: Index, target: _Target) -> str | None:
    name = index.name or "unnamed"
    if index.exclusion:
        target.dropped.append(f"exclusion constraint {name} ({index.exclude_clause()})")
        return None
    plain = all(e.column is not None and not e.opclass for e in index.elements)
    if not plain or index.method != "btree":
        target.dropped.append(f"index {name} ({index.method}, on expressions or operator classes)")
        return None
    if index.where and target.dialect == "mysql":
        target.dropped.append(f"partial index {name} (WHERE {index.where})")
        return None
    if index.include:
        target.dropped.append(f"INCLUDE ({', '.join(index.include)}) of index {name}")
    keys = ", ".join(
        quote_ident(e.column or "") + (" DESC" if e.descending else "") for e in index.elements
    )
    unique = "UNIQUE " if index.unique else ""
    where = f" WHERE {index.where}" if index.where and _portable(index.where) else ""
    if index.where and not where:
        target.dropped.append(f"partial index {name} (WHERE {index.where})")
        return None
    return f"CREATE {unique}INDEX {quote_ident(name)} ON {quote_ident(index.table)} ({keys}){where}"


def _transpile(ddl: str, target: _Target, types: dict[str, str]) -> str:
    tree = sqlglot.parse_one(ddl, read="postgres")
    for column in tree.find_all(exp.ColumnDef):
        if column.name in types:
            column.set("kind", exp.DataType.build(types[column.name], dialect=target.dialect))
        for constraint in column.find_all(exp.GeneratedAsIdentityColumnConstraint):
            replacement = exp.AutoIncrementColumnConstraint() if target.dialect == "mysql" else None
            parent = constraint.parent
            if replacement is None and parent is not None:
                parent.pop()  # SQLite: an INTEGER PRIMARY KEY is the rowid, numbered already
            elif replacement is not None:
                constraint.replace(replacement)
    for ordered in tree.find_all(exp.Ordered):  # an index's order, not NULLS emulation
        ordered.set("nulls_first", not ordered.args.get("desc"))
    return tree.sql(dialect=target.dialect, identify=True, pretty=True) + ";"


def _list(columns: list[str]) -> str:
    return ", ".join(quote_ident(c) for c in columns)
