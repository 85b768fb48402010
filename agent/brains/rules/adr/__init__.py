"""The rules brain's ADR stage: one MADR record per major decision the design made
(`stage`), about the platform (`platform`: the store, the keys, indexing), the data
(`data`: tenancy, audit, partitions, jsonb) and running it (`operations`).

May import the stages, the spec, the claims, `agent.ddl` and `agent.markdown`; the rules
brain and the mode ADR node import it.
"""

from agent.brains.rules.adr.data import partitioning_adr
from agent.brains.rules.adr.operations import backup_adr, scaling_adr
from agent.brains.rules.adr.platform import store_adr
from agent.brains.rules.adr.stage import write_adrs

__all__ = ["backup_adr", "partitioning_adr", "scaling_adr", "store_adr", "write_adrs"]
