"""The typed outputs of the design stages: the contract between brains, gates and the graph.

requirements -> technology -> schema -> indexes -> scaling -> ADRs. Whichever brain wrote a
stage (the deterministic rules or Claude), it returns one of these models and the same gates
check it. Every model refuses unknown keys, so a model-written stage output that drifts from
the contract fails validation instead of being half-read.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.claims.model import Claim

CLAIMS_HELP = (
    "Facts about the schema this stage states, as typed claims; the claims_hold gate checks "
    "each against the catalog of the applied package. Prose elsewhere is opinion."
)
StoreCategory = Literal[
    "relational", "document", "key-value", "wide-column", "graph", "time-series"
]
Severity = Literal["error", "warning", "info"]


class StageModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GateFinding(StageModel):
    """Why a gate sent a stage back: fed to the brain on its next attempt."""

    gate: str  # "ddl_applies", "lint", "patterns_indexed", ...
    message: str
    severity: Severity = "error"
    rule: str | None = None  # lint rule id when the gate is lint
    table: str | None = None
    column: str | None = None
    line: int | None = None


# --- technology -------------------------------------------------------------------------


class Criterion(StageModel):
    """One column of the decision matrix and how much it matters for this spec."""

    id: str  # "relationships", "consistency", "time_series", ...
    label: str
    weight: float = Field(ge=0, le=3, description="Importance for this spec, 0 (none) to 3.")
    reason: str  # which facts of the spec set the weight


class CriterionScore(StageModel):
    criterion: str  # Criterion.id
    weight: float
    score: int = Field(ge=1, le=5, description="How well the option serves the criterion.")
    reason: str


class OptionScore(StageModel):
    """One row of the decision matrix: an option scored on every criterion."""

    category: StoreCategory
    product: str
    engine: str  # the server that runs it: "postgresql", "mongodb", "cassandra", ...
    scores: list[CriterionScore]
    total: float = Field(description="Weighted score, 0-100.")
    rank: int


class Alternative(StageModel):
    category: StoreCategory
    product: str
    total: float
    why_not: str


class AuxiliaryStore(StageModel):
    role: str  # "cache", "search", "stream", "archive", ...
    product: str
    reason: str


class StoreChoice(StageModel):
    category: StoreCategory
    product: str
    engine: str
    features: list[str] = Field(default_factory=list)  # the engine features the design uses


class TechnologyDecision(StageModel):
    """The primary store chosen by a scored decision matrix, with the options it beat."""

    primary: StoreChoice
    criteria: list[Criterion] = Field(default_factory=list)
    matrix: list[OptionScore] = Field(default_factory=list)
    alternatives: list[Alternative] = Field(default_factory=list)
    auxiliary: list[AuxiliaryStore] = Field(default_factory=list)
    rationale: str
    assumptions: list[str] = Field(default_factory=list)

    @property
    def category(self) -> str:
        return self.primary.category

    def fits(self, category: str) -> bool:
        """Does the choice satisfy an expected category? Time-series on PostgreSQL is relational."""
        if self.primary.category == category:
            return True
        return category == "relational" and self.primary.engine == "postgresql"


# --- schema -----------------------------------------------------------------------------


class ColumnSummary(StageModel):
    name: str
    type: str  # as written in the DDL: "bigint", "numeric(19,4)", "task_status", "jsonb"
    nullable: bool = True
    default: str | None = None
    references: str | None = None  # "projects.id"


class TableSummary(StageModel):
    name: str
    kind: Literal["entity", "join", "audit", "support"] = "entity"
    entity: str | None = None  # the spec entity it stores
    columns: list[ColumnSummary] = Field(default_factory=list)
    primary_key: list[str] = Field(default_factory=list)
    partitioned_by: str | None = None  # "RANGE (recorded_at)"
    rls: bool = False
    soft_delete: bool = False
    audited: bool = False
    estimated_rows: int | None = None


class DdlStatement(StageModel):
    """One statement of the DDL, in the order it must be applied."""

    kind: str  # "type", "function", "table", "partition", "foreign_key", "index", ...
    object: str  # the object it creates or changes
    sql: str


class Partitioning(StageModel):
    table: str
    column: str
    strategy: Literal["range", "list", "hash"] = "range"
    interval: str | None = None  # "1 month", "1 day"
    partitions: list[str] = Field(default_factory=list)  # created ahead, default one included
    retention: str | None = None  # "90 days"
    reason: str = ""


class TenancyPlan(StageModel):
    model: Literal["none", "shared-schema", "schema-per-tenant", "database-per-tenant"]
    tenant_table: str | None = None
    tenant_column: str | None = None  # "company_id"
    setting: str | None = None  # the session setting RLS policies read: "app.tenant_id"
    rls_tables: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class AuditPlan(StageModel):
    table: str  # "audit_log"
    audited_tables: list[str]
    reason: str


class JustifiedFinding(StageModel):
    """A lint finding the design keeps on purpose, and why (gates accept these)."""

    rule: str
    table: str | None = None
    column: str | None = None
    justification: str


class SchemaDesign(StageModel):
    """The physical schema: DDL that applies to PostgreSQL, and what it is made of."""

    ddl: str
    statements: list[DdlStatement] = Field(
        default_factory=list, description="The DDL split by statement (empty if only text)."
    )
    tables: list[TableSummary] = Field(default_factory=list)
    enum_types: dict[str, list[str]] = Field(default_factory=dict)
    join_tables: list[str] = Field(default_factory=list)
    tenancy: TenancyPlan | None = None
    rls_tables: list[str] = Field(default_factory=list)
    soft_delete_tables: list[str] = Field(default_factory=list)
    audit: AuditPlan | None = None
    partitioning: list[Partitioning] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    justified_findings: list[JustifiedFinding] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list, description=CLAIMS_HELP)

    def table(self, name: str) -> TableSummary | None:
        return next((t for t in self.tables if t.name == name), None)


# --- indexes ----------------------------------------------------------------------------


class IndexRecommendation(StageModel):
    ddl: str
    table: str
    columns: list[str]  # key columns or expressions, in order
    kind: str = "btree"  # btree | partial | covering | expression | gin | brin | unique | fk
    serves: list[str] = Field(default_factory=list)  # access-pattern names
    cost_before: float | None = None
    cost_after: float | None = None
    size_bytes: int | None = Field(None, description="Size at the stated volume of its table.")
    sample_size_bytes: int | None = None  # measured on the sample data
    sample_rows: int | None = None  # rows of `table` in the sample
    stated_rows: int | None = None  # rows of `table` the spec states (what size_bytes is at)
    size_method: Literal["measured", "scaled", "estimated"] | None = Field(
        None,
        description="measured: built at the stated volume; scaled: built on the sample and "
        "scaled by stated/sample rows; estimated: from key widths.",
    )
    reason: str = ""

    @property
    def size_basis(self) -> str:
        """How `size_bytes` was obtained, from the typed fields (the report prints this)."""
        if self.size_method == "scaled" and self.sample_rows and self.stated_rows:
            return (
                f"measured on {self.sample_rows:,} sample rows, scaled x"
                f"{self.stated_rows / self.sample_rows:,.4g} to {self.stated_rows:,} rows"
            )
        if self.size_method == "measured":
            rows = f" ({self.stated_rows:,} rows)" if self.stated_rows else ""
            return f"measured at the stated volume{rows}"
        if self.size_method == "estimated":
            return "estimated from key widths"
        return "how it was obtained is not stated"


class RejectedIndex(StageModel):
    ddl: str
    reason: str  # "no pattern got cheaper", "redundant with ...", "over budget"


class IndexPlan(StageModel):
    indexes: list[IndexRecommendation] = Field(default_factory=list)
    rejected: list[RejectedIndex] = Field(default_factory=list)
    budget_bytes: int | None = None  # at the stated volume, like each index's size_bytes
    sampling_note: str | None = None  # how the sample data relates to the stated volumes
    notes: list[str] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list, description=CLAIMS_HELP)

    @property
    def ddl(self) -> str:
        return "\n".join(i.ddl.rstrip(";") + ";" for i in self.indexes)


# --- scaling ----------------------------------------------------------------------------


class TableSize(StageModel):
    table: str
    rows_now: int
    rows_12m: int
    rows_36m: int
    row_bytes: int | None = None
    bytes_now: int | None = None
    bytes_12m: int | None = None
    bytes_36m: int | None = None


class PartitionPlan(StageModel):
    table: str
    column: str
    interval: str
    retention: str | None = None
    mechanism: str = ""  # "pg_partman", "scheduled manage_partitions()", ...


class ReplicaPlan(StageModel):
    read_replicas: int = 0
    synchronous: bool = False
    reason: str = ""


class PoolingPlan(StageModel):
    pooler: str = "PgBouncer"
    mode: str = "transaction"
    pool_size: int | None = None
    max_client_connections: int | None = None
    reason: str = ""


class CachingPlan(StageModel):
    target: str  # what is cached (a pattern or table)
    layer: str  # "Redis cache-aside", "materialized view", ...
    ttl_seconds: int | None = None
    invalidation: str = ""
    reason: str = ""
    ddl: str | None = None  # the view or summary table it needs, when the layer is SQL
    caveat: str | None = None  # what the layer does not do (a materialized view ignores RLS)


class ReadService(StageModel):
    """Whether PostgreSQL serves one read pattern at its stated rate and latency, and how."""

    pattern: str
    per_second: float
    cost: float  # planner cost at the stated volume
    cost_source: Literal["planned", "assumed"]  # from the index gate's plan, or a lookup
    ms_per_call: float  # estimated time one call takes on the database
    latency_ms: float | None = None  # the stated target
    served_by: str  # "primary", "primary and replicas", "cache", "materialized view", ...
    reason: str


class RegionPlan(StageModel):
    """Where the stated regions put the primary, the replicas and each pattern."""

    primary: str
    replicas: list[str] = Field(default_factory=list)  # other regions with a read replica
    local_reads: list[str] = Field(default_factory=list)  # patterns read in the user's region
    primary_reads: list[str] = Field(default_factory=list)  # patterns that read the primary
    write_path: str = ""
    write_round_trip_ms: float | None = None  # added to a write from another region
    distributed_when: str = ""
    reason: str = ""


class ShardingPlan(StageModel):
    needed: bool = False
    key: str | None = None
    approach: str | None = None  # "Citus distributed tables by company_id"
    trigger: str = ""  # when it becomes necessary
    reason: str = ""


class BackupPlan(StageModel):
    method: str  # "pgBackRest full weekly + WAL archiving"
    rpo: str | None = None
    rto: str | None = None
    point_in_time_recovery: bool = True
    retention: str | None = None
    reason: str = ""


class ScalingPlan(StageModel):
    sizes: list[TableSize] = Field(default_factory=list)
    partitioning: list[PartitionPlan] = Field(default_factory=list)
    replicas: ReplicaPlan = Field(default_factory=ReplicaPlan)
    pooling: PoolingPlan = Field(default_factory=PoolingPlan)
    caching: list[CachingPlan] = Field(default_factory=list)
    reads: list[ReadService] = Field(default_factory=list)
    regions: RegionPlan | None = None
    sharding: ShardingPlan = Field(default_factory=ShardingPlan)
    backup: BackupPlan | None = None
    security: list[str] = Field(default_factory=list)
    monitoring: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list, description=CLAIMS_HELP)


# --- ADRs -------------------------------------------------------------------------------


class AdrOption(StageModel):
    name: str
    pros: list[str] = Field(default_factory=list)
    cons: list[str] = Field(default_factory=list)


class Adr(StageModel):
    """An architecture decision record in the MADR shape."""

    number: int = Field(ge=1)
    title: str
    status: Literal["proposed", "accepted", "rejected", "deprecated", "superseded"] = "accepted"
    date: str | None = None  # ISO date
    context: str
    options: list[AdrOption] = Field(default_factory=list)
    decision: str
    consequences: list[str] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list, description=CLAIMS_HELP)

    @property
    def filename(self) -> str:
        """`0001-use-postgresql-as-the-primary-store.md`."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:60].rstrip("-")
        return f"{self.number:04d}-{slug or 'decision'}.md"


class AdrSet(StageModel):
    """The ADR stage's output as one model (for structured model output)."""

    adrs: list[Adr] = Field(default_factory=list)


# --- optimize (an existing schema and its workload) -------------------------------------


class LintItem(StageModel):
    """A lint finding on the current schema, as the review tools report it."""

    rule: str
    severity: Severity
    message: str
    table: str | None = None
    column: str | None = None
    fix: str | None = None


class QueryFinding(StageModel):
    """What makes one workload query slow: a plan finding (`seq-scan-on-large-table`, ...)."""

    rule: str
    severity: Severity
    message: str
    relation: str | None = None
    column: str | None = None


class QueryReport(StageModel):
    """One workload query as it plans on the current schema at the stated volumes."""

    query: str  # the workload query's (or access pattern's) name
    sql: str
    cost: float | None = None  # planner cost before any advice
    cost_after: float | None = None  # with the advised indexes (and its rewrite, if any)
    scans: list[str] = Field(default_factory=list)  # "Seq Scan on customer"
    error: str | None = None  # why it did not plan
    findings: list[QueryFinding] = Field(default_factory=list)


REWRITTEN = " (rewritten)"  # names a rewritten query's final text in plans and index reasons
RewriteProblem = Literal[
    "select-star", "offset-pagination", "function-on-indexed-column", "missing-join-index"
]


class QueryRewrite(StageModel):
    """A query rewritten to avoid a plan finding; it must plan and return the same columns."""

    query: str  # the workload query's name
    problem: RewriteProblem
    original: str
    rewritten: str  # equals `original` when the fix is an index alone
    why: str
    index_ddl: str | None = Field(
        None, description="An index the rewrite relies on (also listed in the index plan)."
    )
    cost_before: float | None = None
    cost_after: float | None = None


class OptimizationReport(StageModel):
    """The optimize stage's output: findings, rewrites and indexes for an existing schema."""

    lint: list[LintItem] = Field(default_factory=list)
    queries: list[QueryReport] = Field(default_factory=list)
    rewrites: list[QueryRewrite] = Field(default_factory=list)
    indexes: IndexPlan = Field(default_factory=IndexPlan)
    notes: list[str] = Field(default_factory=list)


# --- migrate (current schema -> target schema) ------------------------------------------

ChangeObject = Literal[
    "table", "column", "type", "constraint", "index", "function", "trigger", "policy", "view",
    "other",
]  # fmt: skip
Phase = Literal["expand", "backfill", "contract"]


class SchemaChange(StageModel):
    """One difference between the current and the target schema."""

    object: ChangeObject
    change: Literal["added", "dropped", "changed", "renamed"]
    name: str  # "tasks", "tasks.status", "task_status", "tasks_project_id_idx"
    detail: str = ""  # "text -> task_status", "NOT NULL added"


class AcceptedLint(StageModel):
    """A squawk rule a step triggers on purpose (dropping a column in the contract phase)."""

    rule: str  # squawk rule name, e.g. "ban-drop-column"
    reason: str


class MigrationStep(StageModel):
    """One online step with its rollback: applied in order, undone newest first."""

    name: str  # snake_case, unique in the plan: "add_column_tasks_due_at"
    phase: Phase
    up: str  # SQL statements, `;`-terminated, without BEGIN/COMMIT or SET timeouts
    down: str  # the statements that undo `up` (never empty: a comment says why if no SQL)
    transactional: bool = Field(
        True, description="False for CREATE INDEX CONCURRENTLY and batched backfills."
    )
    lock: str  # the strongest lock taken and for how long: "ACCESS EXCLUSIVE (brief)"
    risk: Literal["low", "medium", "high"] = "low"
    online: bool = True  # safe while the application keeps serving traffic
    why: str
    accepted_lint: list[AcceptedLint] = Field(default_factory=list)
    on_purpose: bool = Field(
        False,
        description="Destroys data: refuses to run unless the session allows data loss, so "
        "a runner applying every file stops before it.",
    )
    rollback_loses: str | None = Field(
        None, description="What the down file cannot bring back once this step ran."
    )


class MigrationPlan(StageModel):
    """Zero-downtime steps from the current to the target schema: expand, backfill, contract."""

    changes: list[SchemaChange] = Field(default_factory=list)
    steps: list[MigrationStep] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)

    def phase(self, phase: Phase) -> list[MigrationStep]:
        return [s for s in self.steps if s.phase == phase]
