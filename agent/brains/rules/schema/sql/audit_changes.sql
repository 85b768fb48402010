-- Writes one audit row per changed row, once per statement: the trigger sees all rows a
-- statement changed as transition tables (changed_rows / old_rows), so a bulk INSERT of
-- a million rows costs one INSERT ... SELECT instead of a million trigger calls.
-- SECURITY DEFINER: the application role needs no privilege on the audit table (it cannot
-- rewrite history); search_path pinned, pg_temp last, so a caller's temporary table cannot
-- capture the insert.
-- The trigger's arguments name columns left out of the copies (personal data under an
-- erasure right): erasing a data subject must not leave their values in the trail.
CREATE OR REPLACE FUNCTION audit_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    actor text := nullif(current_setting('app.user_id', true), '');
    tenant text := nullif(current_setting('app.tenant_id', true), '');
    hidden text[] := coalesce(TG_ARGV, '{}'::text[]);
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {audit_table} (table_name, row_id, action, actor, tenant_id, new_row)
        SELECT TG_TABLE_NAME, n.j ->> 'id', 'INSERT', actor, tenant, n.j
        FROM (SELECT to_jsonb(r) - hidden AS j FROM changed_rows r) n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO {audit_table} (table_name, row_id, action, actor, tenant_id, old_row, new_row)
        SELECT TG_TABLE_NAME, coalesce(n.j, o.j) ->> 'id', 'UPDATE', actor, tenant, o.j, n.j
        FROM (SELECT to_jsonb(r) - hidden AS j FROM old_rows r) o
        FULL JOIN (SELECT to_jsonb(r) - hidden AS j FROM changed_rows r) n ON n.j -> 'id' = o.j -> 'id';
    ELSE
        INSERT INTO {audit_table} (table_name, row_id, action, actor, tenant_id, old_row)
        SELECT TG_TABLE_NAME, o.j ->> 'id', 'DELETE', actor, tenant, o.j
        FROM (SELECT to_jsonb(r) - hidden AS j FROM old_rows r) o;
    END IF;
    RETURN NULL;
END;
$$;
