"""Each eval check on hand-built design packages: one that passes, one that fails and says why."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FIXTURES

from agent.package import DesignPackage, GateResult, PatternPlan
from agent.spec import load_spec
from agent.stages import (
    Adr,
    AdrOption,
    Alternative,
    IndexPlan,
    IndexRecommendation,
    JustifiedFinding,
    SchemaDesign,
    StoreChoice,
    TechnologyDecision,
)
from evals.checks import CHECKS, grade, known_checks
from evals.registry import Expectation
from tools.erd import render_erd
from tools.sql.parse import parse_schema
from tools.sql.server import PgServer

HERE = FIXTURES / "evals"
GOOD_DDL = (HERE / "good.sql").read_text()
BAD_DDL = (HERE / "bad.sql").read_text()

INDEXES = [
    IndexRecommendation(
        ddl="CREATE INDEX tasks_company_id_idx ON tasks (company_id) WHERE status <> 'done'",
        table="tasks",
        columns=["company_id"],
        kind="partial",
        serves=["open tasks of a company"],
        cost_before=91_000.0,
        cost_after=12.5,
    ),
    IndexRecommendation(
        ddl="CREATE INDEX invoices_company_id_idx ON invoices (company_id)",
        table="invoices",
        columns=["company_id"],
        serves=["invoices of a company"],
        cost_before=38_000.0,
        cost_after=8.4,
    ),
]


def _adr(number: int, title: str) -> Adr:
    return Adr(
        number=number,
        title=title,
        context="The spec asks for it.",
        options=[AdrOption(name="Do it"), AdrOption(name="Do not")],
        decision="Do it.",
        consequences=["It is done."],
    )


def _tech(category: str = "relational", product: str = "PostgreSQL") -> TechnologyDecision:
    return TechnologyDecision(
        primary=StoreChoice(category=category, product=product, engine=product.lower()),  # type: ignore[arg-type]
        alternatives=[
            Alternative(category="document", product="MongoDB", total=61.0, why_not="joins"),
            Alternative(category="wide-column", product="Cassandra", total=48.0, why_not="ACID"),
        ],
        rationale="Relationships and strong consistency dominate.",
    )


def good_package() -> DesignPackage:
    ddl = GOOD_DDL + "\n" + IndexPlan(indexes=INDEXES).ddl
    return DesignPackage(
        name="eval-fixture",
        spec=load_spec(HERE / "spec.yaml"),
        technology=_tech(),
        schema_design=SchemaDesign(ddl=GOOD_DDL),
        indexes=IndexPlan(indexes=INDEXES),
        adrs=[_adr(n, t) for n, t in enumerate(("PostgreSQL", "Tenancy", "Partitions", "RLS"), 1)],
        erd=render_erd(parse_schema(ddl)),
        plans=[
            PatternPlan(pattern="open tasks of a company", total_cost=12.5, uses_index=True),
            PatternPlan(pattern="invoices of a company", total_cost=8.4, uses_index=True),
            PatternPlan(pattern="add a task", total_cost=0.1),
        ],
        checks=[
            GateResult(gate="ddl_applies", stage="schema", attempt=1, passed=True),
            GateResult(gate="lint_clean", stage="schema", attempt=1, passed=False, findings=["x"]),
            GateResult(gate="lint_clean", stage="schema", attempt=2, passed=True),
            GateResult(gate="indexes_pay_off", stage="indexes", attempt=1, passed=True),
        ],
    )


def bad_schema_package() -> DesignPackage:
    return good_package().model_copy(
        update={"schema_design": SchemaDesign(ddl=BAD_DDL), "indexes": IndexPlan()}
    )


def _one(pkg: DesignPackage, check: str, arg: Any = None, server: Any = None) -> tuple[bool, str]:
    expectation = Expectation(check=check, arg=CHECKS[check].validate(arg))
    result = grade(pkg, [expectation], server or _no_server)[0]
    assert result.check == check
    return result.passed, result.detail


def _no_server() -> PgServer:
    raise AssertionError("this check must not need PostgreSQL")


# --- checks on the DDL --------------------------------------------------------------------


def test_ddl_applies_on_a_real_server(pg: PgServer) -> None:
    assert _one(good_package(), "ddl_applies", server=lambda: pg)[0]
    passed, detail = _one(bad_schema_package(), "ddl_applies", server=lambda: pg)
    assert not passed
    assert 'relation "projects" does not exist' in detail
    statement_line = BAD_DDL.splitlines().index("CREATE TABLE notes (") + 1
    assert f"line {statement_line}:" in detail


def test_lint_clean_names_each_error_and_honours_justifications() -> None:
    assert _one(good_package(), "lint_clean") == (True, "no lint errors")
    passed, detail = _one(bad_schema_package(), "lint_clean")
    assert not passed
    assert "3 lint error(s)" in detail
    for named in ("missing-primary-key on invoices", "float-for-money on invoices.total"):
        assert named in detail
    justified = bad_schema_package()
    assert justified.schema_design is not None
    justified.schema_design.justified_findings = [
        JustifiedFinding(rule="missing-primary-key", table="invoices", justification="log"),
        JustifiedFinding(rule="float-for-money", table="invoices", justification="estimates"),
    ]
    passed, detail = _one(justified, "lint_clean")
    assert not passed and detail == "1 lint error(s): eav-table on task_attributes.attribute_value"


def test_no_eav() -> None:
    assert _one(good_package(), "no_eav")[0]
    assert _one(bad_schema_package(), "no_eav") == (False, "EAV table(s): task_attributes")


def test_tables_and_columns_name_what_is_missing() -> None:
    assert _one(good_package(), "tables", ["companies", "tasks", "readings"])[0]
    passed, detail = _one(good_package(), "tables", ["companies", "task_assignees", "users"])
    assert (passed, detail) == (False, "missing table(s): task_assignees, users")
    assert _one(good_package(), "columns", ["tasks.company_id", "readings.recorded_at"])[0]
    passed, detail = _one(good_package(), "columns", ["tasks.deleted_at", "nope.id"])
    assert (passed, detail) == (False, "missing column(s): tasks.deleted_at, nope.id")


def test_column_type_normalises_spellings_through_the_parser() -> None:
    expected = {
        "tasks.status": "task_status",
        "invoices.total": "numeric",
        "readings.recorded_at": "timestamptz",
        "readings.value": "float8",
        "tasks.id": "int8",
        "tasks.attributes": "jsonb",
    }
    assert _one(good_package(), "column_type", expected)[0]
    assert _one(good_package(), "column_type", {"invoices.total": "numeric(19,4)"})[0]
    assert _one(good_package(), "column_type", {"companies.id": "bigint"})[0]
    passed, detail = _one(
        bad_schema_package(),
        "column_type",
        {"tasks.status": "task_status", "invoices.total": "numeric(19,4)", "x.y": "text"},
    )
    assert not passed
    assert "tasks.status is text, not task_status" in detail
    assert "invoices.total is double precision, not numeric(19,4)" in detail
    assert "x.y is missing" in detail


def test_partitioned() -> None:
    passed, detail = _one(good_package(), "partitioned", ["readings"])
    assert passed and detail == "readings by RANGE (recorded_at)"
    passed, detail = _one(bad_schema_package(), "partitioned", ["readings", "events"])
    assert (passed, detail) == (False, "readings is not partitioned, table events is missing")


def test_rls_needs_enabling_and_a_policy() -> None:
    assert _one(good_package(), "rls", ["tasks"])[0]
    passed, detail = _one(good_package(), "rls", ["invoices"])
    assert (passed, detail) == (False, "invoices does not enable row level security")
    no_policy = good_package()
    assert no_policy.schema_design is not None
    no_policy.schema_design.ddl = GOOD_DDL.replace("CREATE POLICY tasks_tenant", "-- ")
    no_policy.schema_design.ddl = no_policy.schema_design.ddl.replace(
        "    USING (company_id = current_setting('app.tenant_id')::bigint);", ""
    )
    passed, detail = _one(no_policy, "rls", ["tasks"])
    assert (passed, detail) == (False, "tasks enables row level security but has no policy")


def test_erd_complete() -> None:
    passed, detail = _one(good_package(), "erd_complete")
    assert passed and detail == "all 4 tables drawn"
    pkg = good_package()
    assert pkg.erd is not None
    pkg.erd = "\n".join(line for line in pkg.erd.splitlines() if '"invoices"' not in line)
    assert _one(pkg, "erd_complete") == (False, "table(s) missing from the ERD: invoices")
    pkg.erd = None
    assert _one(pkg, "erd_complete") == (False, "the package has no ERD")


def test_schema_checks_fail_cleanly_without_ddl() -> None:
    pkg = good_package().model_copy(update={"schema_design": None})
    assert _one(pkg, "tables", ["tasks"]) == (False, "the package has no schema DDL")
    pkg.schema_design = SchemaDesign(ddl="CREATE TABLE (;")
    passed, detail = _one(pkg, "lint_clean")
    assert not passed and "schema.sql:1" in detail and "syntax error" in detail


# --- checks on plans, indexes, gates, technology, ADRs and the report ----------------------


def test_patterns_indexed_names_seq_scans_and_unplanned_patterns() -> None:
    passed, detail = _one(good_package(), "patterns_indexed")
    assert passed and detail == "3 patterns planned, 2 use an index, none seq-scan"
    pkg = good_package()
    pkg.plans = [
        PatternPlan(pattern="open tasks of a company", total_cost=9e4, seq_scanned_large=["tasks"])
    ]
    passed, detail = _one(pkg, "patterns_indexed")
    assert not passed
    assert "'open tasks of a company' seq-scans tasks" in detail
    assert "'invoices of a company' has no plan" in detail
    assert "add a task" not in detail  # writes need no plan


def test_indexes_pay_off() -> None:
    passed, detail = _one(good_package(), "indexes_pay_off")
    assert passed and detail == "all 2 indexes lower a named pattern's cost"
    pkg = good_package()
    assert pkg.indexes is not None
    pkg.indexes.indexes[0].cost_after = 95_000.0
    pkg.indexes.indexes[1].serves = []
    passed, detail = _one(pkg, "indexes_pay_off")
    assert not passed
    assert "index on tasks (company_id) does not lower cost (91000 -> 95000)" in detail
    assert "index on invoices (company_id) serves no pattern" in detail
    pkg.indexes.indexes = [INDEXES[0].model_copy(update={"serves": ["made up"]})]
    assert "names unknown pattern(s) made up" in _one(pkg, "indexes_pay_off")[1]


def test_gates_passed_looks_at_the_last_attempt() -> None:
    passed, detail = _one(good_package(), "gates_passed")
    assert passed and detail == "3 gates passed (1 after a retry)"
    pkg = good_package()
    pkg.checks.append(
        GateResult(
            gate="patterns_indexed",
            stage="indexes",
            attempt=3,
            passed=False,
            findings=["'open tasks' seq-scans tasks"],
        )
    )
    passed, detail = _one(pkg, "gates_passed")
    assert (passed, detail) == (False, "patterns_indexed (indexes): 'open tasks' seq-scans tasks")


def test_technology_by_category_or_product() -> None:
    assert _one(good_package(), "technology", "relational") == (True, "PostgreSQL (relational)")
    assert _one(good_package(), "technology", "PostgreSQL")[0]
    pkg = good_package().model_copy(update={"technology": _tech("document", "MongoDB")})
    passed, detail = _one(pkg, "technology", "relational")
    assert (passed, detail) == (False, "primary store is MongoDB (document), not relational")
    timescale = good_package().model_copy(update={"technology": _tech("time-series", "PostgreSQL")})
    assert _one(timescale, "technology", "relational")[0]  # time-series on PostgreSQL fits


def test_alternatives() -> None:
    assert _one(good_package(), "alternatives", ["document", "Cassandra"])[0]
    passed, detail = _one(good_package(), "alternatives", ["document", "graph", "Redis"])
    assert (passed, detail) == (False, "not weighed: graph, Redis")


def test_adrs_min() -> None:
    assert _one(good_package(), "adrs_min", 4) == (True, "4 ADRs")
    assert _one(good_package(), "adrs_min", 5) == (False, "4 ADR(s), expected at least 5")


def test_mentions_reads_the_rendered_report() -> None:
    assert _one(good_package(), "mentions", ["PostgreSQL", "MongoDB", "tasks_company_id_idx"])[0]
    passed, detail = _one(good_package(), "mentions", ["postgresql", "Kafka", "quantum"])
    assert (passed, detail) == (False, "the report does not mention: Kafka, quantum")


# --- the registry --------------------------------------------------------------------------


def test_every_documented_check_is_registered() -> None:
    documented = {
        "ddl_applies",
        "lint_clean",
        "patterns_indexed",
        "adrs_min",
        "tables",
        "column_type",
        "partitioned",
        "rls",
        "technology",
        "no_eav",
        "mentions",
    }
    assert documented <= set(known_checks())
    assert {"erd_complete", "indexes_pay_off", "gates_passed"} <= set(known_checks())


@pytest.mark.parametrize(
    ("check", "arg", "message"),
    [
        ("adrs_min", "four", "valid integer"),
        ("adrs_min", 0, "greater than or equal to 1"),
        ("tables", "tasks", "valid list"),
        ("column_type", ["tasks.status"], "valid dictionary"),
        ("mentions", [], "at least 1 item"),
        ("ddl_applies", 3, "takes no argument"),
        ("technology", None, "needs an argument"),
    ],
)
def test_arguments_are_validated(check: str, arg: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CHECKS[check].validate(arg)
