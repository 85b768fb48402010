"""Check claims against a catalog: each false claim yields a message naming it and the truth.

One function per claim kind returns what the catalog says where it disagrees (empty when
the claim holds). `check_claims` turns those into `ClaimFailure`s whose message quotes the
claim's own sentence, so a reader (or the brain on its retry) sees which words were false.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from agent.claims.catalog import Catalog
from agent.claims.check import objects as check_objects
from agent.claims.check import security as check_security
from agent.claims.model import Claim


class ClaimFailure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    sentence: str
    problems: list[str]

    @property
    def message(self) -> str:
        return f'false {self.kind} claim "{self.sentence}": the catalog says ' + "; ".join(
            self.problems
        )


Checker = Callable[[Any, Catalog], list[str]]

CHECKERS: dict[str, Checker] = {
    "table": check_objects.table_shape,
    "row_security": check_security.row_security,
    "policy": check_security.policy,
    "tenant_references": check_security.tenant_references,
    "audited": check_security.audited,
    "lookup_function": check_security.lookup_function,
    "partitioned": check_objects.partitioned,
    "index": check_objects.index,
    "constraint": check_objects.constraint,
    "no_overlap": check_objects.no_overlap,
    "soft_delete": check_objects.soft_delete,
    "columns": check_objects.columns,
    "enum_types": check_objects.enum_types,
    "count": check_objects.count,
    "size": check_objects.size,
}


def check_claim(claim: Claim, catalog: Catalog) -> ClaimFailure | None:
    problems = CHECKERS[claim.kind](claim, catalog)
    if not problems:
        return None
    return ClaimFailure(kind=claim.kind, sentence=claim.sentence(), problems=problems)


def check_claims(claims: Sequence[Claim], catalog: Catalog) -> list[ClaimFailure]:
    return [f for claim in claims if (f := check_claim(claim, catalog)) is not None]
