"""The catalog queries behind `read_catalog`, one per kind of object.

Only user schemas are read; partitions are left out (their constraints, indexes and
triggers are clones of the parent's) and counted on the parent instead.
"""

from __future__ import annotations

_USER = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' "
    "AND n.nspname NOT LIKE 'pg_temp%'"
)


def _name(alias: str, namespace: str) -> str:
    return (
        f"CASE WHEN {namespace}.nspname = 'public' THEN {alias}.relname "
        f"ELSE {namespace}.nspname || '.' || {alias}.relname END"
    )


_REL = _name("c", "n")
_OWN = f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER} AND NOT c.relispartition"

TABLES = f"""
SELECT {_REL}, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = c.oid)::int
FROM pg_class c {_OWN} AND c.relkind IN ('r', 'p')
"""

COLUMNS = f"""
SELECT {_REL}, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       a.attidentity::text, t.typlen::int, a.atthasdef
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
{_OWN} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY 1, a.attnum
"""

_KEY_NAMES = """
ARRAY(SELECT a.attname::text FROM unnest({keys}) WITH ORDINALITY AS u(num, pos)
      JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = u.num ORDER BY u.pos)
"""

CONSTRAINTS = f"""
SELECT {_REL}, k.conname::text, k.contype::text,
       {_KEY_NAMES.format(keys="k.conkey", rel="k.conrelid")},
       CASE WHEN k.confrelid = 0 THEN NULL ELSE {_name("f", "fn")} END,
       {_KEY_NAMES.format(keys="k.confkey", rel="k.confrelid")},
       pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
LEFT JOIN pg_class f ON f.oid = k.confrelid LEFT JOIN pg_namespace fn ON fn.oid = f.relnamespace
{_OWN} AND k.contype IN ('p', 'u', 'f', 'c', 'x')
"""

INDEXES = f"""
SELECT {_REL}, ic.relname::text,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
             FROM generate_series(1, i.indnkeyatts) AS k),
       i.indisunique, i.indisprimary, am.amname::text, pg_get_expr(i.indpred, i.indrelid),
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
               AND k.conrelid = i.indrelid)
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
JOIN pg_class c ON c.oid = i.indrelid {_OWN}
"""

POLICIES = f"""
SELECT {_REL}, p.polname::text, CASE WHEN p.polpermissive THEN 'PERMISSIVE'
       ELSE 'RESTRICTIVE' END, p.polcmd::text,
       pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid {_OWN}
"""

# tgtype bits: 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE.
TRIGGERS = f"""
SELECT {_REL}, t.tgname::text,
       ARRAY(SELECT e FROM (VALUES (4, 'INSERT'), (16, 'UPDATE'), (8, 'DELETE'),
                                   (32, 'TRUNCATE')) AS ev(bit, e)
             WHERE t.tgtype::int & ev.bit <> 0),
       p.proname::text, p.prosrc
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
{_OWN} AND NOT t.tgisinternal
"""

FUNCTIONS = f"""
SELECT p.proname::text,
       ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) AS t),
       p.prosecdef, p.proconfig, p.prosrc
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE {_USER} AND NOT EXISTS (
    SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
"""

PARTITION_KEYS = f"""
SELECT {_REL}, pt.partstrat::text,
       ARRAY(SELECT a.attname::text FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY AS u(num, pos)
             JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = u.num
             ORDER BY u.pos)
FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid {_OWN}
"""

ENUMS = f"""
SELECT t.typname::text, array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {_USER} GROUP BY t.typname
"""
