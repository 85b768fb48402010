"""What a valid spec leaves open: questions to ask the user, or assumptions the design makes.

Missing information is not an error (a spec with no volumes still gets a design), but the
graph interrupts on questions in chat mode and lists assumptions in the report, so nothing
the design depends on is invented silently.
"""

from __future__ import annotations

from typing import Literal

import pglast
from pglast import ast
from pglast.visitors import Visitor
from pydantic import BaseModel, ConfigDict

from agent.spec.contract import resolve_contract
from agent.spec.model import Requirements
from agent.spec.source import dotted
from agent.spec.tenant import TENANT_NAMES, tenant_entity
from tools.sql import pgparse


class Question(BaseModel):
    """One open point: `question` when an answer would change the design, else `assumption`."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["question", "assumption"]
    topic: str  # volumes | access_patterns | consistency | workload | tenancy | retention | ...
    path: str  # dotted key path in the spec ("" for the whole spec)
    message: str
    assumed: str | None = None  # what the design does when nobody answers


def missing_information(spec: Requirements) -> list[Question]:
    """Everything a good architect would ask about this spec, most consequential first."""
    found: list[Question] = []
    found += _access_patterns(spec)
    found += _volumes(spec)
    found += _global_choices(spec)
    found += _retention(spec)
    found += _compliance(spec)
    return sorted(found, key=lambda q: q.kind != "question")  # stable: questions first


def _access_patterns(spec: Requirements) -> list[Question]:
    if not spec.access_patterns:
        return [
            Question(
                kind="question",
                topic="access_patterns",
                path="access_patterns",
                message="No access patterns: which queries must be fast, and how often do they "
                "run? Indexes are derived from them.",
                assumed="only foreign-key indexes; no workload-driven indexes",
            )
        ]
    found = []
    tables = set(resolve_contract(spec).tables)
    for index, pattern in enumerate(spec.access_patterns):
        path = dotted(("access_patterns", index))
        if pattern.per_second is None:
            found.append(
                Question(
                    kind="assumption",
                    topic="access_patterns",
                    path=path,
                    message=f"'{pattern.name}' has no rate (per_second).",
                    assumed="1 per second",
                )
            )
        for name in sorted(referenced_tables(pattern.sql) - tables):
            found.append(
                Question(
                    kind="question",
                    topic="access_patterns",
                    path=f"{path}.sql",
                    message=f"'{pattern.name}' reads table '{name}', which the spec does "
                    f"not define (tables: {', '.join(sorted(tables))}).",
                    assumed="the pattern cannot be planned until the table exists",
                )
            )
    return found


def _volumes(spec: Requirements) -> list[Question]:
    found = []
    for index, entity in enumerate(spec.entities):
        path = dotted(("entities", index))
        if entity.rows is None:
            found.append(
                Question(
                    kind="assumption",
                    topic="volumes",
                    path=f"{path}.rows",
                    message=f"No row count for '{entity.name}'.",
                    assumed="10,000 rows (a small table)",
                )
            )
        elif entity.growth_per_month is None and entity.rows >= 1_000_000:
            found.append(
                Question(
                    kind="question",
                    topic="volumes",
                    path=f"{path}.growth_per_month",
                    message=f"'{entity.name}' is large ({entity.rows:,} rows): how fast "
                    "does it grow per month?",
                    assumed="no growth",
                )
            )
    return found


def _global_choices(spec: Requirements) -> list[Question]:
    found = []
    if spec.consistency is None:
        found.append(
            Question(
                kind="assumption",
                topic="consistency",
                path="consistency",
                message="Consistency not stated.",
                assumed="strong (transactions, read-your-writes on the primary)",
            )
        )
    if spec.workload is None:
        found.append(
            Question(
                kind="assumption",
                topic="workload",
                path="workload",
                message="Workload shape not stated.",
                assumed="derived from the access patterns' read and write rates",
            )
        )
    tenant_like = [e.name for e in spec.entities if e.tenant or e.name in TENANT_NAMES]
    if spec.tenancy is None and tenant_like:
        found.append(
            Question(
                kind="question",
                topic="tenancy",
                path="tenancy",
                message=f"'{tenant_like[0]}' looks like a tenant: should tenants be "
                "isolated (shared-schema with row-level security, schema or database "
                "per tenant)?",
                assumed="none: one shared schema without tenant isolation",
            )
        )
    if spec.tenancy == "shared-schema":
        found += _tenant(spec)
    if spec.rpo is None or spec.rto is None:
        found.append(
            Question(
                kind="assumption",
                topic="recovery",
                path="rpo",
                message="No recovery objectives (rpo/rto).",
                assumed="RPO 5 minutes (WAL archiving), RTO 1 hour",
            )
        )
    return found


def _tenant(spec: Requirements) -> list[Question]:
    tenant, how = tenant_entity(spec)
    if tenant is None:
        return [
            Question(kind="question", topic="tenancy", path="tenant",
                     message="Shared-schema tenancy, but which entity is the tenant?",
                     assumed="no tenant key can be added")
        ]  # fmt: skip
    if how == "declared":
        return []
    return [
        Question(kind="assumption", topic="tenancy", path="tenant",
                 message=f"The tenant is not declared; '{tenant}' is taken ({how}).",
                 assumed=f"every tenant-owned table carries {tenant}_id")
    ]  # fmt: skip


def _retention(spec: Requirements) -> list[Question]:
    found = []
    for index, entity in enumerate(spec.entities):
        if (entity.time_series or entity.append_only) and not _has_retention(spec, entity.name):
            found.append(
                Question(
                    kind="question",
                    topic="retention",
                    path=dotted(("entities", index, "retention")),
                    message=f"How long must '{entity.name}' rows be kept?",
                    assumed="forever (no partitions are dropped)",
                )
            )
    return found


def _has_retention(spec: Requirements, entity: str) -> bool:
    found = spec.entity(entity)
    if found is not None and found.retention:
        return True
    if isinstance(spec.retention, dict):
        return entity in spec.retention
    return spec.retention is not None


def _compliance(spec: Requirements) -> list[Question]:
    found = []
    marked = any(e.pii or e.phi for e in spec.entities) or any(
        a.pii for e in spec.entities for a in e.attributes.values()
    )
    regulated = {"hipaa", "gdpr", "pci", "ccpa"} & set(spec.compliance)
    if regulated and not marked:
        found.append(
            Question(
                kind="assumption",
                topic="compliance",
                path="compliance",
                message=f"{', '.join(sorted(regulated)).upper()} applies but no entity "
                "marks personal data (pii/phi).",
                assumed="people-like entities and everything that references them hold "
                "personal data",
            )
        )
    for regime in spec.compliance:
        if regime not in ("gdpr", "hipaa", "pci", "sox", "soc2", "ccpa"):
            found.append(
                Question(
                    kind="assumption",
                    topic="compliance",
                    path="compliance",
                    message=f"No specific design rules are known for '{regime}'.",
                    assumed="audit log and encryption in transit/at rest, as for SOC 2",
                )
            )
    return found


class _Tables(Visitor):
    """Collects table names a statement reads or writes, minus its CTE names."""

    def __init__(self) -> None:
        self.tables: set[str] = set()
        self.ctes: set[str] = set()

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        if node.schemaname in (None, "public") and node.relname:
            self.tables.add(node.relname)

    def visit_CommonTableExpr(self, ancestors: object, node: ast.CommonTableExpr) -> None:
        if node.ctename:
            self.ctes.add(node.ctename)


def referenced_tables(sql: str) -> set[str]:
    """Unqualified (or `public.`) tables named in `sql`; empty when it does not parse."""
    try:
        tree = pgparse.parse_sql(sql)
    except pglast.parser.ParseError:
        return set()
    visitor = _Tables()
    visitor(tree)
    return visitor.tables - visitor.ctes
