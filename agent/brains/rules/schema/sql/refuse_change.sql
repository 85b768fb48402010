-- Guards an append-only table: rows are facts once written (events, postings, revisions,
-- the audit trail); a correction is a new row. Row-level, so it is cloned onto every
-- partition; retention still works by dropping whole partitions, which no trigger sees.
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING HINT = 'write a new row that corrects or reverses this one';
END;
$$;
