"""Append-only tables, enforced: the spec's append-only entities and the audit trail refuse
UPDATE and DELETE by trigger (`refuse_change`), so "append-only" is a property of the
database and not a convention the application may forget."""

from __future__ import annotations

from agent.brains.rules.schema.plan import SchemaPlan
from agent.naming import table_name
from agent.spec import Requirements


def apply_append_only(spec: Requirements, plan: SchemaPlan) -> list[str]:
    names = [table_name(e.name) for e in spec.entities if e.append_only]
    names += [t.name for t in plan.tables.values() if t.kind == "audit"]
    guarded = [name for name in dict.fromkeys(names) if name in plan.tables]
    for name in guarded:
        plan.tables[name].append_only = True
    if guarded:
        plan.functions.append("refuse_change")
        plan.notes.append(
            f"append-only: {', '.join(guarded)} refuse UPDATE and DELETE by trigger "
            "(corrections are new rows; retention drops whole partitions)"
        )
    return guarded
