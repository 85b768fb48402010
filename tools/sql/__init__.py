"""PostgreSQL tools: everything that reads, checks or plans SQL.

At this level, what every part shares: the typed schema model (`model`), PostgreSQL's grammar
(`pgparse`, with `nodes` and `astwalk` over its parse trees), the server and its scratch
databases (`server`, `sandbox_role`, `scratch_owner`), a live database's catalog
(`catalog`), CREATE INDEX read back (`index_ddl`) and the version table (`pg_features`).
Built on them: `parse` (SQL -> model), `validate` (model -> a scratch database), `rules`
(design lint rules), `datagen` (sample data), `query` (workloads, EXPLAIN), `advise` (the
index advisor and workload analysis) and `review` (the review engine and the schema tools).
Nothing here imports `agent` or `evals`.
"""
