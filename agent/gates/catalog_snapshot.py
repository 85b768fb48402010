"""What a database's schema is, read from its catalogs, in a form two databases can be compared in.

Names PostgreSQL makes up (index and constraint names) are left out where two correct
migrations may differ in them; column order is left out (an added column lands last).
Types, nullability, defaults, constraint and index definitions, enum labels in order,
functions, triggers, policies, row-level security and views are compared as PostgreSQL
itself prints them.
"""

from __future__ import annotations

from collections import Counter

from tools.sql.server import connect

_USER = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' "
    "AND n.nspname NOT LIKE 'pg_temp%'"
)
_REL = "CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END"
QUERIES: dict[str, str] = {
    "table": f"SELECT {_REL} || ' (' || c.relkind::text || ')' FROM pg_class c "
    f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND {_USER}",
    "column": f"""
        SELECT {_REL} || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
            || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
            || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
            || CASE a.attidentity WHEN '' THEN '' ELSE ' IDENTITY ' || a.attidentity::text END
            || CASE a.attgenerated WHEN '' THEN '' ELSE ' GENERATED ' || a.attgenerated::text END
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
          AND {_USER}""",
    "constraint": f"""
        SELECT {_REL} || ': ' || pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE k.contype <> 'n' AND {_USER}""",
    "index": f"""
        SELECT regexp_replace(pg_get_indexdef(i.indexrelid), 'INDEX \\S+ ON', 'INDEX ON')
        FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER}""",
    "enum": f"""
        SELECT t.typname || ' (' || string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) || ')'
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
        JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {_USER} GROUP BY t.typname""",
    "function": f"""
        SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') '
            || regexp_replace(p.prosrc, '\\s+', ' ', 'g')
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE {_USER} AND NOT EXISTS (
            SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')""",
    "trigger": "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal",
    "policy": """
        SELECT tablename || '.' || policyname || ' ' || permissive || ' ' || cmd || ' '
            || array_to_string(roles, ',') || ' USING ' || coalesce(qual, '-')
            || ' CHECK ' || coalesce(with_check, '-')
        FROM pg_policies""",
    "row level security": f"""
        SELECT {_REL} || CASE WHEN c.relforcerowsecurity THEN ' (forced)' ELSE '' END
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relrowsecurity AND {_USER}""",
    "view": f"""
        SELECT {_REL} || ': ' || regexp_replace(pg_get_viewdef(c.oid), '\\s+', ' ', 'g')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND {_USER}""",
}

Snapshot = dict[str, Counter[str]]


def snapshot(dsn: str) -> Snapshot:
    with connect(dsn, autocommit=True) as conn:
        return {
            kind: Counter(str(row[0]) for row in conn.execute(sql).fetchall())
            for kind, sql in QUERIES.items()
        }


def differences(expected: Snapshot, actual: Snapshot, limit: int = 12) -> list[str]:
    """`missing column tasks.priority ...` / `unexpected index ...`, most telling first."""
    found: list[str] = []
    for kind in QUERIES:
        want, have = expected.get(kind, Counter()), actual.get(kind, Counter())
        found += [f"missing {kind} {item}" for item in sorted((want - have).elements())]
        found += [f"unexpected {kind} {item}" for item in sorted((have - want).elements())]
    return found[:limit]
