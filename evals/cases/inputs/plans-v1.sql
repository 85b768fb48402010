-- A subscription service's current schema: the migrate-destructive case starts here.
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    password_md5 text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE plans (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE,
    monthly_cents integer NOT NULL
);

CREATE TABLE subscriptions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    plan_id bigint NOT NULL REFERENCES plans (id),
    coupon_code text,
    started_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE coupons (
    code text PRIMARY KEY,
    percent_off integer NOT NULL CHECK (percent_off BETWEEN 1 AND 100)
);
