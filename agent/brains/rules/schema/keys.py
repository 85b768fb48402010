"""Indexes every foreign key needs, unless a key or index already starts with its columns.

Same leading-prefix test as the `fk-without-index` lint rule (partial indexes do not count;
a key's columns may come in any order; the GiST index of an exclusion constraint counts, as
GiST with btree_gist finds rows by its leading `=` columns).
On a time-partitioned table the index also carries the time column, so that "rows of this
device in a time range" is served by the same index that covers the foreign key.
"""

from __future__ import annotations

from agent.brains.rules.schema.plan import ForeignKeyDef, IndexDef, SchemaPlan, TableDef
from agent.naming import object_name


def _access_paths(table: TableDef) -> list[list[str]]:
    paths = [table.primary_key] if table.primary_key else []
    paths += table.uniques
    paths += [i.columns for i in table.indexes if i.where is None and i.method == "btree"]
    paths += [e.equal for e in table.exclusions if e.where is None and e.equal]
    return paths


def is_covered(table: TableDef, fk: ForeignKeyDef) -> bool:
    wanted = set(fk.columns)
    return any(set(path[: len(fk.columns)]) == wanted for path in _access_paths(table))


def add_foreign_key_indexes(plan: SchemaPlan) -> None:
    """Widest keys first, so a narrower key already covered gets no index of its own."""
    for table in plan.tables.values():
        for fk in sorted(table.foreign_keys, key=lambda k: -len(k.columns)):
            if is_covered(table, fk):
                continue
            columns = _key_order(table, fk)
            if table.partition is not None and table.partition.column not in columns:
                columns.append(table.partition.column)
            table.indexes.append(
                IndexDef(
                    object_name(table.name, *columns, suffix="idx"),
                    columns,
                    reason=f"foreign key to {fk.ref_table}: joins and parent deletes",
                )
            )


def _key_order(table: TableDef, fk: ForeignKeyDef) -> list[str]:
    """A column other keys share (the tenant key of `(company_id, task_id)`) goes last: the
    index then also serves `task_id = $1` alone, and the policy's tenant filter after it."""
    shared = {c for other in table.foreign_keys if other is not fk for c in other.columns}
    return [c for c in fk.columns if c not in shared] + [c for c in fk.columns if c in shared]
