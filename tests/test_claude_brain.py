"""The Claude brain's stage calls on a scripted model: what each request carries, how the
structured answer is validated and repaired, free text to spec, questions, usage, errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import FIXTURES

from agent.brains.anthropic.brain import ClaudeBrain
from agent.brains.anthropic.spec_draft import SpecDraft
from agent.brains.anthropic.stage_call import StageBudgetExceeded
from agent.brains.factory import make_brain
from agent.brains.protocol import Brain
from agent.brains.questions import with_brain_questions
from agent.brains.rules.technology import decide_technology
from agent.cli import exits
from agent.config import Settings
from agent.context import RunContext
from agent.llm import ModelCallFailed, ModelRequest, Reply, ScriptedModel, StructuredOutputError
from agent.personas import default_library
from agent.spec import load_spec, missing_information
from agent.stages import (
    AdrSet,
    GateFinding,
    IndexPlan,
    MigrationPlan,
    OptimizationReport,
    ScalingPlan,
    SchemaDesign,
    TableSummary,
    TechnologyDecision,
)
from tools.errors import BudgetExceeded
from tools.sql.server import PgServer

pytestmark = pytest.mark.timeout(60)

SPEC = load_spec(FIXTURES / "claude" / "shop_spec.yaml")
REQUEST = (FIXTURES / "claude" / "request.txt").read_text()
LIB = default_library()
SQL_TOOLS = {"validate_ddl", "lint_schema", "explain_queries", "advise_indexes", "render_erd"}
R = TypeVar("R")


def _run(coro: Coroutine[Any, Any, R]) -> R:
    return asyncio.run(coro)


def _brain(tmp_path: Path, model: ScriptedModel, **settings: Any) -> ClaudeBrain:
    return ClaudeBrain(Settings(home=tmp_path, **settings), model=model)


def _prompt(request: ModelRequest) -> str:
    content = request.messages[0]["content"]
    assert isinstance(content, str)
    return content


def _results(request: ModelRequest) -> list[dict[str, Any]]:
    last = request.messages[-1]
    content = last["content"] if last["role"] == "user" else []
    return [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]


def _draft_then_submit(stage: str, submit: str) -> Any:
    """Ask for the rules draft, then submit it unchanged: the model agrees with the baseline."""

    def respond(request: ModelRequest) -> Reply:
        results = _results(request)
        if not results:
            return Reply.tool((f"draft_{stage}", {}))
        return Reply.tool((submit, json.loads(results[0]["content"])))

    return respond


def test_technology_request_carries_persona_prompt_draft_and_tools(tmp_path: Path) -> None:
    model = ScriptedModel(_draft_then_submit("technology", "submit_technology_decision"))
    decision = _run(_brain(tmp_path, model).technology(SPEC))

    baseline = decide_technology(SPEC)
    assert decision == baseline
    first = model.requests[0]
    assert first.system == LIB.persona("greenfield-architect").body
    prompt = _prompt(first)
    assert prompt.startswith("Choose the database technology for this system.")
    assert "name: store-orders" in prompt and "rows: 1200000" in prompt  # the spec, as YAML
    assert baseline.rationale in prompt  # the draft, as JSON
    assert "None: this is the first attempt." in prompt
    names = {t["name"] for t in first.tools}
    assert names == SQL_TOOLS | {"draft_technology", "submit_technology_decision"}
    submit = next(t for t in first.tools if t["name"] == "submit_technology_decision")
    assert submit["input_schema"]["required"] == ["primary", "rationale"]
    # The draft tool answered with the same baseline the prompt showed.
    assert TechnologyDecision.model_validate_json(_results(model.requests[1])[0]["content"]) == (
        baseline
    )


def test_a_submission_that_breaks_the_model_is_sent_back_and_repaired(tmp_path: Path) -> None:
    good = decide_technology(SPEC).model_dump(mode="json")
    broken = {k: v for k, v in good.items() if k != "rationale"} | {"confidence": "high"}
    model = ScriptedModel(
        [
            Reply.tool(("submit_technology_decision", broken)),
            Reply.tool(("submit_technology_decision", good)),
        ]
    )
    decision = _run(_brain(tmp_path, model).technology(SPEC))

    assert decision.rationale == good["rationale"]
    (problem,) = _results(model.requests[1])
    assert problem["is_error"] is True
    assert "rationale" in problem["content"] and "confidence" in problem["content"]


def test_repairs_are_bounded(tmp_path: Path) -> None:
    broken = Reply.tool(("submit_technology_decision", {"rationale": "no primary"}))
    model = ScriptedModel([broken, broken, broken])
    with pytest.raises(StructuredOutputError, match="submit_technology_decision"):
        _run(_brain(tmp_path, model).technology(SPEC))
    assert len(model.requests) == 3


def test_schema_retry_prompt_carries_the_gate_findings(tmp_path: Path) -> None:
    model = ScriptedModel(_draft_then_submit("schema", "submit_schema_design"))
    finding = GateFinding(
        gate="lint_clean",
        rule="float-for-money",
        table="orders",
        column="total",
        message="float-for-money: money column 'total' is double precision",
    )
    design = _run(_brain(tmp_path, model).schema(SPEC, decide_technology(SPEC), [finding]))

    assert "CREATE TABLE orders" in design.ddl and "numeric(19,4)" in design.ddl
    prompt = _prompt(model.requests[0])
    assert "- [lint_clean] float-for-money: money column 'total' is double precision" in prompt
    assert "(table orders.total)" in prompt
    assert model.requests[0].system == LIB.persona("architect").body
    assert "CREATE TABLE orders" in prompt  # the draft DDL in the prompt


def test_each_stage_prompt_names_the_model_the_brain_validates() -> None:
    outputs = {
        "requirements": SpecDraft,
        "technology": TechnologyDecision,
        "schema": SchemaDesign,
        "indexes": IndexPlan,
        "scaling": ScalingPlan,
        "adr": AdrSet,
        "optimize": OptimizationReport,
        "migrate": MigrationPlan,
    }
    for stage, model in outputs.items():
        declared = LIB.stage(stage).output
        assert declared == ("Requirements" if model is SpecDraft else model.__name__)
        assert "findings" in LIB.stage(stage).inputs or stage == "requirements"


def _spec_data(**changes: Any) -> dict[str, Any]:
    data = SPEC.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    return data | changes


def test_free_text_becomes_a_validated_spec_with_the_models_questions(tmp_path: Path) -> None:
    bad = _spec_data(consistancy="strong")
    question = {
        "path": "tenancy",
        "question": "Must each store see only its own rows?",
        "assumed": "shared-schema",
    }
    good = {"spec": _spec_data(), "questions": [question], "assumptions": ["EUR prices"]}
    model = ScriptedModel(
        [Reply.tool(("submit_spec_draft", {"spec": bad})), Reply.tool(("submit_spec_draft", good))]
    )
    brain = _brain(tmp_path, model)
    spec = _run(brain.requirements(REQUEST))

    assert spec.name == "store-orders" and spec.notes == ["Assumed: EUR prices"]
    assert REQUEST.strip() in _prompt(model.requests[0])
    (problem,) = _results(model.requests[1])
    assert problem["is_error"] and "unknown key 'consistancy'" in problem["content"]
    assert "did you mean 'consistency'" in problem["content"]
    # One interrupt: the spec's own open points first, then the model's question.
    asked = [q for q in missing_information(spec) if q.kind == "question"]
    merged = with_brain_questions(brain, spec, asked)
    assert [q.path for q in merged] == ["entities[2].growth_per_month", "tenancy"]
    assert merged[1].message == question["question"] and merged[1].assumed == "shared-schema"
    # A resumed requirements node asks again: same text, same spec, no second model call.
    assert _run(brain.requirements(REQUEST)) is spec
    assert len(model.requests) == 2
    assert brain.clarifying_questions(SPEC) == []  # a spec the model did not write


def test_a_question_about_no_spec_key_is_sent_back(tmp_path: Path) -> None:
    stray = {"path": "entities[7].rows", "question": "How many warehouses?"}
    fixed = {"path": "entities[1].rows", "question": "How many customers in a year?"}
    model = ScriptedModel(
        [
            Reply.tool(("submit_spec_draft", {"spec": _spec_data(), "questions": [stray]})),
            Reply.tool(("submit_spec_draft", {"spec": _spec_data(), "questions": [fixed]})),
        ]
    )
    brain = _brain(tmp_path, model)
    spec = _run(brain.requirements(REQUEST))
    assert "entities[7].rows" in _results(model.requests[1])[0]["content"]
    assert [q.path for q in brain.clarifying_questions(spec)] == ["entities[1].rows"]


def test_usage_of_every_call_is_metered_and_reaches_the_run(tmp_path: Path) -> None:
    model = ScriptedModel(_draft_then_submit("technology", "submit_technology_decision"))
    brain = _brain(tmp_path, model)
    _run(brain.technology(SPEC))

    spent = brain.usage
    assert spent.input_tokens == model.ledger.total.input_tokens > 0
    assert spent.output_tokens == model.ledger.total.output_tokens > 0
    assert spent.cost_usd == pytest.approx(model.ledger.total.cost_usd) and spent.cost_usd > 0
    assert RunContext(brain=brain, settings=brain.settings).usage() == spent


def test_a_spent_budget_names_the_stage_and_exits_3(tmp_path: Path) -> None:
    model = ScriptedModel([Reply.tool(("draft_technology", {}))] * 3)
    brain = _brain(tmp_path, model, stage_max_turns=2)
    with pytest.raises(StageBudgetExceeded, match="stage 'technology': turns budget") as caught:
        _run(brain.technology(SPEC))
    assert isinstance(caught.value, BudgetExceeded)
    assert exits.code_for(caught.value) == exits.INFRA
    assert brain.usage.output_tokens > 0  # the calls made before the limit still count


def test_a_failed_model_call_propagates_as_infrastructure(tmp_path: Path) -> None:
    model = ScriptedModel([Reply.error(400, error_message="bad request")])
    with pytest.raises(ModelCallFailed) as caught:
        _run(_brain(tmp_path, model).technology(SPEC))
    assert exits.code_for(caught.value) == exits.INFRA


def test_the_factory_builds_it_for_a_compatible_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg: PgServer
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    brain = make_brain("anthropic", Settings(home=tmp_path))
    assert isinstance(brain, ClaudeBrain) and isinstance(brain, Brain)
    assert brain.name == "anthropic"


CURRENT_DDL = """
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id),
                     total numeric(19,4) NOT NULL, placed_at timestamptz NOT NULL);
"""


def _current(ddl: str = CURRENT_DDL) -> SchemaDesign:
    tables = [
        TableSummary(name="customers", estimated_rows=20_000),
        TableSummary(name="orders", estimated_rows=1_200_000),
    ]
    return SchemaDesign(ddl=ddl, tables=tables)


def _submit_empty(submit: str) -> Any:
    def respond(request: ModelRequest) -> Reply:
        return Reply.tool((submit, {}))

    return respond


def test_optimize_reads_the_current_schema_workload_and_volumes(tmp_path: Path) -> None:
    model = ScriptedModel(_submit_empty("submit_optimization_report"))
    report = _run(_brain(tmp_path, model).optimize(SPEC, _current()))

    assert report == OptimizationReport()
    (request,) = model.requests
    prompt = _prompt(request)
    assert prompt.startswith("Optimise this workload on the existing schema.")
    assert "total numeric(19,4) NOT NULL" in prompt
    assert "-- name: open orders of a customer\nSELECT id, total, status FROM orders" in prompt
    assert '"orders": 1200000' in prompt and '"customers": 20000' in prompt
    names = {t["name"] for t in request.tools}
    assert {"explain_queries", "advise_indexes", "draft_optimize"} <= names
    assert request.system == LIB.persona("architect").body


def test_migrate_reads_current_target_and_sizes(tmp_path: Path) -> None:
    model = ScriptedModel(_submit_empty("submit_migration_plan"))
    target = _current(CURRENT_DDL + "ALTER TABLE orders ADD COLUMN status text;")
    finding = GateFinding(gate="migration_reaches_target", message="orders.status is missing")
    plan = _run(_brain(tmp_path, model).migrate(SPEC, _current(), target, [finding]))

    assert plan == MigrationPlan()
    prompt = _prompt(model.requests[0])
    assert prompt.startswith("Plan the migration from the current schema to the target.")
    assert "ADD COLUMN status text" in prompt.split("## Target", 1)[1]
    assert "- orders: 1,200,000 rows" in prompt
    assert "- [migration_reaches_target] orders.status is missing" in prompt
    assert "draft_migrate" in {t["name"] for t in model.requests[0].tools}
