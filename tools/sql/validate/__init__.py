"""Validation: a parsed schema applied to a scratch database on a real PostgreSQL
(`schema`: `validate_schema`), in statement batches (`applier`), with the statements that do
not belong in a scratch database set aside (`scope`) and root failures told from their
consequences (`failures`).

May import `tools.sql.model`, `nodes`, `pgparse`, `server` and `tools.errors`.
"""

from tools.sql.validate.schema import (
    StatementError,
    ValidationResult,
    apply_statements,
    validate_schema,
)
from tools.sql.validate.scope import skip_reason, statement_node

__all__ = [
    "StatementError",
    "ValidationResult",
    "apply_statements",
    "skip_reason",
    "statement_node",
    "validate_schema",
]
