"""Claims: the facts a design package states about its schema, as data a gate can check.

A sentence of the report or an ADR that says something about the schema (row-level security
enabled or forced, tables audited or partitioned, indexes and what they serve, counts,
constraint kinds, sizes) is rendered from a typed claim (`model`; the kinds are in `access`
and `objects`), emitted by the stage that decided it. The `claims_hold` gate reads the
catalog of the applied package (`catalog`) on a scratch database and checks every claim
against it (`check`), whichever brain wrote the claim: a false claim fails the stage like
DDL that does not apply.
"""
