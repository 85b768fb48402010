"""Checks that read the database as an application would.

The package is applied to a scratch database with sample data at the stated volumes
(`database`), and each check opens sessions on it as a role that owns nothing and has no
BYPASSRLS, with the session settings its row-level security policies read (`session`):
the stated access patterns must run with parameters taken from the data (`binding`,
`patterns`), tenants must not see, write or reference each other's rows (`tenancy`), and
append-only tables, overlap rules and erasure must hold against real statements
(`integrity`). A check fails on what PostgreSQL refused or allowed, never on the text of
the DDL.
"""
