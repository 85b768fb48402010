"""Indexes every foreign key needs, unless a key or index already starts with its columns.

Same leading-prefix test as the `fk-without-index` lint rule (partial indexes do not count).
On a time-partitioned table the index also carries the time column, so that "rows of this
device in a time range" is served by the same index that covers the foreign key.
"""

from __future__ import annotations

from agent.brains.rules.schema_plan import ForeignKeyDef, IndexDef, SchemaPlan, TableDef
from agent.naming import object_name


def _access_paths(table: TableDef) -> list[list[str]]:
    paths = [table.primary_key] if table.primary_key else []
    paths += table.uniques
    paths += [i.columns for i in table.indexes if i.where is None and i.method == "btree"]
    return paths


def is_covered(table: TableDef, fk: ForeignKeyDef) -> bool:
    wanted = set(fk.columns)
    return any(set(path[: len(fk.columns)]) == wanted for path in _access_paths(table))


def add_foreign_key_indexes(plan: SchemaPlan) -> None:
    for table in plan.tables.values():
        for fk in table.foreign_keys:
            if is_covered(table, fk):
                continue
            columns = list(fk.columns)
            if table.partition is not None and table.partition.column not in columns:
                columns.append(table.partition.column)
            table.indexes.append(
                IndexDef(
                    object_name(table.name, *columns, suffix="idx"),
                    columns,
                    reason=f"foreign key to {fk.ref_table}: joins and parent deletes",
                )
            )
