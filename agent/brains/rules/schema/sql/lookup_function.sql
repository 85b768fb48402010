-- '{pattern}' runs before a tenant is known, so no tenant policy can admit it. This
-- function runs it as the table owner (row-level security on {table} is enabled but not
-- forced, so the owner reads across tenants here, and only here); the application role
-- calls it with EXECUTE and stays filtered everywhere else. search_path is pinned with
-- pg_temp last, so a caller's temporary table cannot stand in for {table}.
CREATE OR REPLACE FUNCTION {name}({arguments}) RETURNS TABLE ({returns})
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {search_path} AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY {query};
END;
$$;
