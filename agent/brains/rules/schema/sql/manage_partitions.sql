-- Creates the partitions `ahead` steps into the future and drops those wholly older than
-- `keep` (NULL keeps everything). Partition names end in their lower bound (YYYY_MM or
-- YYYY_MM_DD, UTC), which is how old ones are found. Run it daily from a scheduler
-- (pg_cron, or the application's), e.g. SELECT manage_partitions('readings', '1 day', 7, '90 days').
CREATE OR REPLACE FUNCTION manage_partitions(
    parent text, step interval, ahead integer, keep interval DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    monthly boolean := step >= interval '28 days';
    fmt text := CASE WHEN monthly THEN 'YYYY_MM' ELSE 'YYYY_MM_DD' END;
    first_bound timestamp := date_trunc(CASE WHEN monthly THEN 'month' ELSE 'day' END,
                                        now() AT TIME ZONE 'UTC');
    lower_bound timestamp;
    child record;
BEGIN
    FOR i IN 0..ahead LOOP
        lower_bound := first_bound + i * step;
        EXECUTE format(
            'CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
            parent || '_' || to_char(lower_bound, fmt), parent,
            lower_bound::text || '+00', (lower_bound + step)::text || '+00');
    END LOOP;
    IF keep IS NULL THEN
        RETURN;
    END IF;
    FOR child IN
        SELECT c.relname
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = parent::regclass
          AND c.relname ~ ('^' || parent || '_[0-9]{4}_[0-9]{2}(_[0-9]{2})?$')
    LOOP
        IF to_timestamp(substr(child.relname, length(parent) + 2), fmt)::timestamp + step
           < (now() AT TIME ZONE 'UTC') - keep THEN
            EXECUTE format('DROP TABLE %I', child.relname);
        END IF;
    END LOOP;
END;
$$;
