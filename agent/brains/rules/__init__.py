"""The rules brain: deterministic stage implementations (no key, no network).

Each stage is a plain function: `technology.decide_technology`, `schema.compile_schema`,
`indexes.plan_indexes`, `scaling.plan_scaling`, `adr.write_adrs`, and for the modes
`optimize.optimize_schema` and `migrate.plan_migration`; `migrations` turns DDL and migrate
plans into files. `brain.RulesBrain` binds them to the `Brain` protocol. The modules at this
level are shared by several stages: the row volumes (`volumes`), the spec's signals
(`signals`), time series (`timeseries`), materialized views (`matview`) and the technology
matrix (`criteria`, `options`).

The rules brain may import the spec, the stages, the package model, the claims,
`agent.ddl`, `agent.markdown`, `agent.naming`, `agent.pg_target`, `agent.volumes` and
`tools`; never the graph, the gates or the run's context, which drive it.
"""
