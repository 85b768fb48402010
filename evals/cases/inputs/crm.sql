-- A multi-tenant CRM as it runs today (about 5,000 accounts): the scale-crm-100x case asks
-- what this schema needs at a hundred times its volumes. Every table carries account_id.
CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contacts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    email text NOT NULL,
    full_name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, email)
);
CREATE INDEX contacts_account_id_idx ON contacts (account_id);

CREATE TABLE deals (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    contact_id bigint NOT NULL REFERENCES contacts (id),
    amount numeric(19,4) NOT NULL,
    stage text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deals_account_id_idx ON deals (account_id);
CREATE INDEX deals_contact_id_idx ON deals (contact_id);

CREATE TABLE activities (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    contact_id bigint NOT NULL REFERENCES contacts (id),
    kind text NOT NULL,
    note text,
    happened_at timestamptz NOT NULL
);
CREATE INDEX activities_contact_id_idx ON activities (contact_id, happened_at);
