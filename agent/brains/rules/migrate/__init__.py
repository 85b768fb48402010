"""The rules brain's migrate stage: a zero-downtime plan from the current to the target
schema (`stage`). The difference object by object (`diff`) becomes online steps ordered phase
by phase (`builder`): columns (`columns`, `not_null`, `swap` for a rewriting type change),
what the target adds (`objects`) and what it drops (`drops`); `adr` writes the run's record.

May import `rules.migrations` (the SQL, names and files of migration steps), the stages and
`tools.sql`; nothing below it imports it but the rules brain and the mode ADR node.
"""

from agent.brains.rules.migrate.adr import migration_adr
from agent.brains.rules.migrate.stage import plan_migration

__all__ = ["migration_adr", "plan_migration"]
