"""A schema's DDL read back into the shapes the stages speak: the indexes it builds, each
with its role (`indexes`), and an existing schema as a `SchemaDesign` (`summary`).

May import the stages, the spec, `agent.mode_inputs` and `tools.sql`; the nodes, the rules
brain and the report import it.
"""

from agent.ddl.indexes import BuiltIndex, IndexCount, count_indexes, schema_indexes
from agent.ddl.summary import column_references, summarize_schema

__all__ = [
    "BuiltIndex",
    "IndexCount",
    "column_references",
    "count_indexes",
    "schema_indexes",
    "summarize_schema",
]
