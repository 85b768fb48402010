"""Report sections about what was designed: summary, requirements, technology, schema, indexes.

Each function takes the package and returns the section's markdown lines; a section whose
stage did not run says so in one line instead of disappearing silently.
"""

from __future__ import annotations

from collections import Counter

from agent.brains.rules.scaling import workload_rates
from agent.markdown import bullets, code, count, section, table
from agent.package import DesignPackage
from agent.report import claims as rc
from agent.spec import Entity, Requirements

NOT_RUN = "Not available: the {stage} stage did not run for this package."


def summary(pkg: DesignPackage) -> list[str]:
    lines = [
        f"- **Design approach:** {_approach(pkg)}",
        f"- **Scalability pattern:** {_scalability(pkg)}",
        f"- **Performance focus:** {_focus(pkg.spec)}",
    ]
    if pkg.technology is not None:
        lines.append(f"- **Primary store:** {pkg.technology.primary.product}")
    if pkg.spec is not None and pkg.spec.description:
        lines += ["", " ".join(pkg.spec.description.split())]
    return section("Summary", lines)


def _approach(pkg: DesignPackage) -> str:
    """What the schema is made of, counted from its tables: no sentence it does not bear out."""
    schema = pkg.schema_design
    if schema is None:
        return "not designed yet"
    kinds = Counter(t.kind for t in schema.tables)
    varying = [
        f"{t.name}.{c.name}"
        for t in schema.tables
        if t.kind == "entity"
        for c in t.columns
        if c.type == "jsonb"
    ]
    text = "Hybrid: normalized tables" if varying else "Normalized (3NF)"
    text += f"; {kinds['entity']} entity tables"
    if kinds["join"]:
        text += f", {kinds['join']} join tables for many-to-many"
    if varying:
        text += f", jsonb for attributes that vary per row ({', '.join(varying)})"
    if kinds["audit"]:
        text += f", {kinds['audit']} audit table"
    if schema.partitioning:
        text += "; time-partitioned: " + ", ".join(p.table for p in schema.partitioning)
    return text


def _scalability(pkg: DesignPackage) -> str:
    plan = pkg.scaling
    if plan is None:
        return "not planned yet"
    if plan.sharding.needed:
        return f"Horizontal: {plan.sharding.approach}"
    text = "Vertical: one primary"
    if plan.replicas.read_replicas:
        text += f" + {plan.replicas.read_replicas} replica(s)"
    text += ", time partitions" if plan.partitioning else ""
    return text + (f", {plan.pooling.pooler} pooling" if plan.pooling.pool_size else "")


def _focus(spec: Requirements | None) -> str:
    if spec is None:
        return "unknown"
    rates = workload_rates(spec)
    stated = spec.workload or (
        "read-heavy"
        if rates.reads > 2 * rates.writes
        else "write-heavy"
        if rates.writes > 2 * rates.reads
        else "balanced"
    )
    source = "stated" if spec.workload else "from the access patterns"
    return (
        f"{stated.capitalize()} ({source}: {rates.reads:,.0f} reads/s and "
        f"{rates.writes:,.0f} writes/s at peak)"
    )


def requirements(pkg: DesignPackage) -> list[str]:
    spec = pkg.spec
    if spec is None:
        return section("Requirements and assumptions", [NOT_RUN.format(stage="requirements")])
    facts = [
        f"Tenancy: {spec.tenancy or 'none'}",
        f"Consistency: {spec.consistency or 'strong (assumed)'}",
        f"Compliance: {', '.join(c.upper() for c in spec.compliance) or 'none stated'}",
        f"Availability: {spec.availability or 99.9:g}%{'' if spec.availability else ' (assumed)'}",
        f"Keys: {spec.keys}",
    ]
    if spec.regions:
        facts.append(f"Regions: {', '.join(spec.regions)}")
    entities = table(
        ["Entity", "Rows", "Growth / month", "Retention", "Marks"],
        [
            (e.name, count(e.rows), count(e.growth_per_month), e.retention, _marks(e))
            for e in spec.entities
        ],
    )
    patterns = table(
        ["Access pattern", "Kind", "Peak / s", "Latency target"],
        [
            (
                p.name,
                "write" if p.is_write else "read",
                count(p.per_second) if p.per_second is not None else "1 (assumed)",
                f"{p.latency_ms:g} ms" if p.latency_ms else None,
            )
            for p in spec.access_patterns
        ],
    )
    body = [*bullets(facts), "", *entities, "", *patterns]
    assumed = _assumptions(pkg)
    if assumed:
        body += ["", "Assumptions made where the spec is silent:", "", *bullets(assumed)]
    return section("Requirements and assumptions", body)


def _marks(entity: Entity) -> str:
    names = ("time_series", "append_only", "tenant", "phi", "varying_attributes", "audit")
    marks = [n.replace("_", " ") for n in names if getattr(entity, n, None)]
    pii = entity.pii
    return ", ".join(marks + ([f"pii: {', '.join(pii)}"] if pii else []))


def _assumptions(pkg: DesignPackage) -> list[str]:
    found = list(pkg.assumptions)
    if pkg.technology is not None:
        found += pkg.technology.assumptions
    if pkg.schema_design is not None:
        found += pkg.schema_design.assumptions
    return list(dict.fromkeys(found))


def technology(pkg: DesignPackage) -> list[str]:
    tech = pkg.technology
    if tech is None:
        return section("Technology recommendation", [NOT_RUN.format(stage="technology")])
    body = [f"**{tech.primary.product}** ({tech.primary.category}). {tech.rationale}", ""]
    if tech.primary.features:
        body += [f"Features used: {', '.join(tech.primary.features)}.", ""]
    if pkg.spec is not None and pkg.spec.pg_version and tech.primary.engine == "postgresql":
        body += [
            f"Target: PostgreSQL {pkg.spec.pg_version}. The DDL uses nothing that version "
            "lacks (checked against the version table by the lint gate).",
            "",
        ]
    if tech.criteria:
        body += [
            *table(
                ["Criterion", "Weight", "Why this weight"],
                [(c.label, f"{c.weight:g}", c.reason) for c in tech.criteria],
            ),
            "",
        ]
    if tech.matrix:
        ids = [c.id for c in tech.criteria]
        rows = []
        for row in sorted(tech.matrix, key=lambda r: r.rank):
            scores = {s.criterion: s.score for s in row.scores}
            rows.append(
                [
                    row.rank,
                    row.product,
                    row.category,
                    f"{row.total:g}",
                    *(scores.get(i, "–") for i in ids),
                ]
            )
        body += ["Decision matrix (scores 1-5, total weighted to 100):", ""]
        body += [*table(["#", "Option", "Category", "Total", *ids], rows), ""]
    if tech.alternatives:
        body += ["Alternatives and why not:", ""]
        body += bullets(f"**{a.product}** ({a.total:g}): {a.why_not}" for a in tech.alternatives)
        body.append("")
    if tech.auxiliary:
        body += ["Auxiliary stores:", ""]
        body += bullets(f"{a.role}: {a.product} - {a.reason}" for a in tech.auxiliary)
    return section("Technology recommendation", body)


def schema(pkg: DesignPackage) -> list[str]:
    design = pkg.schema_design
    if design is None:
        return section("Schema design", [NOT_RUN.format(stage="schema")])
    claims = design.claims
    rows = []
    unchecked = False
    for t in design.tables:
        claimed = rc.shape(claims, t.name)
        unchecked = unchecked or claimed is None
        key, width = (
            (claimed.primary_key, claimed.columns)
            if claimed
            else (t.primary_key, f"{len(t.columns)} *")
        )
        rows.append((t.name, t.kind, ", ".join(key), width, rc.table_notes(claims, t.name)))
    body = [*table(["Table", "Kind", "Primary key", "Columns", "Notes"], rows), ""]
    if unchecked:
        body += ["\\* not stated as a claim, so not checked against the catalog.", ""]
    body += rc.facts([c for c in claims if c.kind != "table"])
    if design.notes:
        body += ["Design notes:", "", *rc.opinion(pkg.brain, design.notes)]
        body += [*bullets(design.notes), ""]
    body += ["Full DDL (also in `schema.sql`):", "", *code(design.ddl, "sql")]
    return section("Schema design", body)


def erd(pkg: DesignPackage) -> list[str]:
    if not pkg.erd:
        return section(
            "Entity relationship diagram",
            ["Not available: no schema was designed, so there is nothing to draw."],
        )
    return section("Entity relationship diagram", code(pkg.erd, "mermaid"))
