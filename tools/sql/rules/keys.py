"""Key rules: every table has a primary key, references are declared and their FKs indexed."""

from __future__ import annotations

from collections.abc import Iterator

from tools.sql.model import Column, ForeignKey, Schema, Table
from tools.sql.rules.base import Hit, own_tables, rule

# Index methods that can serve an equality lookup on their leading columns. BRIN cannot
# (it only narrows block ranges) and hash only ever covers exactly one column.
_LOOKUP_METHODS = {"btree", "hash", "gist", "gin", "spgist"}

_TYPE_FAMILIES = {
    **dict.fromkeys(("int2", "int4", "int8", "smallint", "integer", "bigint"), "integer"),
    **dict.fromkeys(("serial", "bigserial", "smallserial"), "integer"),
    **dict.fromkeys(("text", "varchar", "bpchar", "char", "citext", "name"), "text"),
}


def access_paths(table: Table) -> list[list[str]]:
    """Key lists of every structure that can find rows by their leading columns: the PK,
    unique constraints and non-partial indexes (a partial index only covers some rows)."""
    paths = [table.primary_key] if table.primary_key else []
    paths += [u.columns for u in table.uniques]
    for index in table.indexes:
        if index.where is not None or index.method not in _LOOKUP_METHODS:
            continue
        if index.method == "hash" and len(index.elements) != 1:
            continue
        paths.append(index.keys)
    return paths


def unique_keys(table: Table) -> list[list[str]]:
    """Column lists the table declares unique (PK, UNIQUE, non-partial unique indexes)."""
    keys = [table.primary_key] if table.primary_key else []
    keys += [u.columns for u in table.uniques]
    keys += [i.keys for i in table.indexes if i.unique and i.where is None]
    return keys


def _has_candidate_key(table: Table) -> bool:
    not_null = {c.name for c in table.columns if not c.nullable}
    return any(key and set(key) <= not_null for key in unique_keys(table))


@rule(
    "missing-primary-key",
    "error",
    "A table without a primary key cannot identify its rows: duplicates creep in, "
    "logical replication and most ORMs cannot update it.",
    "Add a PRIMARY KEY (an identity column, or the natural key that is unique and NOT NULL).",
)
def missing_primary_key(schema: Schema) -> Iterator[Hit]:
    for table in own_tables(schema):
        if table.primary_key:
            continue
        if _has_candidate_key(table):
            message = f"table '{table.name}' has no primary key, only a unique NOT NULL key"
            yield Hit(table.name, None, message, table.line, table.file, severity="warning")
        elif table.partition_by:
            # A partitioned table's key must include the partition key; time-series designs
            # often do without one on purpose, so this is worth a look, not a defect.
            message = f"partitioned table '{table.name}' has no primary key"
            yield Hit(table.name, None, message, table.line, table.file, severity="warning")
        else:
            message = f"table '{table.name}' has no primary key"
            yield Hit(table.name, None, message, table.line, table.file)


def fk_is_indexed(table: Table, fk: ForeignKey) -> bool:
    """Leading-prefix test: some access path starts with exactly the FK's columns."""
    wanted = set(fk.columns)
    return any(set(path[: len(fk.columns)]) == wanted for path in access_paths(table))


@rule(
    "fk-without-index",
    "warning",
    "Without an index on the referencing columns, every DELETE or key UPDATE on the parent "
    "scans the child table, and joins from parent to children cannot use an index.",
    "CREATE INDEX ON <table> (<fk columns>); a PK, UNIQUE or index that starts with them "
    "also covers it.",
)
def fk_without_index(schema: Schema) -> Iterator[Hit]:
    for table in own_tables(schema):
        for fk in table.foreign_keys:
            if fk_is_indexed(table, fk):
                continue
            cols = ", ".join(fk.columns)
            yield Hit(
                table.name,
                cols,
                f"foreign key '{table.name}' ({cols}) -> '{fk.ref_table}' has no index "
                "starting with its columns",
                fk.line or table.line,
                table.file,
            )


def singular_forms(name: str) -> set[str]:
    """Plausible singulars of a table name, for matching `<singular>_id` columns."""
    forms = {name}
    if name.endswith("ies"):
        forms.add(name[:-3] + "y")
    if name.endswith(("ses", "xes", "zes", "ches", "shes")):
        forms.add(name[:-2])
    if name.endswith("s") and not name.endswith("ss"):
        forms.add(name[:-1])
    return forms


def key_targets(schema: Schema) -> dict[str, tuple[Table, Column]]:
    """`<x>_id` column name -> the table and single-column key it would reference."""
    targets: dict[str, tuple[Table, Column]] = {}
    for table in own_tables(schema):
        if len(table.primary_key) != 1:
            continue
        key = table.column(table.primary_key[0])
        if key is None:
            continue
        bare = table.name.rsplit(".", 1)[-1]
        if key.name == "id":
            for form in singular_forms(bare):
                targets.setdefault(f"{form}_id", (table, key))
        elif key.name.endswith("_id"):
            targets.setdefault(key.name, (table, key))
    return targets


def _family(column: Column) -> str:
    return _TYPE_FAMILIES.get(column.base_type, column.base_type)


def _is_own_key(table: Table, column: Column, target: Table) -> bool:
    return target.name == table.name and table.primary_key == [column.name]


@rule(
    "missing-foreign-key",
    "warning",
    "A column named like another table's key but without a FOREIGN KEY lets rows point at "
    "nothing; the database cannot keep the reference true.",
    "ALTER TABLE <table> ADD FOREIGN KEY (<column>) REFERENCES <target> (<key>).",
)
def missing_foreign_key(schema: Schema) -> Iterator[Hit]:
    targets = key_targets(schema)
    partitions = partitions_of(schema)
    for table in own_tables(schema):
        referenced = {c for fk in table.foreign_keys for c in fk.columns}
        children = partitions.get(table.name, [])
        for column in table.columns:
            found = targets.get(column.name)
            if found is None or column.name in referenced or column.is_array:
                continue
            target, key = found
            if _is_own_key(table, column, target) or _family(column) != _family(key):
                continue
            covered = sum(1 for child in children if _references(child, column.name))
            if children and covered == len(children):
                continue  # every partition declares it: the data is kept true
            where = f" (declared on {covered} of {len(children)} partitions)" if covered else ""
            yield Hit(
                table.name,
                column.name,
                f"'{table.name}.{column.name}' looks like a reference to "
                f"'{target.name}.{key.name}' but has no foreign key{where}",
                column.line or table.line,
                table.file,
            )


def partitions_of(schema: Schema) -> dict[str, list[Table]]:
    found: dict[str, list[Table]] = {}
    for table in schema.tables.values():
        if table.partition_of is not None:
            found.setdefault(table.partition_of, []).append(table)
    return found


def _references(table: Table, column: str) -> bool:
    return any(column in fk.columns for fk in table.foreign_keys)
