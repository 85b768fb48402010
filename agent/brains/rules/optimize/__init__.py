"""The rules brain's optimize stage for a live schema (`stage`): lint and plan findings,
query rewrites (`rewrites`, with the parse-tree edits in `sql` and keyset pagination in
`keyset`), the index plan (`indexes`) and the run's decision record (`adr`).

May import the rules brain's index stage, the stages, the spec, `agent.volumes` and
`tools.sql`; the rules brain and the mode ADR node import it.
"""

from agent.brains.rules.optimize.adr import optimization_adr
from agent.brains.rules.optimize.stage import optimize_schema

__all__ = ["optimization_adr", "optimize_schema"]
