"""Mend sample rows whose reference has no parent row, before the foreign keys come back.

A single-column reference without a parent is cleared (nullable) or its row dropped. A
composite key that shares a column with another key of the table, such as the tenant key
in `(company_id, task_id)` and `(company_id, author_id)`, cannot be drawn consistently
for both parents by the generator's templates: such a row first gets a parent that
matches the shared columns (a task of the same company), picked by a hash of the row so
the draw stays spread, and only rows whose shared values have no parent at all are lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from tools.sql.datagen.table import ident
from tools.sql.server import Conn

REPAIR_ROUNDS = 5

_UNIQUE_SETS = """
SELECT ARRAY(SELECT attname FROM unnest(indkey::int2[]) AS k(n)
             JOIN pg_attribute ON attrelid = indrelid AND attnum = k.n)
FROM pg_index WHERE indrelid = %s::regclass AND indisunique
"""
_INSERTABLE = """
SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0
  AND NOT attisdropped AND attgenerated = '' ORDER BY attnum
"""


@dataclass(frozen=True)
class ForeignKeyDef:
    table: str  # regclass text: already quoted where needed
    name: str
    definition: str
    parent: str
    columns: list[str]
    parent_columns: list[str]
    not_null: bool


@dataclass
class RepairLog:
    notes: list[str]
    dropped: dict[str, int]  # table -> rows dropped


def repair_orphans(conn: Conn, foreign_keys: list[ForeignKeyDef]) -> RepairLog:
    """A few rounds: a dropped row may orphan rows that reference it."""
    log = RepairLog(notes=[], dropped={})
    for _ in range(REPAIR_ROUNDS):
        changed = 0
        for fk in foreign_keys:
            anchors = _anchors(fk, foreign_keys)
            if anchors:
                changed += _repick(conn, fk, anchors, log)
            changed += _repair(conn, fk, log)
        if not changed:
            break
    return log


def _anchors(fk: ForeignKeyDef, foreign_keys: list[ForeignKeyDef]) -> list[str]:
    """Columns of a composite key that another key of the same table also holds."""
    if len(fk.columns) < 2:
        return []
    shared = {c for other in foreign_keys if other != fk and other.table == fk.table
              for c in other.columns}  # fmt: skip
    anchors = [c for c in fk.columns if c in shared]
    return anchors if len(anchors) < len(fk.columns) else []


def _orphan(fk: ForeignKeyDef, alias: str = "p") -> str:
    """`c` has a complete reference and no parent row (`alias` names the parent in it)."""
    match = " AND ".join(
        f"{alias}.{ident(pc)} = c.{ident(cc)}"
        for cc, pc in zip(fk.columns, fk.parent_columns, strict=True)
    )
    present = " AND ".join(f"c.{ident(cc)} IS NOT NULL" for cc in fk.columns)
    return f"{present} AND NOT EXISTS (SELECT 1 FROM {fk.parent} {alias} WHERE {match})"


def _repick(conn: Conn, fk: ForeignKeyDef, anchors: list[str], log: RepairLog) -> int:
    """Point orphans at a parent row with the same shared columns, picked by a row hash.

    The orphans are found first (an anti-join) and only then matched with the ranked
    parents, so the cost follows the orphans, not children x parents.
    """
    pairs = dict(zip(fk.columns, fk.parent_columns, strict=True))
    own = [c for c in fk.columns if c not in anchors]
    keys = ", ".join(ident(pairs[a]) for a in anchors)
    ranked = (
        f"SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY "
        f"{', '.join(ident(pairs[c]) for c in own)}) AS pick_n FROM {fk.parent}"
    )
    sizes = f"SELECT {keys}, count(*) AS pick_m FROM {fk.parent} GROUP BY {keys}"
    by_size = " AND ".join(f"m.{ident(pairs[a])} = c.{ident(a)}" for a in anchors)
    orphans = (
        f"SELECT c.ctid AS orphan_ctid, {', '.join(f'c.{ident(a)}' for a in anchors)}, "
        f"1 + abs(hashtext(c.ctid::text)) % m.pick_m AS pick_n "
        f"FROM {fk.table} c JOIN m ON {by_size} WHERE {_orphan(fk)}"
    )
    match = " AND ".join(f"p.{ident(pairs[a])} = o.{ident(a)}" for a in anchors)
    picked = (
        f"WITH p AS MATERIALIZED ({ranked}), m AS MATERIALIZED ({sizes}), "
        f"o AS MATERIALIZED ({orphans}), "
        f"picked AS (SELECT o.orphan_ctid, p.* FROM o JOIN p ON {match} "
        "AND p.pick_n = o.pick_n) "
    )
    if _in_unique_key(conn, fk.table, own):
        count = _copy_with(conn, fk, own, pairs, picked)
        log.dropped[fk.table] = log.dropped.get(fk.table, 0) - max(count, 0)  # net of copies
        verb = "copied to a parent of the same"
    else:
        sets = ", ".join(f"{ident(c)} = picked.{ident(pairs[c])}" for c in own)
        query = (
            f"{picked}UPDATE {fk.table} c SET {sets} FROM picked WHERE c.ctid = picked.orphan_ctid"
        )
        count = conn.execute(query).rowcount
        verb = "moved to a parent of the same"
    if count > 0:
        log.notes.append(f"{fk.table}: {count} rows {verb} {', '.join(anchors)} ({fk.name})")
    return max(count, 0)


def _in_unique_key(conn: Conn, table: str, columns: list[str]) -> bool:
    sets = [list(r[0]) for r in conn.execute(_UNIQUE_SETS, (table,)).fetchall()]
    return any(set(columns) & set(s) for s in sets)


def _copy_with(
    conn: Conn, fk: ForeignKeyDef, own: list[str], pairs: dict[str, str], picked: str
) -> int:
    """Insert re-pointed copies (duplicates of a unique key skipped); the originals stay
    orphans and are dropped by `_repair`."""
    names = [str(r[0]) for r in conn.execute(_INSERTABLE, (fk.table,)).fetchall()]
    values = ", ".join(f"picked.{ident(pairs[n])}" if n in own else f"c.{ident(n)}" for n in names)
    query = (
        f"{picked}INSERT INTO {fk.table} ({', '.join(ident(n) for n in names)}) "
        f"OVERRIDING SYSTEM VALUE SELECT {values} FROM {fk.table} c "
        "JOIN picked ON c.ctid = picked.orphan_ctid ON CONFLICT DO NOTHING"
    )
    try:
        return conn.execute(query).rowcount
    except psycopg.Error:
        return 0  # the orphans are dropped instead


def _repair(conn: Conn, fk: ForeignKeyDef, log: RepairLog) -> int:
    orphan = _orphan(fk)
    if fk.not_null:
        query = f"DELETE FROM {fk.table} c WHERE {orphan}"
    else:
        nulls = ", ".join(f"{ident(cc)} = NULL" for cc in fk.columns)
        query = f"UPDATE {fk.table} c SET {nulls} WHERE {orphan}"
    count = conn.execute(query).rowcount
    if count > 0:
        action = "dropped" if fk.not_null else "set to NULL"
        log.notes.append(f"{fk.table}: {count} rows whose {fk.name} parent is missing {action}")
        if fk.not_null:
            log.dropped[fk.table] = log.dropped.get(fk.table, 0) + count
    return max(count, 0)
