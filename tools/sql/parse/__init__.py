"""Reading SQL into the typed `Schema` model: files and migration folders with psql leftovers
blanked and positions mapped (`source`, `lexer`), cut into located statements by
PostgreSQL's own grammar (`split`) with their `-- dbarch:ignore` suppressions (`suppress`),
then each statement into the model (`schema`: `parse_schema`; `table`, `alter`, `objects`,
sharing the state in `builder` and the type names in `typenames`).

May import `tools.sql.model`, `nodes`, `pgparse`, the rule names of `tools.sql.rules` and
`tools.errors`; everything that reads DDL imports it.
"""

from tools.sql.parse.schema import build_schema, parse_schema, require_statements
from tools.sql.parse.source import SourceFile, preprocess, read_sources
from tools.sql.parse.suppress import SUPPRESSION_RULES, Suppressed, apply_suppressions

__all__ = [
    "SUPPRESSION_RULES",
    "SourceFile",
    "Suppressed",
    "apply_suppressions",
    "build_schema",
    "parse_schema",
    "preprocess",
    "read_sources",
    "require_statements",
]
