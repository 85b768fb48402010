"""Generate realistic PostgreSQL schemas of any size: tables with FKs, indexes and checks.

Shared by the benchmarks. Deterministic for a given seed, so runs are comparable. Every
schema it writes is sound (applies cleanly, no lint errors): the benchmarks time the
common case, not error handling.
"""

from __future__ import annotations

import random
from pathlib import Path

_ENUMS = {
    "record_state": ("draft", "active", "suspended", "archived", "deleted", "merged"),
    "priority_level": ("lowest", "low", "medium", "high", "highest", "urgent"),
}
_COLUMN_KINDS = (
    ("name", "text NOT NULL"),
    ("code", "varchar(32) NOT NULL"),
    ("description", "text"),
    ("quantity", "integer NOT NULL DEFAULT 0 CHECK (quantity >= 0)"),
    ("price", "numeric(19, 4)"),
    ("score", "double precision"),
    ("is_active", "boolean NOT NULL DEFAULT true"),
    ("state", "record_state NOT NULL DEFAULT 'draft'"),
    ("priority", "priority_level"),
    ("due_on", "date"),
    ("payload", "jsonb NOT NULL DEFAULT '{}'"),
    ("external_ref", "uuid"),
)


def table_name(i: int) -> str:
    return f"entity_{i:05d}"


def generate_schema(tables: int, seed: int = 7, shape: str = "wide") -> str:
    """SQL for `tables` tables; table i references up to two earlier tables.

    `wide`: ~580 bytes a table, 6-11 columns, keys, checks and indexes (an application's
    schema). `narrow`: ~110 bytes a table, three or four columns, a key to the table
    before in three of four, no index (the shape of the 184,000-table, 20 MB dump that
    issue 14 measured: most of its cost is per table, not per byte).
    """
    if shape == "narrow":
        return "".join(_narrow_table_ddl(i) for i in range(tables))
    rng = random.Random(seed)
    parts = [_enum_ddl()]
    for i in range(tables):
        parts.append(_table_ddl(i, rng))
    return "\n".join(parts)


def _narrow_table_ddl(i: int) -> str:
    parent = f", parent_id bigint REFERENCES t{i - 1:06d}" if i % 4 else ""
    columns = f"id bigint PRIMARY KEY, name text NOT NULL, at timestamptz{parent}"
    return f"CREATE TABLE t{i:06d} ({columns});\n"


def _enum_ddl() -> str:
    lines = []
    for name, values in _ENUMS.items():
        labels = ", ".join(f"'{v}'" for v in values)
        lines.append(f"CREATE TYPE {name} AS ENUM ({labels});\n")
    return "".join(lines)


def _table_ddl(i: int, rng: random.Random) -> str:
    name = table_name(i)
    parents = sorted(rng.sample(range(i), k=min(i, rng.choice((0, 1, 1, 2))))) if i else []
    columns = ["    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"]
    for parent in parents:
        ref = table_name(parent)
        columns.append(f"    {ref}_id bigint NOT NULL REFERENCES {ref} (id) ON DELETE CASCADE")
    kinds = rng.sample(_COLUMN_KINDS, k=rng.randint(3, 6))
    columns += [f"    {col} {ddl}" for col, ddl in kinds]
    columns += [
        "    created_at timestamptz NOT NULL DEFAULT now()",
        "    updated_at timestamptz NOT NULL DEFAULT now()",
    ]
    chosen = {col for col, _ in kinds}
    if "code" in chosen:
        columns.append(f"    CONSTRAINT {name}_code_key UNIQUE (code)")
    body = ",\n".join(columns)
    statements = [f"CREATE TABLE {name} (\n{body}\n);"]
    for parent in parents:
        ref = table_name(parent)
        statements.append(f"CREATE INDEX {name}_{ref}_id_idx ON {name} ({ref}_id);")
    if "name" in chosen:
        statements.append(f"CREATE INDEX {name}_name_created_idx ON {name} (name, created_at);")
    if "is_active" in chosen:
        statements.append(f"CREATE INDEX {name}_active_idx ON {name} (updated_at) WHERE is_active;")
    return "\n".join(statements) + "\n"


def write_schema(folder: Path, tables: int, seed: int = 7, shape: str = "wide") -> Path:
    path = folder / f"schema_{shape}_{tables}.sql"
    path.write_text(generate_schema(tables, seed, shape), encoding="utf-8")
    return path
