-- Writes one audit_log row per changed row. SECURITY DEFINER so the application role needs
-- no privilege on the audit table (it cannot rewrite history); search_path pinned for safety.
CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END;
BEGIN
    INSERT INTO {audit_table} (table_name, row_id, action, actor, tenant_id, old_row, new_row)
    VALUES (
        TG_TABLE_NAME,
        coalesce(new_row, old_row) ->> 'id',
        TG_OP::{audit_action},
        nullif(current_setting('app.user_id', true), ''),
        nullif(current_setting('app.tenant_id', true), ''),
        old_row,
        new_row
    );
    RETURN NULL;
END;
$$;
