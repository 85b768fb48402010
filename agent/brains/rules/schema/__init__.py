"""The rules brain's schema stage: a spec compiled into PostgreSQL DDL (`stage`) through a
working model (`plan`) of typed tables (`tables`, `keys`), tenancy and row-level security
(`tenancy`, `tenant_keys`, `lookup`), audit and append-only rules (`audit`, `append_only`)
and time partitions (`partition`), rendered in an order PostgreSQL accepts (`render`) with
the claims the report states about it (`claims`).

May import the rules-level helpers (`timeseries`), the spec, the stages, the claims,
`agent.naming`, `agent.pg_target` and `tools.sql`; the rules brain imports it.
"""

from agent.brains.rules.schema.stage import compile_schema

__all__ = ["compile_schema"]
