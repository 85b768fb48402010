-- One table for the load-speed comparison: the generator fills synth_rows, a plain
-- generate_series INSERT fills an identical copy of it.
CREATE TYPE row_kind AS ENUM ('a', 'b', 'c', 'd');

CREATE TABLE synth_rows (
    id bigint PRIMARY KEY,
    n int NOT NULL,
    amount numeric(12,2) NOT NULL,
    created_at timestamptz NOT NULL,
    label text NOT NULL,
    kind row_kind NOT NULL
);
