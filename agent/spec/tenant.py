"""Which entity is the tenant of a multi-tenant spec: its key `<tenant>_id` joins the contract."""

from __future__ import annotations

from agent.spec.model import Requirements

TENANT_NAMES = ("tenant", "organization", "organisation", "org", "company", "account", "workspace")


def tenant_entity(spec: Requirements) -> tuple[str | None, str]:
    """(the tenant entity, how it was found): its key `<tenant>_id` is part of the contract.

    Declared (`tenant:` or an entity's `tenant: true`), else named like a tenant, else the
    root entity most others belong to (directly or through their parents).
    """
    if spec.tenant:
        return spec.tenant, "declared"
    flagged = next((e.name for e in spec.entities if e.tenant), None)
    if flagged:
        return flagged, "declared"
    names = [e.name for e in spec.entities]
    named = next((n for n in TENANT_NAMES if n in names), None)
    if named:
        return named, "named like a tenant"
    parents = _parents(spec)
    owned = {name: _descendants(name, parents) for name in names if not parents.get(name)}
    best = max(owned, key=lambda n: (len(owned[n]), -names.index(n)), default=None)
    if best is None or not owned[best]:
        return None, ""
    return best, f"{len(owned[best])} other entities belong to it"


def _parents(spec: Requirements) -> dict[str, set[str]]:
    """Entity -> entities it requires (non-optional belongs_to and x-to-one relationships)."""
    parents: dict[str, set[str]] = {e.name: set() for e in spec.entities}
    for entity in spec.entities:
        for ref in entity.belongs_to:
            if not ref.optional and ref.entity != entity.name:
                parents[entity.name].add(ref.entity)
    for rel in spec.relationships:
        if rel.kind in ("one-to-many", "one-to-one") and not rel.optional and rel.to in parents:
            parents[rel.to].add(rel.from_)
        elif rel.kind == "many-to-one" and not rel.optional and rel.from_ in parents:
            parents[rel.from_].add(rel.to)
    for name in parents:
        parents[name].discard(name)
    return parents


def _descendants(root: str, parents: dict[str, set[str]]) -> set[str]:
    found: set[str] = set()
    grew = True
    while grew:
        new = {c for c, ps in parents.items() if c not in found and ps & (found | {root})}
        grew = bool(new)
        found |= new
    return found
