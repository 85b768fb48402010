"""The rules brain's scaling stage (`stage`): sizes now and at 12 and 36 months (`sizes`,
`widths`), replicas, pooling and sharding (`capacity`), whether PostgreSQL serves each read
(`serve`) and caching only where it cannot (`cache`), regions (`regions`), and backup,
security and monitoring (`ops`).

May import the rules-level helpers (`volumes`, `signals`, `timeseries`, `matview`), the
spec, the stages, the claims, `agent.ddl` and `agent.markdown`; the rules brain and the
report's capacity section import it.
"""

from agent.brains.rules.scaling.capacity import workload_rates
from agent.brains.rules.scaling.stage import plan_scaling

__all__ = ["plan_scaling", "workload_rates"]
