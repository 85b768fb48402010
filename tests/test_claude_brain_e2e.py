"""The whole design graph driven by the Claude brain over real HTTP: the official SDK against
the scripted Anthropic-compatible server, real SQL tools, real gates on real PostgreSQL.

One scenario runs once per module (free text, an interrupt, its answers, a failed gate and
its repair); each test reads one part of what happened.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from claude_architect import (
    REQUEST,
    STAGES,
    TENANCY_QUESTION,
    Architect,
    requests_of,
    text_of,
    tool_results,
)

from agent.brains.factory import make_brain
from agent.config import Settings
from agent.context import RunContext
from agent.engine import RunOutcome, run_design
from agent.events import Event
from agent.llm.scripted.server import ScriptedAnthropicServer
from agent.package import DesignPackage
from agent.personas import default_library
from agent.report import render_report
from agent.state import DesignRequest
from tools.sql.server import PgServer

pytestmark = pytest.mark.timeout(180)

ANSWERS = {"entities[2].growth_per_month": "40000", "tenancy": "shared-schema"}


@dataclass
class Scenario:
    server: ScriptedAnthropicServer
    asked: RunOutcome
    done: RunOutcome
    events: list[Event]

    @property
    def package(self) -> DesignPackage:
        assert self.done.status == "done", self.done.message
        assert self.done.package is not None
        return self.done.package


async def _design(settings: Settings, events: list[Event]) -> tuple[RunOutcome, RunOutcome]:
    ctx = RunContext(brain=make_brain("anthropic", settings), settings=settings, sink=events.append)
    asked = await run_design(DesignRequest(text=REQUEST, interactive=True), ctx)
    done = await run_design(None, ctx, thread_id=asked.thread_id, answers=ANSWERS)
    return asked, done


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, pg: PgServer) -> Iterator[Scenario]:
    home = tmp_path_factory.mktemp("claude-home")
    events: list[Event] = []
    with pytest.MonkeyPatch.context() as env, ScriptedAnthropicServer(Architect()) as server:
        env.delenv("ANTHROPIC_API_KEY", raising=False)
        env.setenv("ANTHROPIC_BASE_URL", server.base_url)
        settings = Settings(home=home, sample_row_cap=10_000)
        asked, done = asyncio.run(_design(settings, events))
    yield Scenario(server, asked, done, events)


def test_every_request_was_answered(scenario: Scenario) -> None:
    assert [x.status for x in scenario.server.exchanges] == [200] * len(scenario.server.exchanges)
    assert scenario.done.status == "done", scenario.done.message
    assert scenario.package.brain == "anthropic"


def test_the_spec_and_the_models_questions_share_one_interrupt(scenario: Scenario) -> None:
    asked = scenario.asked
    assert asked.status == "interrupted"
    assert [(q["path"], q["topic"]) for q in asked.questions] == [
        ("entities[2].growth_per_month", "volumes"),
        ("tenancy", "clarification"),
    ]
    assert asked.questions[1]["message"] == TENANCY_QUESTION["question"]
    spec = scenario.package.spec
    assert spec is not None and spec.tenancy == "shared-schema"
    order = spec.entity("order")
    assert order is not None and order.growth_per_month == 40_000  # the answer was applied
    assert "Assumed: one currency" in spec.notes


def test_a_misspelt_spec_is_repaired_and_asked_for_once(scenario: Scenario) -> None:
    # Two requests: the refusal and the repair; the resumed node did not ask again.
    first, second = requests_of(scenario.server, "requirements")
    assert REQUEST.strip() in text_of(first.body["messages"][0]["content"])
    (refusal,) = tool_results(second.body["messages"]).values()
    assert refusal["is_error"] and "unknown key 'row'" in text_of(refusal["content"])


def test_each_stage_speaks_with_its_persona_as_cached_system_prompt(scenario: Scenario) -> None:
    library = default_library()
    for stage in STAGES.values():
        for exchange in requests_of(scenario.server, stage):
            (system,) = exchange.body["system"]
            assert system["text"] == library.persona_for_stage(stage).body
            assert system["cache_control"] == {"type": "ephemeral"}
            tools = {t["name"] for t in exchange.body["tools"]}
            assert not tools & {"Read", "Write", "Bash", "Grep", "Glob"}


def test_the_sql_and_draft_tools_ran_for_real(scenario: Scenario) -> None:
    schema_requests = requests_of(scenario.server, "schema")
    checked = tool_results(schema_requests[2].body["messages"])["validate_ddl"]
    validation = json.loads(text_of(checked["content"]))
    assert validation["valid"] is True and {"orders", "customers"} <= set(validation["tables"])
    index_results = tool_results(requests_of(scenario.server, "indexes")[1].body["messages"])
    plans = json.loads(text_of(index_results["explain_queries"]["content"]))
    assert [p["name"] for p in plans["plans"]] == [
        "open orders of a customer",
        "recent orders of a store",
        "customer by email",
    ]
    assert plans["failed"] == []
    draft = json.loads(text_of(index_results["draft_indexes"]["content"]))
    assert draft["indexes"] and all(i["ddl"].startswith("CREATE INDEX") for i in draft["indexes"])


def test_a_failed_gate_sends_its_findings_back_and_the_repair_passes(scenario: Scenario) -> None:
    pkg = scenario.package
    lint = next(c for c in pkg.checks if c.gate == "lint_clean" and c.attempt == 1)
    assert not lint.passed and "float-for-money" in lint.findings[0]
    retry = requests_of(scenario.server, "schema")[-1]
    prompt = text_of(retry.body["messages"][0]["content"])
    assert "- [lint_clean] float-for-money: orders: money column 'total'" in prompt
    assert "(table orders.total, line " in prompt
    assert "None: this is the first attempt." not in prompt
    assert pkg.schema_design is not None and "total numeric(19,4)" in pkg.schema_design.ddl
    assert any(e.kind == "retry" and e.stage == "schema" for e in scenario.events)


def test_a_false_claim_from_the_model_fails_the_claims_gate_then_is_repaired(
    scenario: Scenario,
) -> None:
    pkg = scenario.package
    first = next(c for c in pkg.checks if c.gate == "claims_hold" and c.stage == "adr")
    assert first.attempt == 1 and not first.passed
    assert first.findings[0].startswith('false count claim "The package builds 99 tables."')
    assert "the catalog says 3 tables" in first.findings[0]
    retry = requests_of(scenario.server, "adr")[-1]
    assert "[claims_hold] false count claim" in text_of(retry.body["messages"][0]["content"])
    assert not any(c.kind == "count" and c.value == 99 for a in pkg.adrs for c in a.claims)


def test_every_gate_passes_on_each_stages_final_attempt(scenario: Scenario) -> None:
    pkg = scenario.package
    finals = {s: max(c.attempt for c in pkg.checks if c.stage == s) for s in STAGES.values()}
    assert finals == {s: 2 if s in ("schema", "adr") else 1 for s in STAGES.values()}
    last = [c for c in pkg.checks if c.attempt == finals[c.stage]]
    assert {c.gate for c in last} >= {
        "spec_consistent", "technology_decided", "ddl_applies", "lint_clean",
        "naming_contract", "patterns_plan", "index_ddl_applies", "patterns_indexed",
        "indexes_pay_off", "scaling_consistent", "adrs_complete", "claims_hold",
    }  # fmt: skip
    assert all(c.passed for c in last), [c for c in last if not c.passed]
    assert pkg.indexes is not None and pkg.indexes.indexes and len(pkg.adrs) >= 4


def test_usage_of_every_exchange_is_summed_into_the_package(scenario: Scenario) -> None:
    exchanges = [x for x in scenario.server.exchanges if x.usage]
    usage = scenario.package.usage
    assert usage.input_tokens == sum(x.usage["input_tokens"] for x in exchanges if x.usage)
    assert usage.output_tokens == sum(x.usage["output_tokens"] for x in exchanges if x.usage)
    assert usage.cost_usd > 0
    assert "brain `anthropic`" in render_report(scenario.package)
