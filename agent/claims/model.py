"""The claim kinds: one pydantic model per kind of schema fact, each able to say itself.

A claim names the objects it is about exactly as the catalog does (table, column, index
and function names), so the checker can find them; `sentence()` is the only way the
report and the ADRs put the fact into words, so the words cannot drift from the data. The
kinds live in `access` (who may see and change rows) and `objects` (what the schema is made
of); `Claim` is their union, told apart by `kind`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from agent.claims.access import (
    Audited,
    ForeignKeyRef,
    LookupFunction,
    Policy,
    RowSecurity,
    TenantReferences,
)
from agent.claims.objects import (
    ColumnsFact,
    ConstraintFact,
    Count,
    EnumTypes,
    IndexFact,
    LiveUnique,
    NoOverlap,
    Partitioned,
    Size,
    SoftDelete,
    TableShape,
)

__all__ = [
    "Audited", "Claim", "ColumnsFact", "ConstraintFact", "Count", "EnumTypes", "ForeignKeyRef",
    "IndexFact", "LiveUnique", "LookupFunction", "NoOverlap", "Partitioned", "Policy",
    "RowSecurity", "Size", "SoftDelete", "TableShape", "TenantReferences",
]  # fmt: skip

Claim = Annotated[
    TableShape | RowSecurity | Policy | TenantReferences | Audited | Partitioned | IndexFact
    | ConstraintFact | NoOverlap | SoftDelete | LookupFunction | ColumnsFact | EnumTypes | Count
    | Size,
    Field(discriminator="kind"),
]  # fmt: skip
