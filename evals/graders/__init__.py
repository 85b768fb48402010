"""The check functions by subject, each registered under its name when its module is imported
(`evals.checks` imports them all): the package's DDL (`schema`: it applies, lints clean, has
the tables, types and constraints), the rest of the package (`design`: plans and indexes at
the stated volumes, gate verdicts, technology, ADRs, report), the outputs of the modes that
start from an existing schema (`modes`), keys and constraints read from the DDL (`keys`),
and what the plans decide (`plans`: sizes as stated, sharding, technology runners-up,
auxiliary stores, destructive migration steps).

May import `evals.registry`, `evals.subject`, the stages and `tools.sql`.
"""
