"""The review engine: SQL read, parsed, applied to a scratch PostgreSQL, linted by the design
rules (`lint`) and squawk (`squawk`), each finding placed on its table (`locate`), as one
report (`engine`: `review`); `review_schema` adds workload analysis when queries are given
(`schema`), and the schema-side tools for the model, MCP and HTTP live in `tools`.

May import every other part of `tools.sql`, `tools.erd`, `tools.registry` and
`tools.errors`; the CLI, the service, the gates and the evals import it.
"""

from tools.sql.review.engine import Progress, ReviewReport, ReviewRequest, review
from tools.sql.review.lint import lint_schema, rules
from tools.sql.review.schema import ReviewSchemaInput, SchemaReview, review_schema
from tools.sql.review.squawk import EXCLUDED, INFO_RULES, SquawkViolation, squawk_binary
from tools.sql.review.tools import TOOLS

__all__ = [
    "EXCLUDED",
    "INFO_RULES",
    "TOOLS",
    "Progress",
    "ReviewReport",
    "ReviewRequest",
    "ReviewSchemaInput",
    "SchemaReview",
    "SquawkViolation",
    "lint_schema",
    "review",
    "review_schema",
    "rules",
    "squawk_binary",
]
