"""`ClaudeBrain`: every design stage written by the model, under the same contract and gates.

Each stage is one tool loop (see `stage_call`): the persona as system prompt, the stage
prompt with the spec, the earlier outputs, the rules engine's draft and the gate's findings;
the SQL tools and `draft_<stage>` as tools; the stage's pydantic model as the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

from pydantic import BaseModel

from agent.brains.anthropic.draft import drafted
from agent.brains.anthropic.modes import migrate_values, optimize_values
from agent.brains.anthropic.render import (
    NOTHING,
    as_json,
    findings_text,
    rows_json,
    schema_summary,
    spec_yaml,
    workload_text,
)
from agent.brains.anthropic.spec_draft import SpecDraft
from agent.brains.anthropic.stage_call import StageRequest, StageSetup, UsageMeter, run_stage
from agent.brains.rules.brain import RulesBrain
from agent.config import Settings
from agent.llm.budget import Budget
from agent.llm.events import EventSink
from agent.llm.messages import ChatModel
from agent.package import PatternPlan
from agent.package import Usage as PackageUsage
from agent.personas import PromptLibrary, default_library
from agent.spec import Question, Requirements
from agent.stages import (
    Adr,
    AdrSet,
    GateFinding,
    IndexPlan,
    MigrationPlan,
    OptimizationReport,
    ScalingPlan,
    SchemaDesign,
    TechnologyDecision,
)

T = TypeVar("T", bound=BaseModel)


class ClaudeBrain:
    """The anthropic brain; `model` stands in for the API client in tests (a ScriptedModel)."""

    name = "anthropic"

    def __init__(
        self,
        settings: Settings,
        *,
        model: ChatModel | None = None,
        library: PromptLibrary | None = None,
        rules: RulesBrain | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        self.settings = settings
        self.rules = rules or RulesBrain(settings)
        self.library = library or default_library()
        self.meter = UsageMeter(forward=on_event)
        self._model = model
        self._setup: StageSetup | None = None
        # A resumed requirements node asks again; the same text gets the same spec.
        self._specs: dict[str, Requirements] = {}
        self._asked: dict[str, list[Question]] = {}

    @property
    def usage(self) -> PackageUsage:
        """Tokens and cost of every model call so far; input counts cached input too."""
        total = self.meter.total
        return PackageUsage(
            input_tokens=total.total_tokens - total.output_tokens,
            output_tokens=total.output_tokens,
            cost_usd=total.cost_usd,
        )

    async def requirements(self, request: str | Requirements) -> Requirements:
        if isinstance(request, Requirements):
            return request
        if request not in self._specs:
            values = {"request": request, "known_spec": NOTHING}
            answer = await self._run(StageRequest("requirements", values, SpecDraft))
            spec = answer.spec_with_assumptions()
            self._specs[request] = spec
            self._asked[_key(spec)] = answer.open_questions()
        return self._specs[request]

    def clarifying_questions(self, spec: Requirements) -> list[Question]:
        """The questions the model asked while it wrote this very spec."""
        return list(self._asked.get(_key(spec), []))

    async def technology(
        self, spec: Requirements, findings: Sequence[GateFinding] = ()
    ) -> TechnologyDecision:
        draft = await drafted("technology", self.rules.technology(spec, findings))
        values = {"spec": spec_yaml(spec), "findings": findings_text(findings)}
        return await self._run(StageRequest("technology", values, TechnologyDecision, draft))

    async def schema(
        self, spec: Requirements, tech: TechnologyDecision, findings: Sequence[GateFinding] = ()
    ) -> SchemaDesign:
        draft = await drafted("schema", self.rules.schema(spec, tech, findings))
        values = {
            "spec": spec_yaml(spec),
            "technology": as_json(tech),
            "findings": findings_text(findings),
        }
        return await self._run(StageRequest("schema", values, SchemaDesign, draft))

    async def indexes(
        self, spec: Requirements, schema: SchemaDesign, findings: Sequence[GateFinding] = ()
    ) -> IndexPlan:
        draft = await drafted("indexes", self.rules.indexes(spec, schema, findings))
        values = {
            "spec": spec_yaml(spec),
            "schema_sql": schema.ddl,
            "workload": workload_text(spec),
            "rows": rows_json(spec),
            "findings": findings_text(findings),
        }
        return await self._run(StageRequest("indexes", values, IndexPlan, draft))

    async def scaling(
        self,
        spec: Requirements,
        tech: TechnologyDecision,
        schema: SchemaDesign,
        indexes: IndexPlan,
        findings: Sequence[GateFinding] = (),
        plans: Sequence[PatternPlan] = (),
    ) -> ScalingPlan:
        work = self.rules.scaling(spec, tech, schema, indexes, findings, plans)
        values = {
            "spec": spec_yaml(spec),
            "schema_sql": schema.ddl,
            "indexes": as_json(indexes),
            "findings": findings_text(findings),
        }
        draft = await drafted("scaling", work)
        return await self._run(StageRequest("scaling", values, ScalingPlan, draft))

    async def adrs(
        self,
        spec: Requirements,
        tech: TechnologyDecision,
        schema: SchemaDesign,
        indexes: IndexPlan,
        scaling: ScalingPlan,
        findings: Sequence[GateFinding] = (),
    ) -> list[Adr]:
        draft = await drafted("adr", self._rules_adrs(spec, tech, schema, indexes, scaling))
        values = {
            "spec": spec_yaml(spec),
            "technology": as_json(tech),
            "schema_summary": schema_summary(schema),
            "indexes": as_json(indexes),
            "scaling": as_json(scaling),
            "findings": findings_text(findings),
        }
        answer = await self._run(StageRequest("adr", values, AdrSet, draft))
        return answer.adrs

    async def optimize(
        self, spec: Requirements, current: SchemaDesign, findings: Sequence[GateFinding] = ()
    ) -> OptimizationReport:
        draft = await drafted("optimize", self.rules.optimize(spec, current, findings))
        values = optimize_values(spec, current, list(findings))
        return await self._run(StageRequest("optimize", values, OptimizationReport, draft))

    async def migrate(
        self,
        spec: Requirements,
        current: SchemaDesign,
        target: SchemaDesign,
        findings: Sequence[GateFinding] = (),
    ) -> MigrationPlan:
        draft = await drafted("migrate", self.rules.migrate(spec, current, target, findings))
        values = migrate_values(spec, current, target, list(findings))
        return await self._run(StageRequest("migrate", values, MigrationPlan, draft))

    async def _rules_adrs(
        self,
        spec: Requirements,
        tech: TechnologyDecision,
        schema: SchemaDesign,
        indexes: IndexPlan,
        scaling: ScalingPlan,
    ) -> AdrSet:
        return AdrSet(adrs=await self.rules.adrs(spec, tech, schema, indexes, scaling))

    async def _run(self, request: StageRequest[T]) -> T:
        async with self._chat_model() as model:
            return await run_stage(model, request, self.setup(), self.meter)

    def setup(self) -> StageSetup:
        """Built on first use: the SQL tools need the PostgreSQL server resolved."""
        if self._setup is None:
            s = self.settings
            self._setup = StageSetup(
                library=self.library,
                tools=s.tool_context(s.home, self.rules.pg()),
                budget=Budget(
                    max_turns=s.stage_max_turns,
                    max_seconds=s.stage_max_seconds,
                    max_cost_usd=s.stage_max_cost_usd,
                ),
                max_tokens=s.model_max_tokens,
            )
        return self._setup

    @asynccontextmanager
    async def _chat_model(self) -> AsyncIterator[ChatModel]:
        """The injected model, or a client for this call: an SDK client belongs to the event
        loop that made it, and the CLI runs a new loop per resume."""
        if self._model is not None:
            yield self._model
            return
        from agent.llm.client import ClientConfig, ModelClient  # the SDK import takes seconds

        async with ModelClient(ClientConfig.from_settings(self.settings)) as client:
            yield client


def _key(spec: Requirements) -> str:
    return spec.model_dump_json()
