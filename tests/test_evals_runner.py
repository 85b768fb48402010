"""The eval runner end to end: the real rules brain, engine and PostgreSQL on small cases."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from agent.config import Settings
from evals.cases import SUITE, load_cases
from evals.results import CaseResult, EvalReport
from evals.runner import run_cases, run_evals
from tools.errors import DatabaseError, InputError

CASES = FIXTURES / "evals" / "cases"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The three small cases, run once with one job and once with two (the slow part)."""
    home = tmp_path_factory.mktemp("eval") / "home"
    settings = Settings(home=home)
    seen: list[str] = []
    one = asyncio.run(run_evals([CASES], "rules", jobs=1, settings=settings))
    two = asyncio.run(
        run_evals(
            [CASES], "rules", jobs=2, settings=settings, on_progress=lambda c: seen.append(c.id)
        )
    )
    return {"one": one, "two": two, "seen": seen, "home": home}


def _case(report: EvalReport, case_id: str) -> CaseResult:
    return next(case for case in report.cases if case.id == case_id)


def _verdicts(report: EvalReport) -> list[tuple[str, bool, list[tuple[str, bool, str]]]]:
    return [
        (case.id, case.passed, [(c.check, c.passed, c.detail) for c in case.checks])
        for case in report.cases
    ]


def test_a_sound_design_passes_every_check(runs: dict[str, Any]) -> None:
    case = _case(runs["one"], "tiny-notes")
    failed = [(c.check, c.detail) for c in case.checks if not c.passed]
    assert failed == []
    assert case.passed and case.status == "done" and case.error is None
    assert [c.check for c in case.checks][:3] == ["ddl_applies", "lint_clean", "patterns_indexed"]
    assert case.package is not None and case.package.name == "tiny-notes"
    assert case.seconds > 0 and case.tokens == 0 and case.cost_usd == 0.0


def test_compare_mode_runs_without_a_schema(runs: dict[str, Any]) -> None:
    case = _case(runs["one"], "tiny-compare")
    assert case.passed, [(c.check, c.detail) for c in case.checks if not c.passed]
    assert case.package is not None and case.package.schema_design is None


def test_unmet_expectations_fail_with_what_is_wrong(runs: dict[str, Any]) -> None:
    case = _case(runs["one"], "tiny-wrong")
    assert not case.passed and case.status == "done"
    details = {c.check: (c.passed, c.detail) for c in case.checks}
    assert details["ddl_applies"][0] is True
    assert details["tables"] == (False, "missing table(s): ghosts")
    assert details["partitioned"] == (False, "notes is not partitioned")
    assert details["adrs_min"][0] is False
    assert details["adrs_min"][1].endswith("expected at least 40")


def test_report_totals_and_order(runs: dict[str, Any]) -> None:
    report: EvalReport = runs["one"]
    assert [c.id for c in report.cases] == ["tiny-compare", "tiny-notes", "tiny-wrong"]
    assert (report.passed, report.total, report.pass_rate) == (2, 3, 0.6667)
    assert report.brain == "rules" and report.model is None and report.jobs == 1


def test_two_jobs_give_the_same_results_as_one(runs: dict[str, Any]) -> None:
    assert _verdicts(runs["two"]) == _verdicts(runs["one"])
    assert runs["two"].jobs == 2
    assert sorted(runs["seen"]) == ["tiny-compare", "tiny-notes", "tiny-wrong"]


def test_cases_run_in_their_own_homes(runs: dict[str, Any]) -> None:
    assert not runs["home"].exists()  # checkpoints went to per-case temp homes
    ids = [case.thread_id for report in (runs["one"], runs["two"]) for case in report.cases]
    assert len(set(ids)) == len(ids)


# The built-in suite's fast cases, one of each mode. The whole suite takes minutes on two
# cores (the large example specs load sample data for the index gate): `dbarch eval` runs it.
FAST_SUITE = ["compare-stores", "product-catalog", "optimize-legacy-shop"]
FAST_SUITE += ["scale-legacy-shop", "migrate-legacy-shop"]


def test_the_built_in_suite_fast_cases_pass(tmp_path: Path) -> None:
    paths = [SUITE / f"{name}.yaml" for name in FAST_SUITE]
    report = asyncio.run(run_evals(paths, "rules", jobs=2, settings=Settings(home=tmp_path)))
    failed = {
        case.id: case.error or case.message or [c.detail for c in case.checks if not c.passed]
        for case in report.cases
        if not case.passed
    }
    assert failed == {}
    assert [case.mode for case in report.cases] == [
        "compare",
        "design",
        "optimize",
        "scale",
        "migrate",
    ]


def test_unreachable_postgres_stops_the_eval(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url="postgresql://nobody@127.0.0.1:9/none")
    with pytest.raises(DatabaseError, match="cannot connect to PostgreSQL"):
        asyncio.run(
            run_cases(load_cases([CASES / "tiny-compare.yaml"]), "rules", settings=settings)
        )


def test_an_unknown_brain_is_bad_input(tmp_path: Path) -> None:
    cases = load_cases([CASES / "tiny-compare.yaml"])
    with pytest.raises(InputError, match="unknown brain 'oracle'"):
        asyncio.run(run_cases(cases, "oracle", settings=Settings(home=tmp_path)))
