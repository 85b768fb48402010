"""A scripted architect for the scripted Anthropic server: it reads each request (which stage
prompt, which tool results, which gate findings) and answers as the scenario needs, so the
script does not depend on the order of calls.

Its scenario: a spec misspelt once and repaired, a question of its own, the rules draft
fetched and agreed with, validate_ddl and explain_queries called for real, and a schema with
a float money column that fails the lint gate until the findings come back, and an ADR
claiming 99 tables that fails the claims gate until its findings come back.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from conftest import FIXTURES

from agent.llm import Reply
from agent.llm.scripted.server import Exchange, ScriptedAnthropicServer

REQUEST = (FIXTURES / "claude" / "request.txt").read_text()
SPEC = yaml.safe_load((FIXTURES / "claude" / "shop_spec.yaml").read_text())
STAGES = {
    "Turn the request below into a requirements spec": "requirements",
    "Choose the database technology": "technology",
    "Design the PostgreSQL schema": "schema",
    "Recommend the indexes": "indexes",
    "Plan how this design grows": "scaling",
    "Write architecture decision records": "adr",
}
SUBMIT = {
    "requirements": "submit_spec_draft",
    "technology": "submit_technology_decision",
    "schema": "submit_schema_design",
    "indexes": "submit_index_plan",
    "scaling": "submit_scaling_plan",
    "adr": "submit_adr_set",
}
TENANCY_QUESTION = {
    "path": "tenancy",
    "question": "Must each store see only its own customers and orders?",
    "assumed": "shared-schema",
}
SAMPLE_ROWS = {"stores": 10, "customers": 500, "orders": 5_000}
MONEY, FLOAT = "total numeric(19,4)", "total double precision"
FALSE_CLAIM = {"kind": "count", "object": "tables", "value": 99}


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content if b.get("type") == "text")


def stage_of(body: dict[str, Any]) -> str:
    prompt = text_of(body["messages"][0]["content"])
    return next(stage for marker, stage in STAGES.items() if prompt.startswith(marker))


def tool_results(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Tool name -> its latest result block, pairing tool_use ids with tool_result blocks."""
    names: dict[str, str] = {}
    found: dict[str, dict[str, Any]] = {}
    for message in messages:
        content = message["content"]
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_use":
                names[block["id"]] = block["name"]
            elif block.get("type") == "tool_result":
                found[names[block["tool_use_id"]]] = block
    return found


def section(prompt: str, heading: str, following: str) -> str:
    return prompt.split(f"## {heading}\n", 1)[1].split(f"\n## {following}\n", 1)[0].strip()


class Architect:
    """Answers each request the way the scenario needs; unexpected requests get a 400."""

    def __call__(self, body: dict[str, Any]) -> Reply:
        stage = stage_of(body)
        prompt = text_of(body["messages"][0]["content"])
        results = {k: text_of(v["content"]) for k, v in tool_results(body["messages"]).items()}
        return getattr(self, stage)(prompt, results)  # type: ignore[no-any-return]

    def requirements(self, prompt: str, results: dict[str, str]) -> Reply:
        if "submit_spec_draft" not in results:  # first try: a key misspelt
            customer = {**SPEC["entities"][1]}
            customer["row"] = customer.pop("rows")
            entities = [SPEC["entities"][0], customer, SPEC["entities"][2]]
            return submit("requirements", {"spec": {**SPEC, "entities": entities}})
        answer = {"spec": SPEC, "questions": [TENANCY_QUESTION], "assumptions": ["one currency"]}
        return submit("requirements", answer)

    def technology(self, prompt: str, results: dict[str, str]) -> Reply:
        return agree_with_draft("technology", results)

    def schema(self, prompt: str, results: dict[str, str]) -> Reply:
        if "draft_schema" not in results:
            return Reply.tool(("draft_schema", {}))
        draft = json.loads(results["draft_schema"])
        if "[lint_clean]" in prompt:  # the retry: the gate's findings came back; fix the type
            return submit("schema", draft)
        broken = json.loads(results["draft_schema"].replace(MONEY, FLOAT))
        if "validate_ddl" not in results:
            return Reply.tool(("validate_ddl", {"schema": broken["ddl"], "name": "schema.sql"}))
        return submit("schema", broken)  # it applies, so the model believes it is done

    def indexes(self, prompt: str, results: dict[str, str]) -> Reply:
        if "draft_indexes" not in results:
            explain = {
                "schema": section(prompt, "Schema", "Workload"),
                "workload": section(prompt, "Workload", "Rows per table"),
                "rows": SAMPLE_ROWS,
            }
            return Reply.tool(("explain_queries", explain), ("draft_indexes", {}))
        return agree_with_draft("indexes", results)

    def scaling(self, prompt: str, results: dict[str, str]) -> Reply:
        return agree_with_draft("scaling", results)

    def adr(self, prompt: str, results: dict[str, str]) -> Reply:
        if "draft_adr" not in results or "[claims_hold]" in prompt:
            return agree_with_draft("adr", results)
        answer = json.loads(results["draft_adr"])  # first try: one claim the schema belies
        answer["adrs"][0]["claims"].append(FALSE_CLAIM)
        return submit("adr", answer)


def submit(stage: str, answer: dict[str, Any]) -> Reply:
    return Reply.tool((SUBMIT[stage], answer))


def agree_with_draft(stage: str, results: dict[str, str]) -> Reply:
    name = f"draft_{stage}"
    if name not in results:
        return Reply.tool((name, {}))
    return submit(stage, json.loads(results[name]))


def requests_of(server: ScriptedAnthropicServer, stage: str) -> list[Exchange]:
    return [x for x in server.exchanges if stage_of(x.body) == stage]
