"""Sample data at the stated volumes: a scratch database filled with synthetic rows
(`fill`: `generate_data`), one bulk INSERT per table (`table`) with per-type values
(`values`) inside CHECK constraints (`checks`) and live partitions (`partitions`), orphans
mended before the foreign keys return (`repair`), statistics settled so the same data plans
the same (`planner_stats`), and filled databases cloned in milliseconds (`samples`).

May import `tools.sql.model`, `server`, `validate`, `query` (column scopes) and
`tools.errors`.
"""

from tools.sql.datagen.fill import LARGE_TABLE_ROWS, DataReport, TableLoad, generate_data
from tools.sql.datagen.planner_stats import refresh
from tools.sql.datagen.samples import sample_database

__all__ = [
    "LARGE_TABLE_ROWS",
    "DataReport",
    "TableLoad",
    "generate_data",
    "refresh",
    "sample_database",
]
