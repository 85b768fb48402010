"""Report blocks built from claims: checked facts, per-table notes, and the opinion label.

Schema facts reach the report only through here, as the sentences of the claims the gates
checked; free prose from a model-written stage is labelled as opinion, so a reader can tell
which words were verified against the catalog and which were not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from agent.claims.model import Claim, NoOverlap, Partitioned, RowSecurity, TableShape
from agent.markdown import bullets
from agent.package import DesignPackage

RULES_BRAIN = "rules"
OPINION = (
    "_Written by the model: opinion and advice, not checked against the catalog; the checked "
    "facts are listed separately._"
)


def package_claims(pkg: DesignPackage) -> list[Claim]:
    found: list[Claim] = []
    for stage in (pkg.schema_design, pkg.indexes, pkg.scaling):
        found += stage.claims if stage is not None else []
    for adr in pkg.adrs:
        found += adr.claims
    return found


def of_kind(claims: Iterable[Claim], *kinds: str) -> list[Claim]:
    return [c for c in claims if c.kind in kinds]


CHECKED = "Checked facts (each a claim the claims_hold gate verified in the catalog):"


def facts(claims: Sequence[Claim], title: str = CHECKED) -> list[str]:
    """A titled bullet list of claim sentences; nothing when there are none."""
    if not claims:
        return []
    return [title, "", *bullets(c.sentence() for c in claims), ""]


def opinion(brain: str, prose: Sequence[str]) -> list[str]:
    """The opinion label, above prose a model wrote (the rules brain states no facts in prose)."""
    return [OPINION, ""] if prose and brain != RULES_BRAIN else []


def shape(claims: Sequence[Claim], table: str) -> TableShape | None:
    return next((c for c in claims if isinstance(c, TableShape) and c.table == table), None)


def table_notes(claims: Sequence[Claim], table: str) -> str:
    """`RLS forced, soft delete, no overlap per room_id`: what the claims say about a table."""
    notes = []
    for claim in claims:
        if table not in claim.tables_named():
            continue
        if isinstance(claim, RowSecurity):
            notes.append("RLS forced" if claim.forced else "RLS (not forced)")
        elif isinstance(claim, Partitioned):
            notes.append(f"partitioned {claim.strategy.upper()} ({claim.column})")
        elif isinstance(claim, NoOverlap):
            per = f" per {', '.join(claim.equal)}" if claim.equal else ""
            # The claim's sentence spells the WHERE out; a table cell only says there is one.
            kind = "exclusion over some rows" if claim.predicate else "exclusion"
            notes.append(f"no overlapping {claim.start}-{claim.end}{per} ({kind})")
        elif claim.kind == "soft_delete":
            notes.append("soft delete")
        elif claim.kind == "audited" and getattr(claim, "log_table", None) != table:
            notes.append("audited")
    return ", ".join(dict.fromkeys(notes))
