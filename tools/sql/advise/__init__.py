"""The index advisor and the workload analysis around it: candidates from each query's shape
(`candidates`), what-if costs under a subset of them (`whatif`), greedy benefit-per-byte
selection (`select`), the advisor itself (`advisor`: `advise`), one call that applies,
fills, explains and advises on a scratch database (`analysis`), and the workload tools for
the model, MCP and HTTP (`tools`: explain_queries, advise_indexes).

May import `tools.sql.query`, `datagen`, `validate`, `catalog`, `server`, `tools.registry`
and `tools.errors`.
"""

from tools.sql.advise.advisor import AdviceResult, IndexAdvice
from tools.sql.advise.analysis import (
    SizeText,
    WorkloadReport,
    advise_on,
    analyze_applied,
    analyze_loaded,
    analyze_workload,
    parse_size,
)

__all__ = [
    "AdviceResult",
    "IndexAdvice",
    "SizeText",
    "WorkloadReport",
    "advise_on",
    "analyze_applied",
    "analyze_loaded",
    "analyze_workload",
    "parse_size",
]
