-- A blog schema as an ORM generated it: the current schema of the optimize-blog case.
-- Faults on purpose: timestamps without time zone, free-text status, a link table without
-- a key, unindexed references, and queries that defeat the indexes that do exist.
CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE,
    name varchar(255) NOT NULL,
    created_at timestamp NOT NULL DEFAULT now()
);

CREATE TABLE posts (
    id serial PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users (id),
    title varchar(255) NOT NULL,
    body text NOT NULL,
    status varchar(20) NOT NULL DEFAULT 'draft',
    published_at timestamp,
    view_count integer NOT NULL DEFAULT 0
);

CREATE TABLE comments (
    id serial PRIMARY KEY,
    post_id integer NOT NULL REFERENCES posts (id),
    user_id integer NOT NULL REFERENCES users (id),
    body text NOT NULL,
    created_at timestamp NOT NULL DEFAULT now()
);

CREATE TABLE tags (
    id serial PRIMARY KEY,
    name varchar(100) NOT NULL UNIQUE
);

CREATE TABLE post_tags (
    post_id integer NOT NULL REFERENCES posts (id),
    tag_id integer NOT NULL REFERENCES tags (id)
);
