"""SQLAlchemy 2.0 declarative models (models.py) whose `metadata.create_all` builds the schema.

Tables, columns with their exact PostgreSQL types, defaults, identities, keys, foreign
keys, unique, check and exclusion constraints, indexes (partial, covering, expression, GIN)
and partitioning are modelled. What an ORM cannot model (partitions, functions, triggers,
row-level security, policies, comments, views) rides along as DDL run on the metadata's
create events, in the order of schema.sql, so `create_all` gives the same catalog.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

from tools.emit.names import pascal, python_name, referenced_columns
from tools.sql.model import Column, EnumType, ForeignKey, Index, Schema, Statement, Table
from tools.sql.nodes import qualified_name, quote_ident
from tools.sql.validate import skip_reason, statement_node

HEADER = Template((Path(__file__).parent / "templates" / "sqlalchemy.py.tmpl").read_text())
# PostgreSQL base type -> (SQLAlchemy type expression, Python type); {0} {1} are modifiers.
TYPES: dict[str, tuple[str, str]] = {
    "int8": ("BigInteger()", "int"),
    "int4": ("Integer()", "int"),
    "int2": ("SmallInteger()", "int"),
    "text": ("Text()", "str"),
    "varchar": ("String({0})", "str"),
    "bpchar": ("postgresql.CHAR({0})", "str"),
    "bool": ("Boolean()", "bool"),
    "date": ("Date()", "datetime.date"),
    "time": ("Time()", "datetime.time"),
    "timestamptz": ("postgresql.TIMESTAMP(timezone=True, precision={0})", "datetime.datetime"),
    "timestamp": ("postgresql.TIMESTAMP(timezone=False, precision={0})", "datetime.datetime"),
    "numeric": ("Numeric({0}, {1})", "decimal.Decimal"),
    "float8": ("Double()", "float"),
    "float4": ("postgresql.REAL()", "float"),
    "jsonb": ("postgresql.JSONB()", "Any"),
    "json": ("postgresql.JSON()", "Any"),
    "uuid": ("Uuid()", "uuid.UUID"),
    "bytea": ("LargeBinary()", "bytes"),
    "inet": ("postgresql.INET()", "str"),
    "interval": ("postgresql.INTERVAL()", "datetime.timedelta"),
}
# Statement kinds the models express themselves; everything else is replayed as DDL.
MODELLED_ALTERS = {"AT_AddConstraint", "AT_AddColumn", "AT_ColumnDefault", "AT_SetNotNull",
                   "AT_DropNotNull", "AT_DropConstraint", "AT_DropColumn",
                   "AT_AlterColumnType", "AT_AddIndex"}  # fmt: skip
# pg_dump's session set-up (search_path, check_function_bodies): not schema objects.
SESSION = {"VariableSetStmt", "SelectStmt"}
# What tables need before they exist; the rest (functions included) follows them in order.
BEFORE_TABLES = {"CreateExtensionStmt", "CreateSchemaStmt", "CreateDomainStmt",
                 "CompositeTypeStmt", "CreateRangeStmt", "CreateSeqStmt"}  # fmt: skip


def emit(schema: Schema, name: str) -> str:
    parts = [HEADER.substitute(name=name)]
    parts += [_enum(e) for e in schema.enums.values()]
    for table in schema.tables.values():
        if table.partition_of is None:
            parts.append(_table(table, schema))
    parts.append(_replayed(schema))
    return "\n".join(parts).rstrip() + "\n"


def _enum(enum: EnumType) -> str:
    labels = ", ".join(repr(v) for v in enum.values)
    variable = _enum_variable(enum.name)
    return f"{variable} = postgresql.ENUM({labels}, name={enum.name!r}, metadata=Base.metadata)\n"


def _enum_variable(name: str) -> str:
    return f"{python_name(name.replace('.', '_'))}_enum"


def _table(table: Table, schema: Schema) -> str:
    args = _table_args(table, schema)
    if not table.primary_key:  # the ORM maps only keyed tables; a Core Table keeps the rest
        columns = [f"    {_core_column(c, schema)}," for c in table.columns]
        body = "\n".join([*columns, *(f"    {a}," for a in args)])
        variable = python_name(table.name.replace(".", "_"))
        return f"{variable} = Table(\n    {_bare(table)!r},\n    Base.metadata,\n{body}\n)\n"
    lines = [
        f"class {pascal(table.name)}(Base):",
        f"    __tablename__ = {_bare(table)!r}",
    ]
    lines.append("    __table_args__ = (")
    lines += [f"        {a}," for a in args]
    lines.append(f"        {_options(table)},")
    lines.append("    )")
    lines += [f"    {_mapped(c, table, schema)}" for c in table.columns]
    return "\n".join(lines) + "\n\n"


def _bare(table: Table) -> str:
    return table.name.rpartition(".")[2]


def _options(table: Table) -> str:
    options: dict[str, str] = {}
    if "." in table.name:
        options["schema"] = table.name.partition(".")[0]
    if table.partition_by:
        options["postgresql_partition_by"] = table.partition_by
    return repr(options)


def _table_args(table: Table, schema: Schema) -> list[str]:
    args = []
    if table.primary_key:
        names = ", ".join(repr(c) for c in table.primary_key)
        args.append(f"PrimaryKeyConstraint({names}, name={_bare(table) + '_pkey'!r})")
    args += [_foreign_key(fk, schema) for fk in table.foreign_keys]
    for unique in table.uniques:
        names = ", ".join(repr(c) for c in unique.columns)
        args.append(f"UniqueConstraint({names}, name={unique.name!r})")
    for check in table.checks:
        args.append(f"CheckConstraint({check.expression!r}, name={check.name!r})")
    args += [_exclude(i) if i.exclusion else _index(i) for i in table.indexes]
    return args


def _foreign_key(fk: ForeignKey, schema: Schema) -> str:
    targets = referenced_columns(schema, fk.ref_table, fk.ref_columns)
    refs = [f"{fk.ref_table}.{c}" for c in targets]
    text = f"ForeignKeyConstraint({fk.columns!r}, {refs!r}"
    text += f", name={fk.name!r}"
    if fk.on_delete != "NO ACTION":
        text += f", ondelete={fk.on_delete!r}"
    if fk.on_update != "NO ACTION":
        text += f", onupdate={fk.on_update!r}"
    return text + ")"


def _exclude(index: Index) -> str:
    """`postgresql.ExcludeConstraint`: an EXCLUDE constraint is more than its GiST index."""
    pairs = []
    for e in index.elements:
        term = repr(e.column) if e.column is not None else f"text({e.expression!r})"
        pairs.append(f"({term}, {e.operator or '='!r})")
    text = f"postgresql.ExcludeConstraint({', '.join(pairs)}, name={index.name!r}"
    text += f", using={index.method!r}"
    ops = {e.column: e.opclass for e in index.elements if e.column and e.opclass}
    if ops:
        text += f", ops={ops!r}"
    if index.where:
        text += f", where=text({index.where!r})"
    return text + ")"


def _index(index: Index) -> str:
    elements = []
    for e in index.elements:
        plain = e.column is not None and not e.descending and e.nulls_first is None
        if plain and not e.opclass:
            elements.append(repr(e.column))
            continue
        term = quote_ident(e.column) if e.column is not None else f"({e.expression})"
        term += f" {e.opclass}" if e.opclass else ""
        term += " DESC" if e.descending else ""
        if e.nulls_first is not None:
            term += " NULLS FIRST" if e.nulls_first else " NULLS LAST"
        elements.append(f"text({term!r})")
    text = f"Index({index.name!r}, {', '.join(elements)}"
    if index.unique:
        text += ", unique=True"
    if index.method != "btree":
        text += f", postgresql_using={index.method!r}"
    if index.include:
        text += f", postgresql_include={index.include!r}"
    if index.where:
        text += f", postgresql_where=text({index.where!r})"
    return text + ")"


def _type(column: Column, schema: Schema) -> tuple[str, str]:
    """(SQLAlchemy type expression, Python annotation) for a column."""
    base = column.base_type
    if base in schema.enums:
        sa_type, python = _enum_variable(base), "str"
    elif base in TYPES and not (base == "numeric" and len(column.type_mods) == 1):
        template, python = TYPES[base]
        mods = [*column.type_mods, None, None]
        sa_type = template.format(*(m if m is not None else "None" for m in mods[:2]))
        sa_type = sa_type.replace("String(None)", "String()").replace("CHAR(None)", "CHAR()")
    else:
        return f"SqlType({column.type!r})", "Any"
    if column.is_array:
        return f"postgresql.ARRAY({sa_type})", f"list[{python}]"
    return sa_type, python


def _column_extras(column: Column, table: Table) -> list[str]:
    extras = []
    identity = _identity(column)
    if identity:
        extras.append("Identity(always=True)" if column.identity_always else "Identity()")
    if column.generated:
        stored = not column.generated_virtual
        extras.append(f"Computed({column.generated!r}, persisted={stored})")
    if column.default is not None:
        extras.append(f"server_default=text({column.default!r})")
    extras.append(f"nullable={column.nullable}")
    if not identity:  # else SQLAlchemy makes a lone integer key a SERIAL
        extras.append("autoincrement=False")
    return extras


def _identity(column: Column) -> bool:
    """An identity column; pg_dump's serial (a sequence default) keeps its default instead."""
    return column.identity and not (column.default or "").startswith("nextval(")


def _mapped(column: Column, table: Table, schema: Schema) -> str:
    sa_type, python = _type(column, schema)
    optional = " | None" if column.nullable and python != "Any" else ""
    args = [repr(column.name), sa_type, *_column_extras(column, table)]
    attribute = python_name(column.name)
    return f"{attribute}: Mapped[{python}{optional}] = mapped_column({', '.join(args)})"


def _core_column(column: Column, schema: Schema) -> str:
    sa_type, _ = _type(column, schema)
    args = [repr(column.name), sa_type, *_column_extras(column, Table(name=""))]
    return f"Column({', '.join(args)})"


def _replayed(schema: Schema) -> str:
    """DDL for what the models cannot say, on the metadata's before/after create events."""
    kept = [s for s in schema.statements if skip_reason(s) is None and s.kind not in SESSION]
    before = [s for s in kept if s.kind in BEFORE_TABLES]
    after = [s for s in kept if s.kind not in BEFORE_TABLES and not _modelled(s, schema)]
    lines = []
    if any(s.kind == "CreateFunctionStmt" for s in after):  # as pg_dump: bodies checked at use
        after.insert(0, Statement(line=0, sql="SET check_function_bodies = false", kind="Set"))
    for when, statements in (("before_create", before), ("after_create", after)):
        for statement in statements:
            sql = statement.sql.replace("%", "%%")  # DDL() formats its text with %
            lines.append(f"event.listen(Base.metadata, {when!r}, DDL({sql!r}))")
    return "\n".join(lines) + "\n" if lines else ""


def _modelled(statement: Statement, schema: Schema) -> bool:
    """Does a class (or Core table) of the models say what this statement does?"""
    if statement.kind == "CreateEnumStmt":
        return True
    node = statement_node(statement)
    if statement.kind == "IndexStmt":  # on a partition or a materialized view: replayed
        return _emitted(node, schema)
    if statement.kind == "CreateStmt":  # a partition (PARTITION OF, or attached later): replayed
        return "partbound" not in node and _emitted(node, schema)
    if statement.kind == "AlterTableStmt":
        subtypes = {c.get("AlterTableCmd", {}).get("subtype") for c in node.get("cmds", [])}
        return _emitted(node, schema) and subtypes <= MODELLED_ALTERS
    return False


def _emitted(node: dict[str, object], schema: Schema) -> bool:
    """Is the statement's relation a table the models emit (not a partition, not a view)?"""
    relation = node.get("relation")
    if not isinstance(relation, dict):
        return False
    name = qualified_name(relation.get("schemaname"), str(relation.get("relname", "")))
    table = schema.tables.get(name)
    return table is not None and table.partition_of is None
