"""The rules brain: the deterministic architect, one plain function per stage.

It needs no network and no key, gives the same package for the same spec, and is the
baseline every eval compares the model against.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date

from agent.brains.rules.adr import write_adrs
from agent.brains.rules.indexes import plan_indexes
from agent.brains.rules.migrate import plan_migration
from agent.brains.rules.optimize import optimize_schema
from agent.brains.rules.scaling import plan_scaling
from agent.brains.rules.schema import compile_schema
from agent.brains.rules.technology import decide_technology
from agent.config import Settings
from agent.package import PatternPlan
from agent.spec import Requirements
from agent.stages import (
    Adr,
    GateFinding,
    IndexPlan,
    MigrationPlan,
    OptimizationReport,
    ScalingPlan,
    SchemaDesign,
    TechnologyDecision,
)
from tools.errors import InputError
from tools.sql.server import PgServer, resolve_server


class RulesBrain:
    name = "rules"

    def __init__(self, settings: Settings, today: date | None = None) -> None:
        self.settings = settings
        self.today = today
        self._pg: PgServer | None = None

    def pg(self) -> PgServer:
        if self._pg is None:
            self._pg = resolve_server(self.settings.database_url, self.settings.pg_data_dir)
        return self._pg

    async def requirements(self, request: str | Requirements) -> Requirements:
        if isinstance(request, Requirements):
            return request
        raise InputError(
            "the rules brain reads requirements specs (YAML/JSON, see `dbarch spec schema`), "
            "not free text; use --brain anthropic with a model for free text"
        )

    async def technology(
        self, spec: Requirements, findings: Sequence[GateFinding] = ()
    ) -> TechnologyDecision:
        return decide_technology(spec)

    async def schema(
        self, spec: Requirements, tech: TechnologyDecision, findings: Sequence[GateFinding] = ()
    ) -> SchemaDesign:
        return compile_schema(spec, tech, self.today)

    async def indexes(
        self, spec: Requirements, schema: SchemaDesign, findings: Sequence[GateFinding] = ()
    ) -> IndexPlan:
        cap = self.settings.sample_row_cap  # the server is resolved in the thread, too
        return await asyncio.to_thread(lambda: plan_indexes(spec, schema, self.pg(), cap, findings))

    async def scaling(
        self,
        spec: Requirements,
        tech: TechnologyDecision,
        schema: SchemaDesign,
        indexes: IndexPlan,
        findings: Sequence[GateFinding] = (),
        plans: Sequence[PatternPlan] = (),
    ) -> ScalingPlan:
        return plan_scaling(spec, tech, schema, indexes, plans)

    async def adrs(
        self,
        spec: Requirements,
        tech: TechnologyDecision,
        schema: SchemaDesign,
        indexes: IndexPlan,
        scaling: ScalingPlan,
        findings: Sequence[GateFinding] = (),
    ) -> list[Adr]:
        day = self.today.isoformat() if self.today else None
        return write_adrs(spec, tech, schema, indexes, scaling, date=day)

    async def optimize(
        self, spec: Requirements, current: SchemaDesign, findings: Sequence[GateFinding] = ()
    ) -> OptimizationReport:
        cap = self.settings.sample_row_cap
        return await asyncio.to_thread(
            lambda: optimize_schema(spec, current, self.pg(), cap, findings)
        )

    async def migrate(
        self,
        spec: Requirements,
        current: SchemaDesign,
        target: SchemaDesign,
        findings: Sequence[GateFinding] = (),
    ) -> MigrationPlan:
        return plan_migration(current.ddl, target.ddl)
